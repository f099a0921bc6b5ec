/**
 * A table that stays fast with thousands of rows: only the rows in view (plus a few) are in the
 * DOM, rows have one fixed height, and spacers stand in for the rest. Written here rather than
 * pulled in: it is fifty lines, and a dependency would be bundled into module.js.
 *
 * Columns declare the narrowest container they need (`minWidth`): on a phone the less important
 * ones drop out instead of the table scrolling sideways.
 */
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, useStyles2 } from '@grafana/ui';
import React, { useEffect, useRef, useState, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: string;
  /** CSS grid track, e.g. "80px" or "minmax(200px, 1fr)". */
  width: string;
  render(row: T): ReactNode;
  /** Sort key sent to the caller; absent: not sortable. */
  sortKey?: string;
  align?: 'left' | 'right';
  /** Shown only when the table is at least this wide (px). */
  minWidth?: number;
}

export interface Sort {
  key: string;
  order: 'asc' | 'desc';
}

interface Props<T> {
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  rowKey(row: T): string;
  rowHeight?: number;
  /** Height of the scrolling area. */
  height?: number | string;
  sort?: Sort;
  onSort?(sort: Sort): void;
  /** Extra props per row (drag and drop handlers, a data-testid…). */
  rowProps?(row: T): React.HTMLAttributes<HTMLDivElement> & Record<`data-${string}`, string>;
  rowClassName?(row: T): string | undefined;
  label: string;
}

const OVERSCAN = 8;

export function VirtualTable<T>({
  rows,
  columns,
  rowKey,
  rowHeight = 34,
  height = 560,
  sort,
  onSort,
  rowProps,
  rowClassName,
  label,
}: Props<T>) {
  const styles = useStyles2(getStyles);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState({
    width: 1200,
    height: typeof height === 'number' ? height : 560,
  });

  useEffect(() => {
    const element = scroller.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      setViewport({ width: element.clientWidth || 1200, height: element.clientHeight || 560 });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const shown = columns.filter((c) => (c.minWidth ?? 0) <= viewport.width);
  const template = shown.map((c) => c.width).join(' ');
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const count = Math.ceil(viewport.height / rowHeight) + 2 * OVERSCAN;
  const last = Math.min(rows.length, first + count);

  const header = (c: Column<T>) => {
    const active = sort !== undefined && c.sortKey !== undefined && sort.key === c.sortKey;
    const ariaSort = active ? (sort?.order === 'asc' ? 'ascending' : 'descending') : undefined;
    const content = (
      <>
        {c.header}
        {active && <Icon name={sort?.order === 'asc' ? 'arrow-up' : 'arrow-down'} size="sm" />}
      </>
    );
    return (
      <div
        key={c.key}
        role="columnheader"
        aria-sort={ariaSort}
        className={cx(styles.cell, styles.headerCell, c.align === 'right' && styles.right)}
      >
        {c.sortKey && onSort ? (
          <button
            type="button"
            className={styles.sortButton}
            onClick={() =>
              // Again on the same column flips it; a new numeric column starts with the largest.
              onSort({
                key: c.sortKey!,
                order: active
                  ? sort?.order === 'asc'
                    ? 'desc'
                    : 'asc'
                  : c.align === 'right'
                    ? 'desc'
                    : 'asc',
              })
            }
          >
            {content}
          </button>
        ) : (
          content
        )}
      </div>
    );
  };

  return (
    <div
      role="table"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      ref={scroller}
      className={styles.scroller}
      style={{ height }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div role="row" className={cx(styles.row, styles.header)} style={{ gridTemplateColumns: template }}>
        {shown.map(header)}
      </div>
      <div style={{ height: first * rowHeight }} aria-hidden />
      {rows.slice(first, last).map((row, i) => (
        <div
          key={rowKey(row)}
          role="row"
          aria-rowindex={first + i + 2}
          className={cx(styles.row, rowClassName?.(row))}
          style={{ gridTemplateColumns: template, height: rowHeight }}
          {...rowProps?.(row)}
        >
          {shown.map((c) => (
            <div key={c.key} role="cell" className={cx(styles.cell, c.align === 'right' && styles.right)}>
              {c.render(row)}
            </div>
          ))}
        </div>
      ))}
      <div style={{ height: (rows.length - last) * rowHeight }} aria-hidden />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  scroller: css({
    overflowY: 'auto',
    overflowX: 'hidden',
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.primary,
  }),
  row: css({
    display: 'grid',
    alignItems: 'center',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': { background: theme.colors.action.hover },
  }),
  header: css({
    position: 'sticky',
    top: 0,
    zIndex: 1,
    background: theme.colors.background.secondary,
    fontWeight: theme.typography.fontWeightMedium,
    minHeight: 34,
  }),
  headerCell: css({ color: theme.colors.text.primary }),
  cell: css({
    padding: theme.spacing(0, 1),
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    minWidth: 0,
  }),
  right: css({ textAlign: 'right', justifyContent: 'flex-end' }),
  sortButton: css({
    background: 'none',
    border: 'none',
    color: 'inherit',
    font: 'inherit',
    padding: 0,
    cursor: 'pointer',
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
  }),
});
