/**
 * Files below the exporter's configured roots: breadcrumbs, upload by dropping files from the
 * desktop (with progress), move by dragging rows onto folders, inline rename, new folder,
 * delete with confirmation, download, and a small text editor. Where the user is (host, root,
 * folder) lives in the URL.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Field, Icon, Input, Modal, useStyles2 } from '@grafana/ui';
import React, { useRef, useState } from 'react';
import { FIRST_PAGE, type Sort } from '../../components/VirtualTable';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import { toApiError } from '../../api/errors';
import type { DirectoryListing, FileDetail, FileInfo, RootList } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { Choice } from '../../components/Choice';
import { Confirm } from '../../components/Confirm';
import { HostPicker } from '../../components/HostPicker';
import { Page } from '../../components/Page';
import { Empty, ResourceView } from '../../components/States';
import { useAction } from '../../hooks/useAction';
import { useHost, useSearchParam, useSearchParamsUpdate } from '../../hooks/useHost';
import { firstPageThenWhole, useResource } from '../../hooks/useResource';
import { FileDrawer } from './FileDrawer';
import { FileTable } from './FileTable';
import { UploadList, type UploadState } from './UploadList';
import { absolutePath, baseName, joinPath, nameProblem, parentPath } from './paths';
import { plural } from '../../utils/format';

/** The most entries the exporter lists at once. */
const MAX_LISTING = 10_000;
/** The table's sort keys the exporter sorts on in the same order. */
const EXPORTER_SORTS = ['name', 'size', 'mtime'];

interface BulkResult {
  done: string[];
  failed: { name: string; why: string }[];
}

/** What a bulk delete did, item by item: which went, which did not, and why. */
function BulkOutcome({ result, onClose }: { result: BulkResult; onClose(): void }) {
  const failed = result.failed.length > 0;
  return (
    <div data-testid="bulk-outcome">
      <Alert
        severity={failed ? (result.done.length > 0 ? 'warning' : 'error') : 'success'}
        title={
          failed
            ? `Deleted ${result.done.length} of ${result.done.length + result.failed.length}`
            : `Deleted ${plural(result.done.length, 'item', 'items')}`
        }
        onRemove={onClose}
      >
        {result.done.length > 0 && <div>Deleted: {result.done.join(', ')}</div>}
        {result.failed.map((f) => (
          <div key={f.name}>
            Not deleted: <code>{f.name}</code> — {f.why}
          </div>
        ))}
      </Alert>
    </div>
  );
}

