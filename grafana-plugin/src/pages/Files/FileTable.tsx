/**
 * The listing of one folder, as a file manager does it: folders open on click, files open their
 * drawer; rows drag onto folders (or the ".." row) to move; files dragged in from the desktop
 * upload into the folder they are dropped on; names rename inline.
 */
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Checkbox, Icon, Input, useStyles2 } from '@grafana/ui';
import React, { useMemo, useState } from 'react';
import type { FileInfo } from '../../api/types';
import {
  VirtualTable,
  sortRows,
  type Column,
  type RowAction,
  type Sort,
} from '../../components/VirtualTable';
import { formatBytes, formatFullTime, formatTime } from '../../utils/format';
import { RowIcon } from '../../components/RowIcon';
import { ROW_DRAG_TYPE, isInside, nameProblem, parentPath } from './paths';

/** The ".." row stands for the parent folder: a drop target, never dragged. */
export const PARENT_ROW = '\u0000parent';

export interface FileRow {
  key: string;
  info: FileInfo | null;
  /** Path of the folder a drop onto this row goes into, or null when it takes no drops. */
  dropPath: string | null;
}

interface Props {
  dir: string;
  items: readonly FileInfo[];
  /** Only a first page of the folder is here yet: "select all" waits for the rest. */
  partial: boolean;
  sort: Sort;
  onSort(sort: Sort): void;
  writable: boolean;
  selected: ReadonlySet<string>;
  onSelect(paths: string[], on: boolean): void;
  onOpen(file: FileInfo): void;
  onOpenParent(): void;
  onMove(paths: string[], folder: string): void;
  onUploadInto(files: File[], folder: string): void;
  onRename(file: FileInfo, name: string): void;
  onDelete(file: FileInfo): void;
  downloadUrl(file: FileInfo): string;
}

export function isFolder(f: FileInfo): boolean {
  return f.type === 'dir' || (f.type === 'symlink' && f.targetType === 'dir');
}

