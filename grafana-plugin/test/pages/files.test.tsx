/** Files: listing and breadcrumbs, folder creation, rename, drag to move, desktop upload, delete, editor conflict. */
import { createEvent, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import type { XhrFactory } from '../../src/api/client';
import { FilesPage } from '../../src/pages/Files/FilesPage';
import { ROW_DRAG_TYPE } from '../../src/pages/Files/paths';
import { fakeBackend, problem } from '../support/fakeBackend';
import { CONFIRM_BUTTON, renderPage } from '../support/render';

const ROOTS = {
  items: [{ name: 'data', path: '/srv/data', writable: true, writeRole: 'operator' }],
  uploadLimitBytes: 1e9,
  textLimitBytes: 1e6,
};

function entry(path: string, type: 'file' | 'dir', size = 10) {
  return {
    name: path.split('/').pop(),
    path,
    type,
    size,
    mode: '0644',
    permissions: type === 'dir' ? 'drwxr-xr-x' : '-rw-r--r--',
    uid: 0,
    gid: 0,
    owner: 'root',
    group: 'root',
    mtime: '2024-01-01T00:00:00Z',
  };
}

function listing(path: string, items: unknown[]) {
  const parts = path === '' ? [] : path.split('/');
  return {
    kind: 'directory',
    root: 'data',
    path,
    breadcrumbs: [
      { name: 'data', path: '' },
      ...parts.map((n, i) => ({ name: n, path: parts.slice(0, i + 1).join('/') })),
    ],
    entry: entry(path, 'dir'),
    total: items.length,
    offset: 0,
    limit: 10000,
    items,
  };
}

function setup() {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', {
    body: {
      actor: 'bob',
      role: 'operator',
      token: 't',
      viaGrafana: true,
      otp: { policy: 'disabled', enrolled: false, confirmed: false },
    },
  });
  backend.on('GET', '/hosts', { body: { items: [{ name: 'local', kind: 'local' }] } });
  backend.on('GET', '/hosts/local/files', { body: ROOTS });
  backend.on('GET', '/hosts/local/files/data', {
    body: listing('', [entry('logs', 'dir'), entry('notes.txt', 'file')]),
  });
  backend.on('GET', '/hosts/local/files/data/logs', { body: listing('logs', [entry('logs/a.log', 'file')]) });
  return backend;
}

/** A DataTransfer good enough for React's drag events in jsdom. */
function dataTransfer(files: File[] = []) {
  const store = new Map<string, string>();
  return {
    files,
    get types() {
      return files.length > 0 ? ['Files'] : [...store.keys()];
    },
    setData: (k: string, v: string) => store.set(k, v),
    getData: (k: string) => store.get(k) ?? '',
    dropEffect: 'none',
    effectAllowed: 'all',
  };
}

function drag(
  type: 'dragStart' | 'dragOver' | 'drop',
  element: Element,
  transfer: ReturnType<typeof dataTransfer>,
) {
  const event = createEvent[type](element);
  Object.defineProperty(event, 'dataTransfer', { value: transfer });
  fireEvent(element, event);
}

