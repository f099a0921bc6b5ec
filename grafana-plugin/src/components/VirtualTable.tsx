/**
 * A table that stays fast with thousands of rows: only the rows in view (plus a few) are in the
 * DOM, rows have one fixed height, and spacers stand in for the rest. Written here rather than
 * pulled in: it is short, and a dependency would be bundled into module.js.
 *
 * Phone width is a layout of its own, not a squeezed desktop: columns declare the narrowest
 * table they need (`minWidth`) and drop out below it, the row actions fold into one menu button,
 * and every touch target is at least 40 px. The table fills the page down to the bottom of the
 * window (or only as high as its rows need), instead of a fixed height.
 */
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, Dropdown, Icon, LinkButton, Menu, useStyles2, type IconName } from '@grafana/ui';
import React, { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { RowIcon } from './RowIcon';

export type Order = 'asc' | 'desc';

export interface Column<T> {
  key: string;
  header: ReactNode;
  /** CSS grid track, e.g. "80px" or "minmax(200px, 1fr)". */
  width: string;
  render(row: T): ReactNode;
  /** Sort key sent to the caller; absent: not sortable. */
  sortKey?: string;
  /**
   * Where a first click on the header starts: names A→Z, but sizes, CPU and dates largest or
   * newest first. Right-aligned (numeric) columns default to 'desc', others to 'asc'.
   */
  firstOrder?: Order;
  align?: 'left' | 'right';
  /** Shown only when the table is at least this wide (px). */
  minWidth?: number;
}

export interface Sort {
  key: string;
  order: Order;
}

/** Something a row's button does: inline on a wide table, in the row's menu on a narrow one. */
export interface RowAction {
  key: string;
  label: string;
  icon: IconName;
  onClick?(): void;
  /** A link instead of a button (downloads, other pages). */
  href?: string;
  destructive?: boolean;
}

/** Below this width (px) a table is laid out for a phone. */
export const PHONE_WIDTH = 600;
/** The smallest touch target on a phone, as platform guidelines ask. */
export const TOUCH_TARGET = 40;

interface Props<T> {
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  rowKey(row: T): string;
  rowHeight?: number;
  /**
   * 'fill' (default): as high as the rows need, at most down to the bottom of the window.
   * A number: at most that many pixels.
   */
  maxHeight?: 'fill' | number;
  sort?: Sort;
  onSort?(sort: Sort): void;
  /** The row's buttons; each is reachable at every width. */
  actions?(row: T): RowAction[];
  /** How many inline action buttons the actions column makes room for on a wide table. */
  actionSlots?: number;
  /** Extra props per row (drag and drop handlers, a data-testid…). */
  rowProps?(row: T): React.HTMLAttributes<HTMLDivElement> & Record<`data-${string}`, string>;
  rowClassName?(row: T): string | undefined;
  label: string;
}

/**
 * The rows a page asks the exporter for first, before a whole long list: a window's worth and
 * some scrolling (see useResource's preview).
 */
export const FIRST_PAGE = 100;

const OVERSCAN = 8;
const HEADER_HEIGHT = 36;
/** Kept below the table when it fills the window: the page's own bottom padding. */
const BOTTOM_GAP = 24;
const MIN_FILL_HEIGHT = 240;

/** The order a click on `column` asks for, given the current sort. */
export function nextSort(
  column: { sortKey?: string; firstOrder?: Order; align?: string },
  sort?: Sort,
): Sort {
  const key = column.sortKey!;
  if (sort?.key === key) return { key, order: sort.order === 'asc' ? 'desc' : 'asc' };
  return { key, order: column.firstOrder ?? (column.align === 'right' ? 'desc' : 'asc') };
}

function ActionsCell({ actions, label, phone }: { actions: RowAction[]; label: string; phone: boolean }) {
  const styles = useStyles2(getStyles);
  if (actions.length === 0) return null;
  if (phone) {
    return (
      <Dropdown
        overlay={
          <Menu>
            {actions.map((a) => (
              <Menu.Item
                key={a.key}
                label={a.label}
                icon={a.icon}
                destructive={a.destructive}
                className={styles.menuItem}
                {...(a.href ? { url: a.href } : {})}
                {...(a.onClick ? { onClick: a.onClick } : {})}
              />
            ))}
          </Menu>
        }
      >
        <Button
          variant="secondary"
          fill="text"
          icon="ellipsis-v"
          aria-label={`Actions for ${label}`}
          className={styles.touch}
          data-row-action="menu"
        />
      </Dropdown>
    );
  }
  return (
    <span className={styles.actions}>
      {actions.map((a) =>
        a.href ? (
          <LinkButton
            key={a.key}
            href={a.href}
            variant="secondary"
            fill="text"
            aria-label={a.label}
            title={a.label}
            className={styles.inline}
            data-row-action={a.key}
          >
            <RowIcon name={a.icon} />
          </LinkButton>
        ) : (
          <Button
            key={a.key}
            variant={a.destructive ? 'destructive' : 'secondary'}
            fill="text"
            aria-label={a.label}
            // The browser's own tooltip: Grafana's Tooltip is a floating-ui instance per button,
            // which made a first render of a long table measurably slower.
            title={a.label}
            className={styles.inline}
            onClick={a.onClick}
            data-row-action={a.key}
          >
            <RowIcon name={a.icon} />
          </Button>
        ),
      )}
    </span>
  );
}

export function VirtualTable<T>({
  rows,
  columns,
  rowKey,
  rowHeight: wideRowHeight = 40,
  maxHeight = 'fill',
  sort,
  onSort,
  actions,
  actionSlots = 3,
  rowProps,
  rowClassName,
  label,
}: Props<T>) {
  const styles = useStyles2(getStyles);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  // The table's width and the room below its top, measured before the rows are first drawn:
  // rows rendered for a guessed size would be rendered (and laid out) a second time.
  const [box, setBox] = useState<{ width: number; room: number } | null>(null);

  // Followed as the window or the page around the table changes.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => {
      const top = element.getBoundingClientRect().top;
      const next = {
        // The border box: a scrollbar appearing with the rows does not change it.
        width: element.offsetWidth || 1200,
        room: Math.max(MIN_FILL_HEIGHT, Math.floor(window.innerHeight - Math.max(0, top) - BOTTOM_GAP)),
      };
      setBox((was) => (was && was.width === next.width && was.room === next.room ? was : next));
    };
    measure();
    const observer = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(measure);
    observer?.observe(element, { box: 'border-box' });
    window.addEventListener('resize', measure);
    return () => {
      observer?.disconnect();
      window.removeEventListener('resize', measure);
    };
  }, []);

  if (box === null) {
    // Measured in the layout effect, before this is ever painted.
    return <div role="table" aria-label={label} ref={scroller} className={styles.scroller} />;
  }
  const { width, room } = box;
  const phone = width < PHONE_WIDTH;
  const rowHeight = phone ? Math.max(wideRowHeight, TOUCH_TARGET + 8) : wideRowHeight;
  const actionColumn: Column<T> | undefined = actions
    ? {
        key: '__actions',
        header: '',
        width: phone ? `${TOUCH_TARGET + 16}px` : `${Math.max(1, actionSlots) * 36 + 16}px`,
        align: 'right',
        render: (row) => <ActionsCell actions={actions(row)} label={rowKey(row)} phone={phone} />,
      }
    : undefined;
  const shown = [
    ...columns.filter((c) => (c.minWidth ?? 0) <= width),
    ...(actionColumn ? [actionColumn] : []),
  ];
  const template = shown.map((c) => c.width).join(' ');
  const content = HEADER_HEIGHT + rows.length * rowHeight + 2;
  const height = Math.min(content, maxHeight === 'fill' ? room : maxHeight);
  // The rows in view and a few either side of them (none above the first row).
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);

  const header = (c: Column<T>) => {
    const active = sort !== undefined && c.sortKey !== undefined && sort.key === c.sortKey;
    const ariaSort = active ? (sort?.order === 'asc' ? 'ascending' : 'descending') : undefined;
    const text = (
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
          <button type="button" className={styles.sortButton} onClick={() => onSort(nextSort(c, sort))}>
            {text}
          </button>
        ) : (
          text
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
      data-layout={phone ? 'phone' : 'wide'}
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

/** Sorts a copy of `rows` by the value `valueOf` gives for the sort key; ties keep their order. */
export function sortRows<T>(
  rows: readonly T[],
  sort: Sort,
  valueOf: (row: T, key: string) => string | number | null | undefined,
): T[] {
  const sign = sort.order === 'asc' ? 1 : -1;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const keyed = rows.map((row, index) => ({ row, index, value: valueOf(row, sort.key) }));
  keyed.sort((a, b) => {
    const x = a.value;
    const y = b.value;
    // Nothing to compare sorts last, whichever the direction.
    if (x === null || x === undefined) return y === null || y === undefined ? a.index - b.index : 1;
    if (y === null || y === undefined) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    return c === 0 ? a.index - b.index : sign * c;
  });
  return keyed.map((k) => k.row);
}

const getStyles = (theme: GrafanaTheme2) => ({
  scroller: css({
    // Layout and paint contained: rows coming and going re-lay out the table alone, not the
    // page around it (whose positioned parts, such as a Combobox's menu, measure themselves
    // again after every layout of the page).
    contain: 'content',
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
    minHeight: HEADER_HEIGHT,
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
    minHeight: 32,
    cursor: 'pointer',
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
  }),
  actions: css({ display: 'inline-flex', gap: theme.spacing(0.5), alignItems: 'center' }),
  inline: css({ width: 32, padding: 0, justifyContent: 'center' }),
  touch: css({ minWidth: TOUCH_TARGET, minHeight: TOUCH_TARGET, justifyContent: 'center' }),
  menuItem: css({ minHeight: TOUCH_TARGET + 4 }),
});