function draggedPaths(event: React.DragEvent): string[] | null {
  const raw = event.dataTransfer.getData(ROW_DRAG_TYPE);
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

/** The value a column sorts on. */
function fileValue(f: FileInfo, key: string): string | number | null {
  switch (key) {
    case 'size':
      return isFolder(f) ? null : f.size;
    case 'mtime':
      return Date.parse(f.mtime);
    case 'owner':
      return `${f.owner ?? ''}:${f.group ?? ''}`;
    case 'mode':
      return f.permissions;
    default:
      return f.name;
  }
}

/** Folders first (as every file manager lists them), then the chosen order within each. */
export function sortFiles(items: readonly FileInfo[], sort: Sort): FileInfo[] {
  const sorted = sortRows(items, sort, fileValue);
  return [...sorted.filter(isFolder), ...sorted.filter((f) => !isFolder(f))];
}

export function FileTable(props: Props) {
  const { dir, items, writable, selected, sort } = props;
  const styles = useStyles2(getStyles);
  const [over, setOver] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ path: string; name: string } | null>(null);

  const sorted = useMemo(() => sortFiles(items, sort), [items, sort]);
  const rows: FileRow[] = useMemo(
    () => [
      ...(dir === '' ? [] : [{ key: PARENT_ROW, info: null, dropPath: parentPath(dir) }]),
      ...sorted.map((f) => ({ key: f.path, info: f, dropPath: isFolder(f) ? f.path : null })),
    ],
    [dir, sorted],
  );
  const allSelected = items.length > 0 && items.every((f) => selected.has(f.path));

  const dropProps = (row: FileRow) => {
    if (row.dropPath === null || !writable) return {};
    const folder = row.dropPath;
    return {
      onDragOver: (event: React.DragEvent) => {
        const types = Array.from(event.dataTransfer.types);
        if (!types.includes(ROW_DRAG_TYPE) && !types.includes('Files')) return;
        event.preventDefault();
        event.stopPropagation();
        event.dataTransfer.dropEffect = types.includes('Files') ? 'copy' : 'move';
        setOver(row.key);
      },
      onDragLeave: () => setOver((o) => (o === row.key ? null : o)),
      onDrop: (event: React.DragEvent) => {
        event.preventDefault();
        event.stopPropagation();
        setOver(null);
        const files = Array.from(event.dataTransfer.files ?? []);
        if (files.length > 0) {
          props.onUploadInto(files, folder);
          return;
        }
        const paths = draggedPaths(event)?.filter((p) => !isInside(p, folder) && parentPath(p) !== folder);
        if (paths && paths.length > 0) props.onMove(paths, folder);
      },
    };
  };

  const dragProps = (row: FileRow) => {
    if (!row.info || !writable || renaming?.path === row.info.path) return {};
    const path = row.info.path;
    return {
      draggable: true,
      onDragStart: (event: React.DragEvent) => {
        // Dragging a selected row moves the whole selection; any other row moves alone.
        const paths = selected.has(path) ? [...selected] : [path];
        event.dataTransfer.setData(ROW_DRAG_TYPE, JSON.stringify(paths));
        event.dataTransfer.setData('text/plain', paths.join('\n'));
        event.dataTransfer.effectAllowed = 'move';
      },
    };
  };

  const commitRename = (file: FileInfo) => {
    if (!renaming) return;
    const name = renaming.name.trim();
    setRenaming(null);
    if (name !== file.name && nameProblem(name) === undefined) props.onRename(file, name);
  };

  const nameCell = (row: FileRow) => {
    if (!row.info) {
      return (
        <button type="button" className={styles.link} onClick={props.onOpenParent} aria-label="Parent folder">
          <Icon name="arrow-up" /> ..
        </button>
      );
    }
    const f = row.info;
    if (renaming?.path === f.path) {
      const problem = nameProblem(renaming.name);
      return (
        <Input
          autoFocus
          value={renaming.name}
          invalid={problem !== undefined}
          title={problem}
          aria-label={`New name for ${f.name}`}
          onChange={(e) => setRenaming({ path: f.path, name: e.currentTarget.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commitRename(f);
            if (e.key === 'Escape') setRenaming(null);
          }}
          onBlur={() => setRenaming(null)}
        />
      );
    }
    return (
      <button
        type="button"
        className={styles.link}
        onClick={() => props.onOpen(f)}
        title={f.linkTarget ? `→ ${f.linkTarget}` : f.path}
      >
        <RowIcon name={isFolder(f) ? 'folder' : f.type === 'symlink' ? 'link' : 'file-alt'} /> {f.name}
      </button>
    );
  };

  const columns: Array<Column<FileRow>> = [
    {
      key: 'select',
      header: (
        <Checkbox
          value={allSelected}
          indeterminate={!allSelected && items.some((f) => selected.has(f.path))}
          aria-label="Select all"
          disabled={props.partial}
          onChange={(e) =>
            props.onSelect(
              items.map((f) => f.path),
              e.currentTarget.checked,
            )
          }
        />
      ),
      width: '40px',
      render: (row) =>
        row.info ? (
          <Checkbox
            value={selected.has(row.info.path)}
            aria-label={`Select ${row.info.name}`}
            onChange={(e) => props.onSelect([row.info!.path], e.currentTarget.checked)}
          />
        ) : null,
    },
    { key: 'name', header: 'Name', width: 'minmax(140px, 2fr)', sortKey: 'name', render: nameCell },
    {
      key: 'size',
      header: 'Size',
      width: '96px',
      align: 'right',
      sortKey: 'size',
      minWidth: 440,
      render: (row) => (row.info && !isFolder(row.info) ? formatBytes(row.info.size) : ''),
    },
    {
      key: 'mtime',
      header: 'Modified',
      width: '140px',
      sortKey: 'mtime',
      firstOrder: 'desc',
      minWidth: 720,
      render: (row) =>
        row.info ? <span title={formatFullTime(row.info.mtime)}>{formatTime(row.info.mtime)}</span> : '',
    },
    {
      key: 'owner',
      header: 'Owner',
      width: '120px',
      sortKey: 'owner',
      minWidth: 900,
      render: (row) => (row.info ? `${row.info.owner ?? '?'}:${row.info.group ?? '?'}` : ''),
    },
    {
      key: 'mode',
      header: 'Mode',
      width: '110px',
      sortKey: 'mode',
      minWidth: 1000,
      render: (row) => (row.info ? <code>{row.info.permissions}</code> : ''),
    },
  ];

  const actions = (row: FileRow): RowAction[] => {
    const f = row.info;
    if (!f) return [];
    return [
      ...(writable
        ? [
            {
              key: 'rename',
              label: `Rename ${f.name}`,
              icon: 'pen' as const,
              onClick: () => setRenaming({ path: f.path, name: f.name }),
            },
          ]
        : []),
      ...(f.type === 'file'
        ? [
            {
              key: 'download',
              label: `Download ${f.name}`,
              icon: 'download-alt' as const,
              href: props.downloadUrl(f),
            },
          ]
        : []),
      ...(writable
        ? [
            {
              key: 'delete',
              label: `Delete ${f.name}`,
              icon: 'trash-alt' as const,
              destructive: true,
              onClick: () => props.onDelete(f),
            },
          ]
        : []),
    ];
  };

  return (
    <VirtualTable
      label="Files"
      rows={rows}
      columns={columns}
      rowKey={(r) => r.key}
      sort={sort}
      onSort={props.onSort}
      actions={actions}
      actionSlots={3}
      rowClassName={(r) => cx(over === r.key && styles.dropTarget)}
      rowProps={(r) => ({
        'data-testid': r.info ? `file-${r.info.name}` : 'file-parent',
        ...dragProps(r),
        ...dropProps(r),
      })}
    />
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  link: css({
    background: 'none',
    border: 'none',
    padding: 0,
    color: theme.colors.text.primary,
    cursor: 'pointer',
    font: 'inherit',
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    minHeight: 32,
    maxWidth: '100%',
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    textOverflow: 'ellipsis',
  }),
  dropTarget: css({
    outline: `2px dashed ${theme.colors.primary.border}`,
    outlineOffset: -2,
    background: theme.colors.primary.transparent,
  }),
});