describe('Files page', () => {
  it('lists the first root, and opens folders through rows and breadcrumbs', async () => {
    const user = userEvent.setup();
    const backend = setup();
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    expect(await screen.findByTestId('file-notes.txt')).toHaveTextContent('10 B');
    await user.click(within(screen.getByTestId('file-logs')).getByRole('button', { name: 'logs' }));
    expect(await screen.findByTestId('file-a.log')).toBeInTheDocument();
    expect(screen.getByTestId('breadcrumbs')).toHaveTextContent('data:logs');
    await user.click(within(screen.getByTestId('breadcrumbs')).getByRole('button', { name: 'data:' }));
    expect(await screen.findByTestId('file-notes.txt')).toBeInTheDocument();
  });

  it('shows an empty root and an error', async () => {
    const backend = setup();
    backend.on('GET', '/hosts/local/files/data', { body: listing('', []) });
    const { unmount } = renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    expect(await screen.findByTestId('state-empty')).toHaveTextContent('This folder is empty');
    unmount();
    const failing = setup();
    failing.on(
      'GET',
      '/hosts/local/files/data',
      problem('not-found', 404, 'data:/ does not exist on host local'),
    );
    renderPage(<FilesPage />, { backend: failing, at: 'files?host=local' });
    expect(await screen.findByTestId('state-error')).toHaveTextContent('data:/ does not exist');
  });

  it('moves a row dragged onto a folder', async () => {
    const backend = setup();
    backend.on('POST', '/hosts/local/file-operations/move', { body: { items: [] } });
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    const source = await screen.findByTestId('file-notes.txt');
    const folder = screen.getByTestId('file-logs');
    const transfer = dataTransfer();
    drag('dragStart', source, transfer);
    expect(JSON.parse(transfer.getData(ROW_DRAG_TYPE))).toEqual(['notes.txt']);
    drag('dragOver', folder, transfer);
    drag('drop', folder, transfer);
    await waitFor(() => expect(backend.callsTo('POST', '/hosts/local/file-operations/move')).toHaveLength(1));
    expect(backend.callsTo('POST', '/hosts/local/file-operations/move')[0]!.body).toEqual({
      items: [{ from: { root: 'data', path: 'notes.txt' }, to: { root: 'data', path: 'logs/notes.txt' } }],
    });
    expect(await screen.findByTestId('action-success')).toHaveTextContent('Moved notes.txt to /logs');
  });

  it('uploads files dropped from the desktop onto a folder, with progress', async () => {
    const backend = setup();
    const opened: string[] = [];
    const xhr: XhrFactory = () => {
      const x = {
        upload: {
          onprogress: null as
            null | ((e: { loaded: number; total: number; lengthComputable: boolean }) => void),
        },
        onload: null as null | (() => void),
        onerror: null,
        status: 201,
        statusText: 'Created',
        responseText: '{"created":true}',
        open: (_m: string, url: string) => opened.push(url),
        setRequestHeader: () => undefined,
        getAllResponseHeaders: () => '',
        send: () => {
          x.upload.onprogress?.({ loaded: 3, total: 3, lengthComputable: true });
          x.onload?.();
        },
      };
      return x as unknown as XMLHttpRequest;
    };
    renderPage(<FilesPage />, { backend, at: 'files?host=local', xhr });
    const folder = await screen.findByTestId('file-logs');
    const transfer = dataTransfer([new File(['abc'], 'new.txt')]);
    drag('dragOver', folder, transfer);
    drag('drop', folder, transfer);
    await waitFor(() => expect(screen.getByTestId('upload-new.txt')).toHaveAttribute('data-status', 'done'));
    expect(opened).toEqual(['api/plugin-proxy/hyperion-app/operator/hosts/local/files/data/logs/new.txt']);
    expect(within(screen.getByTestId('upload-new.txt')).getByRole('progressbar')).toHaveAttribute(
      'aria-valuenow',
      '100',
    );
  });

  it('renames inline and creates folders', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('POST', '/hosts/local/file-operations/move', { body: { items: [] } });
    backend.on('POST', '/hosts/local/file-operations/mkdir', { status: 201, body: {} });
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await user.click(
      within(await screen.findByTestId('file-notes.txt')).getByRole('button', { name: /rename/i }),
    );
    const input = screen.getByRole('textbox', { name: 'New name for notes.txt' });
    await user.clear(input);
    await user.type(input, 'todo.txt{Enter}');
    await waitFor(() => expect(backend.callsTo('POST', '/hosts/local/file-operations/move')).toHaveLength(1));
    expect(backend.callsTo('POST', '/hosts/local/file-operations/move')[0]!.body).toEqual({
      items: [{ from: { root: 'data', path: 'notes.txt' }, to: { root: 'data', path: 'todo.txt' } }],
    });
    await user.click(screen.getByRole('button', { name: 'New folder' }));
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'reports');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() =>
      expect(backend.callsTo('POST', '/hosts/local/file-operations/mkdir')).toHaveLength(1),
    );
    expect(backend.callsTo('POST', '/hosts/local/file-operations/mkdir')[0]!.body).toEqual({
      root: 'data',
      path: 'reports',
    });
  });

  it('deletes a folder recursively only after saying so', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('DELETE', '/hosts/local/files/data/logs', { body: { deleted: true } });
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await user.click(within(await screen.findByTestId('file-logs')).getByRole('button', { name: /delete/i }));
    expect(screen.getByTestId('confirm-body')).toHaveTextContent('everything in it');
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    await waitFor(() => expect(backend.callsTo('DELETE', '/hosts/local/files/data/logs')).toHaveLength(1));
    expect(backend.callsTo('DELETE', '/hosts/local/files/data/logs')[0]!.query.get('recursive')).toBe('true');
  });

  it('detects an edit conflict and overwrites only when asked', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('GET', '/hosts/local/files/data/notes.txt', {
      body: { root: 'data', path: 'notes.txt', content: 'old', etag: '"v1"' },
      headers: { ETag: '"v1"' },
    });
    backend.on('PUT', '/hosts/local/files/data/notes.txt', (call) =>
      call.query.get('overwrite') === 'true'
        ? { body: { etag: '"v3"', created: false }, headers: { ETag: '"v3"' } }
        : problem('precondition-failed', 412, 'data:/notes.txt changed since it was read'),
    );
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await user.click(
      within(await screen.findByTestId('file-notes.txt')).getByRole('button', { name: 'notes.txt' }),
    );
    const editor = await screen.findByTestId('monaco-stand-in');
    await user.clear(editor);
    await user.type(editor, 'mine');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByTestId('editor-conflict')).toHaveTextContent('changed since you opened it');
    const first = backend.callsTo('PUT', '/hosts/local/files/data/notes.txt')[0]!;
    expect(first.headers['If-Match']).toBe('"v1"');
    expect(first.body).toBe('mine');
    await user.click(screen.getByRole('button', { name: 'Overwrite with mine' }));
    expect(await screen.findByTestId('editor-saved')).toBeInTheDocument();
    expect(backend.callsTo('PUT', '/hosts/local/files/data/notes.txt')[1]!.query.get('overwrite')).toBe(
      'true',
    );
  });
});