export function FilesPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [host] = useHost();
  const [rootParam] = useSearchParam('root');
  const [dir, setDir] = useSearchParam('path');
  const navigate = useSearchParamsUpdate();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [opened, setOpened] = useState<FileInfo | null>(null);
  const [deleting, setDeleting] = useState<FileInfo[] | null>(null);
  const [bulk, setBulk] = useState<BulkResult | null>(null);
  const [newFolder, setNewFolder] = useState<string | null>(null);
  const [uploads, setUploads] = useState<UploadState[]>([]);
  const [dragging, setDragging] = useState(false);
  const uploadId = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const action = useAction();

  const roots = useResource(
    (signal) => api.get<RootList>(apiPath('hosts', host, 'files'), undefined, signal),
    [api, host],
  );
  const root = rootParam || roots.data?.items[0]?.name || '';
  const rootInfo = roots.data?.items.find((r) => r.name === root);
  const writable = rootInfo?.writable === true && (rootInfo.writeRole !== 'admin' || api.route === 'admin');

  // The table sorts what is loaded (a click re-sorts at once); a folder opened anew starts with
  // the rows in view, sorted and limited by the exporter, when it sorts on the same column.
  const [sort, setSort] = useState<Sort>({ key: 'name', order: 'asc' });
  const listing = useResource<DirectoryListing | FileDetail | undefined>(
    async (signal, preview) => {
      if (root === '') return undefined;
      const path = apiPath('hosts', host, 'files', root, dir);
      const first = { sort: sort.key, order: sort.order, limit: FIRST_PAGE };
      return firstPageThenWhole(
        preview,
        EXPORTER_SORTS.includes(sort.key)
          ? () => api.get<DirectoryListing | FileDetail>(path, first, signal)
          : undefined,
        // A file, or a folder that fits in one page, is already whole.
        (page) => page.kind === 'file' || page.total <= page.items.length,
        () => api.get<DirectoryListing | FileDetail>(path, { limit: MAX_LISTING }, signal),
      );
    },
    [api, host, root, dir],
  );

  const go = (path: string) => {
    setSelected(new Set());
    setDir(path);
  };
  const refresh = () => {
    listing.reload();
    setSelected(new Set());
  };

  const uploadFiles = async (files: File[], folder: string) => {
    const queued: UploadState[] = files.map((f) => ({
      id: ++uploadId.current,
      name: f.name,
      target: `${root}:/${joinPath(folder, f.name)}`,
      loaded: 0,
      total: f.size,
      status: 'waiting',
    }));
    setUploads((u) => [...u, ...queued]);
    const update = (id: number, patch: Partial<UploadState>) =>
      setUploads((u) => u.map((x) => (x.id === id ? { ...x, ...patch } : x)));
    // One at a time: each upload is one request with its own one-time code.
    for (const [i, file] of files.entries()) {
      const id = queued[i]!.id;
      update(id, { status: 'uploading' });
      try {
        await api.upload(apiPath('hosts', host, 'files', root, joinPath(folder, file.name)), file, {
          action: `Upload ${file.name} to ${root}:/${folder}${files.length > 1 ? ` (${i + 1} of ${files.length})` : ''}`,
          onProgress: (p) => update(id, { loaded: p.loaded, total: p.total }),
        });
        update(id, { status: 'done', loaded: file.size });
      } catch (error) {
        update(id, { status: 'failed', error: toApiError(error).message });
      }
    }
    listing.reload();
  };

  const move = (paths: string[], folder: string) =>
    action
      .run(
        () =>
          api.send(
            'POST',
            apiPath('hosts', host, 'file-operations', 'move'),
            {
              items: paths.map((p) => ({
                from: { root, path: p },
                to: { root, path: joinPath(folder, baseName(p)) },
              })),
            },
            `Move ${paths.length === 1 ? baseName(paths[0]!) : `${paths.length} items`} to ${root}:/${folder}`,
          ),
        () => `Moved ${paths.length === 1 ? baseName(paths[0]!) : `${paths.length} items`} to /${folder}.`,
      )
      .then(refresh);

  const rename = (file: FileInfo, name: string) =>
    action
      .run(
        () =>
          api.send(
            'POST',
            apiPath('hosts', host, 'file-operations', 'move'),
            {
              items: [
                {
                  from: { root, path: file.path },
                  to: { root, path: joinPath(parentPath(file.path), name) },
                },
              ],
            },
            `Rename ${file.name} to ${name}`,
          ),
        () => `Renamed ${file.name} to ${name}.`,
      )
      .then(refresh);

  /**
   * Deletes each item in turn after one confirmation. Each is its own request and goes through
   * the usual second-factor handling: the exporter asks for a code when it needs one, and asks
   * no more once it accepts the next requests without (no code is kept here).
   */
  const remove = async (files: FileInfo[]) => {
    setDeleting(null);
    const outcome: BulkResult = { done: [], failed: [] };
    for (const [i, file] of files.entries()) {
      try {
        await api.request(apiPath('hosts', host, 'files', root, file.path), {
          method: 'DELETE',
          query: { recursive: file.type === 'dir' ? 'true' : undefined },
          action: `Delete ${root}:/${file.path}${files.length > 1 ? ` (${i + 1} of ${files.length})` : ''}`,
        });
        outcome.done.push(file.name);
      } catch (error) {
        const e = toApiError(error);
        if (e.kind === 'cancelled') {
          outcome.failed.push(...files.slice(i).map((f) => ({ name: f.name, why: 'not asked: cancelled' })));
          break;
        }
        outcome.failed.push({ name: file.name, why: e.message });
      }
    }
    setBulk(outcome);
    refresh();
  };

  /** Each selected file through the browser's own download (the exporter names it). */
  const downloadSelected = (files: FileInfo[]) => {
    for (const f of files) {
      const a = document.createElement('a');
      a.href = api.url(apiPath('hosts', host, 'files', root, f.path), { download: 'attachment' });
      a.download = f.name;
      a.rel = 'noopener';
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
  };

  const mkdir = (name: string) => {
    setNewFolder(null);
    return action
      .run(
        () =>
          api.send(
            'POST',
            apiPath('hosts', host, 'file-operations', 'mkdir'),
            { root, path: joinPath(dir, name) },
            `Create folder ${root}:/${joinPath(dir, name)}`,
          ),
        () => `Created folder ${name}.`,
      )
      .then(refresh);
  };

  const droppedOnPage = (event: React.DragEvent) => {
    setDragging(false);
    const files = Array.from(event.dataTransfer.files ?? []);
    if (files.length === 0 || !writable) return;
    event.preventDefault();
    uploadFiles(files, dir);
  };

  const items = listing.data && listing.data.kind !== 'file' ? listing.data.items : [];
  const chosen = items.filter((f) => selected.has(f.path));
  const chosenFiles = chosen.filter((f) => f.type === 'file');

  const breadcrumbs = listing.data?.breadcrumbs ?? [
    { name: root, path: '' },
    ...(dir ? dir.split('/').map((n, i, all) => ({ name: n, path: all.slice(0, i + 1).join('/') })) : []),
  ];

  return (
    <Page
      id="files"
      toolbar={
        <>
          <HostPicker value={host} onChange={(h) => navigate({ host: h, root: null, path: null })} />
          {roots.data && roots.data.items.length > 1 && (
            <Choice
              aria-label="Root"
              options={roots.data.items.map((r) => ({ label: r.name, value: r.name, description: r.path }))}
              value={root}
              onChange={(r) => {
                setSelected(new Set());
                navigate({ root: r, path: null });
              }}
            />
          )}
          <Button
            icon="folder-plus"
            variant="secondary"
            disabled={!writable}
            onClick={() => setNewFolder('')}
          >
            New folder
          </Button>
          <Button
            icon="upload"
            variant="secondary"
            disabled={!writable}
            onClick={() => fileInput.current?.click()}
          >
            Upload
          </Button>
          <input
            ref={fileInput}
            type="file"
            multiple
            hidden
            data-testid="file-input"
            onChange={(e) => {
              const files = Array.from(e.currentTarget.files ?? []);
              e.currentTarget.value = '';
              if (files.length > 0) uploadFiles(files, dir);
            }}
          />
          <Button icon="sync" variant="secondary" fill="text" onClick={refresh} aria-label="Refresh" />
        </>
      }
    >
      <nav aria-label="Breadcrumbs" className={styles.crumbs} data-testid="breadcrumbs">
        {breadcrumbs.map((b, i) => (
          <span key={b.path}>
            {i > 0 && <Icon name="angle-right" className={styles.sep} />}
            <button
              type="button"
              className={styles.crumb}
              onClick={() => go(b.path)}
              aria-current={b.path === dir ? 'page' : undefined}
            >
              {i === 0 ? `${root}:` : b.name}
            </button>
          </span>
        ))}
        {rootInfo && <span className={styles.where}>{absolutePath(rootInfo.path, dir)}</span>}
        {rootInfo && !writable && <span className={styles.where}>· read-only for you</span>}
      </nav>
      <ActionMessage action={action} />
      {bulk && <BulkOutcome result={bulk} onClose={() => setBulk(null)} />}
      {chosen.length > 0 && (
        <div className={styles.selection} data-testid="file-selection">
          <span>{plural(chosen.length, 'item', 'items')} selected</span>
          {chosenFiles.length > 0 && (
            <Button
              size="sm"
              variant="secondary"
              icon="download-alt"
              onClick={() => downloadSelected(chosenFiles)}
            >
              Download{' '}
              {chosenFiles.length === chosen.length ? '' : plural(chosenFiles.length, 'file', 'files')}
            </Button>
          )}
          {writable && (
            <Button size="sm" variant="destructive" icon="trash-alt" onClick={() => setDeleting(chosen)}>
              Delete…
            </Button>
          )}
          <Button size="sm" variant="secondary" fill="text" onClick={() => setSelected(new Set())}>
            Clear
          </Button>
          {writable && <span className={styles.hintInline}>or drag them onto a folder to move them</span>}
        </div>
      )}
      <UploadList uploads={uploads} onClear={() => setUploads([])} />
      <div
        className={dragging ? styles.dropping : undefined}
        data-testid="file-drop-zone"
        onDragOver={(e) => {
          if (writable && Array.from(e.dataTransfer.types).includes('Files')) {
            e.preventDefault();
            setDragging(true);
          }
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={droppedOnPage}
      >
        <ResourceView resource={roots}>
          {(r) =>
            r.items.length === 0 ? (
              <Empty message="The exporter has no file roots configured (files.roots)." />
            ) : (
              <ResourceView resource={listing}>
                {(l) =>
                  !l ? null : l.kind === 'file' ? (
                    <Empty message={`${l.path} is a file.`}>
                      <Button onClick={() => setOpened(l.entry)}>Open it</Button>
                    </Empty>
                  ) : l.items.length === 0 && dir === '' ? (
                    <Empty message="This folder is empty. Drop files here to upload them." />
                  ) : (
                    <FileTable
                      dir={dir}
                      items={l.items}
                      partial={listing.partial}
                      sort={sort}
                      onSort={setSort}
                      writable={writable}
                      selected={selected}
                      onSelect={(paths, on) =>
                        setSelected((s) => {
                          const next = new Set(s);
                          for (const path of paths) {
                            if (on) next.add(path);
                            else next.delete(path);
                          }
                          return next;
                        })
                      }
                      onOpen={(f) => (f.type === 'dir' || f.targetType === 'dir' ? go(f.path) : setOpened(f))}
                      onOpenParent={() => go(parentPath(dir))}
                      onMove={move}
                      onUploadInto={uploadFiles}
                      onRename={rename}
                      onDelete={(f) => setDeleting([f])}
                      downloadUrl={(f) =>
                        api.url(apiPath('hosts', host, 'files', root, f.path), { download: 'attachment' })
                      }
                    />
                  )
                }
              </ResourceView>
            )
          }
        </ResourceView>
        {writable && (
          <div className={styles.hint}>
            Drop files from your desktop here, or onto a folder, to upload them.
          </div>
        )}
      </div>
      {opened && (
        <FileDrawer
          host={host}
          root={root}
          file={opened}
          writable={writable}
          textLimitBytes={roots.data?.textLimitBytes ?? 0}
          onClose={() => setOpened(null)}
          onChanged={listing.reload}
        />
      )}
      {deleting && (
        <Confirm
          title={
            deleting.length === 1
              ? `Delete ${deleting[0]!.name}?`
              : `Delete ${plural(deleting.length, 'item', 'items')}?`
          }
          body={
            <>
              <p>
                {deleting.length === 1 ? 'This' : 'These'} will be deleted from <code>{root}:</code> on {host}
                . This cannot be undone.
              </p>
              <ul data-testid="delete-list" className={styles.list}>
                {deleting.map((f) => (
                  <li key={f.path}>
                    <code>{f.path}</code>
                    {f.type === 'dir' && <strong> — the folder and everything in it</strong>}
                  </li>
                ))}
              </ul>
            </>
          }
          confirmText={deleting.length === 1 ? 'Delete' : `Delete ${deleting.length}`}
          onConfirm={() => remove(deleting)}
          onDismiss={() => setDeleting(null)}
        />
      )}
      {newFolder !== null && (
        <Modal title="New folder" isOpen onDismiss={() => setNewFolder(null)}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (nameProblem(newFolder) === undefined) mkdir(newFolder.trim());
            }}
          >
            <Field
              label="Name"
              invalid={newFolder !== '' && nameProblem(newFolder) !== undefined}
              error={newFolder !== '' ? nameProblem(newFolder) : undefined}
            >
              <Input
                id="hyperion-new-folder"
                autoFocus
                value={newFolder}
                onChange={(e) => setNewFolder(e.currentTarget.value)}
              />
            </Field>
            <Modal.ButtonRow>
              <Button variant="secondary" fill="outline" type="button" onClick={() => setNewFolder(null)}>
                Cancel
              </Button>
              <Button type="submit" disabled={nameProblem(newFolder) !== undefined}>
                Create
              </Button>
            </Modal.ButtonRow>
          </form>
        </Modal>
      )}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  crumbs: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: theme.spacing(0.5) }),
  crumb: css({
    background: 'none',
    border: 'none',
    padding: theme.spacing(0.25, 0.5),
    color: theme.colors.text.link,
    cursor: 'pointer',
    font: 'inherit',
    '&[aria-current="page"]': {
      color: theme.colors.text.primary,
      fontWeight: theme.typography.fontWeightMedium,
    },
  }),
  sep: css({ color: theme.colors.text.disabled }),
  where: css({ color: theme.colors.text.secondary, marginLeft: theme.spacing(1) }),
  dropping: css({ outline: `2px dashed ${theme.colors.primary.border}`, outlineOffset: 4 }),
  selection: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
  }),
  hintInline: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  list: css({ maxHeight: 200, overflowY: 'auto', paddingLeft: theme.spacing(2) }),
  hint: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginTop: theme.spacing(1),
  }),
});