describe('Files page: selection, sorting and the editor guard', () => {
  it('deletes the checked items after ONE confirmation listing them, and says which failed and why', async () => {
    const backend = setup();
    backend.on('GET', '/hosts/local/files/data', {
      body: listing('', [entry('a.txt', 'file'), entry('b.txt', 'file'), entry('c.txt', 'file')]),
    });
    backend.on('DELETE', '/hosts/local/files/data/a.txt', { status: 204 });
    backend.on('DELETE', '/hosts/local/files/data/b.txt', problem('conflict', 409, 'b.txt is busy'));
    const user = userEvent.setup();
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await screen.findByTestId('file-a.txt');
    await user.click(screen.getByRole('checkbox', { name: 'Select a.txt' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select b.txt' }));
    expect(screen.getByTestId('file-selection')).toHaveTextContent('2 items selected');
    await user.click(within(screen.getByTestId('file-selection')).getByRole('button', { name: /Delete/ }));
    const list = screen.getByTestId('delete-list');
    expect(list).toHaveTextContent('a.txt');
    expect(list).toHaveTextContent('b.txt');
    expect(list).not.toHaveTextContent('c.txt');
    expect(backend.callsTo('DELETE', /./)).toHaveLength(0);
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    const outcome = await screen.findByTestId('bulk-outcome');
    expect(outcome).toHaveTextContent('Deleted 1 of 2');
    expect(outcome).toHaveTextContent('Not deleted: b.txt — b.txt is busy');
    expect(backend.callsTo('DELETE', /./).map((c) => c.path)).toEqual([
      '/hosts/local/files/data/a.txt',
      '/hosts/local/files/data/b.txt',
    ]);
    // One confirmation for the whole selection: no second question was asked.
    expect(screen.queryByTestId('confirm-body')).toBeNull();
  });

  it('selects every item with the header checkbox', async () => {
    const backend = setup();
    const user = userEvent.setup();
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await screen.findByTestId('file-logs');
    await user.click(screen.getByRole('checkbox', { name: 'Select all' }));
    expect(screen.getByTestId('file-selection')).toHaveTextContent('2 items selected');
  });

  it('shows a big folder from its first page; "select all" waits for the whole folder', async () => {
    const backend = setup();
    const items = Array.from({ length: 150 }, (_, i) => entry(`f${String(i).padStart(3, '0')}`, 'file'));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    backend.on('GET', '/hosts/local/files/data', async (call) => {
      const limit = Number(call.query.get('limit'));
      if (limit > 100) {
        await gate;
        return { body: listing('', items) };
      }
      return { body: { ...listing('', items.slice(0, limit)), total: items.length, limit } };
    });
    const user = userEvent.setup();
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await screen.findByTestId('file-f000');
    const first = backend.callsTo('GET', '/hosts/local/files/data')[0]!;
    expect(Object.fromEntries(first.query)).toMatchObject({ sort: 'name', order: 'asc', limit: '100' });
    // Only 100 of 150 are here: selecting "all" now would silently leave 50 out.
    expect(screen.getByRole('checkbox', { name: 'Select all' })).toBeDisabled();
    release();
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'Select all' })).toBeEnabled());
    await user.click(screen.getByRole('checkbox', { name: 'Select all' }));
    expect(screen.getByTestId('file-selection')).toHaveTextContent('150 items selected');
  });

  it('keeps "select all" off when the whole folder fails after its first page, and says why', async () => {
    const backend = setup();
    const items = Array.from({ length: 150 }, (_, i) => entry(`f${String(i).padStart(3, '0')}`, 'file'));
    backend.on('GET', '/hosts/local/files/data', (call) => {
      const limit = Number(call.query.get('limit'));
      if (limit > 100) return problem('unavailable', 503, 'the agent went away');
      return { body: { ...listing('', items.slice(0, limit)), total: items.length, limit } };
    });
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await screen.findByTestId('file-f000');
    expect(await screen.findByText(/the agent went away/)).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Select all' })).toBeDisabled();
  });

  it('sorts by size largest first on the first click, folders kept on top', async () => {
    const backend = setup();
    backend.on('GET', '/hosts/local/files/data', {
      body: listing('', [entry('small', 'file', 5), entry('dir', 'dir'), entry('big', 'file', 500)]),
    });
    const user = userEvent.setup();
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await screen.findByTestId('file-big');
    const names = () =>
      screen.getAllByTestId(/^file-(small|dir|big)$/).map((r) => r.getAttribute('data-testid'));
    expect(names()).toEqual(['file-dir', 'file-big', 'file-small']);
    await user.click(screen.getByRole('button', { name: 'Size' }));
    expect(names()).toEqual(['file-dir', 'file-big', 'file-small']);
    await user.click(screen.getByRole('button', { name: /Size/ }));
    expect(names()).toEqual(['file-dir', 'file-small', 'file-big']);
  });

  it('shows a root at / as /etc, not etc', async () => {
    const backend = setup();
    backend.on('GET', '/hosts/local/files', {
      body: { ...ROOTS, items: [{ name: 'root', path: '/', writable: false, writeRole: 'admin' }] },
    });
    backend.on('GET', '/hosts/local/files/root/etc', { body: { ...listing('etc', []), root: 'root' } });
    renderPage(<FilesPage />, { backend, at: 'files?host=local&root=root&path=etc' });
    const crumbs = await screen.findByTestId('breadcrumbs');
    await waitFor(() => expect(crumbs).toHaveTextContent('/etc'));
  });

  it('asks before closing the editor throws away unsaved edits (Escape: see the browser test)', async () => {
    const backend = setup();
    backend.on('GET', '/hosts/local/files/data/notes.txt', {
      body: { content: 'theirs', etag: '"v1"', size: 6, mtime: '2024-01-01T00:00:00Z' },
      headers: { ETag: '"v1"' },
    });
    const user = userEvent.setup();
    renderPage(<FilesPage />, { backend, at: 'files?host=local' });
    await user.click(
      within(await screen.findByTestId('file-notes.txt')).getByRole('button', { name: 'notes.txt' }),
    );
    const editor = await screen.findByTestId('monaco-stand-in');
    await user.type(editor, ' and mine');
    await user.click(screen.getByRole('button', { name: /close/i }));
    expect(await screen.findByText('Discard your changes?')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByTestId('monaco-stand-in')).toHaveValue('theirs and mine');
  });
});
