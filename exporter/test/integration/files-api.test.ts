/**
 * Issue 4's files, end to end on a real temporary tree: every operation through the full
 * pipeline of a real exporter (roles, validation, audit), read back from the disk.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient, type ApiFixture } from '../support/api.js';
import { filesConfig, leftovers, rawRequest, snapshot, tempTree, type RawResponse } from './files-fixture.js';

const PROBLEM = 'urn:hyperion:problem:';

interface Info {
  name: string;
  path: string;
  type: string;
  size: number;
  mode: string;
  permissions: string;
  owner: string | null;
  group: string | null;
  uid: number;
  mtime: string;
  linkTarget?: string;
  targetType?: string;
}
interface Listing {
  kind: string;
  root: string;
  path: string;
  breadcrumbs: { name: string; path: string }[];
  entry: Info;
  total: number;
  offset: number;
  limit: number;
  items: Info[];
}

describe('files through the control API', () => {
  const tree = tempTree('hyperion-files-api-');
  // A second file system, so a move across roots really crosses devices (EXDEV).
  const shm = tempTree('hyperion-files-shm-', existsSync('/dev/shm') ? '/dev/shm' : undefined);
  const data = path.join(tree.dir, 'data');
  const ops = path.join(tree.dir, 'ops');
  const ro = path.join(tree.dir, 'ro');
  let api: ApiFixture;

  const put = (
    client: ApiClient,
    apiPath: string,
    body: Buffer | string,
    headers: Record<string, string> = {},
  ) =>
    rawRequest(api.exporter.port, {
      method: 'PUT',
      path: `/api/v1${apiPath}`,
      headers: {
        authorization: `Bearer ${client.token}`,
        'content-type': 'application/octet-stream',
        ...headers,
      },
      body,
    });
  const get = (client: ApiClient, apiPath: string, headers: Record<string, string> = {}) =>
    rawRequest(api.exporter.port, {
      method: 'GET',
      path: `/api/v1${apiPath}`,
      headers: { authorization: `Bearer ${client.token}`, ...headers },
    });
  const json = <T>(res: RawResponse) => JSON.parse(res.text) as T;

  before(async () => {
    for (const d of [data, ops, ro]) mkdirSync(d);
    writeFileSync(path.join(ro, 'readme.txt'), 'read me\n');
    mkdirSync(path.join(ro, 'docs'));
    writeFileSync(path.join(ro, 'docs', 'file10.txt'), 'ten');
    writeFileSync(path.join(ro, 'docs', 'file2.txt'), 'two two');
    writeFileSync(path.join(ro, 'docs', 'File1.txt'), 'one');
    mkdirSync(path.join(ro, 'docs', 'zdir'));
    symlinkSync('file2.txt', path.join(ro, 'docs', 'alias'));
    symlinkSync('zdir', path.join(ro, 'docs', 'dirlink'));
    symlinkSync('nowhere', path.join(ro, 'docs', 'broken'));
    chmodSync(path.join(ro, 'docs', 'file10.txt'), 0o4750);
    api = await startApi({
      config: filesConfig([
        { name: 'data', path: data, writable: true },
        { name: 'ops', path: ops, writable: true, writeRole: 'operator' },
        { name: 'ro', path: ro },
        { name: 'shm', path: shm.dir, writable: true },
        { name: 'private', path: data, readRole: 'operator' },
      ]),
    });
  });
  after(async () => {
    await api?.stop();
    tree.remove();
    shm.remove();
  });

  it('lists the roots of a host a role may read, with who may read and write in each', async () => {
    const res = await api.viewer.call<{
      items: { name: string; readRole: string; writable: boolean; writeRole: string | null }[];
    }>('get', '/hosts/local/files');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body.items.map((r) => [r.name, r.readRole, r.writable, r.writeRole]),
      [
        ['data', 'viewer', true, 'admin'],
        ['ops', 'viewer', true, 'operator'],
        ['ro', 'viewer', false, null],
        ['shm', 'viewer', true, 'admin'],
      ],
    );
    // A root with readRole operator is not even named to a viewer, and refuses it.
    const operator = await api.operator.call<{ items: { name: string }[] }>('get', '/hosts/local/files');
    assert.ok(operator.body.items.some((r) => r.name === 'private'));
    const refused = await api.viewer.call<{ type: string }>('get', '/hosts/local/files/private/');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.type, `${PROBLEM}role`);
    assert.equal((await api.operator.call('get', '/hosts/local/files/private/')).status, 200);
    const unknown = await api.viewer.call('get', '/hosts/elsewhere/files');
    assert.equal(unknown.status, 404);
  });

  it('lists a directory: types, modes, owners, link targets, breadcrumbs, natural sort and paging', async () => {
    const res = await api.viewer.call<Listing>('get', '/hosts/local/files/ro/docs');
    assert.equal(res.status, 200, res.text);
    const l = res.body;
    assert.equal(l.kind, 'directory');
    assert.deepEqual(l.breadcrumbs, [
      { name: 'ro', path: '' },
      { name: 'docs', path: 'docs' },
    ]);
    // Directories (and links to them) first, then names as people sort them (2 before 10).
    assert.deepEqual(
      l.items.map((i) => i.name),
      ['dirlink', 'zdir', 'alias', 'broken', 'File1.txt', 'file2.txt', 'file10.txt'],
    );
    const byName = new Map(l.items.map((i) => [i.name, i]));
    const ten = byName.get('file10.txt')!;
    assert.equal(ten.type, 'file');
    assert.equal(ten.size, 3);
    assert.equal(ten.mode, '4750');
    assert.equal(ten.permissions, '-rwsr-x---');
    assert.equal(ten.path, 'docs/file10.txt');
    assert.equal(ten.owner, 'root');
    assert.equal(ten.group, 'root');
    assert.equal(ten.mtime, new Date(statSync(path.join(ro, 'docs', 'file10.txt')).mtimeMs).toISOString());
    assert.deepEqual(
      [byName.get('alias')!.linkTarget, byName.get('alias')!.targetType],
      ['file2.txt', 'file'],
    );
    assert.equal(byName.get('dirlink')!.targetType, 'dir');
    assert.equal(byName.get('broken')!.targetType, 'broken');
    assert.equal(byName.get('zdir')!.permissions[0], 'd');

    const bySize = await api.viewer.call<Listing>(
      'get',
      '/hosts/local/files/ro/docs?sort=size&order=desc&dirsFirst=false&offset=1&limit=2',
    );
    assert.equal(bySize.status, 200, bySize.text);
    assert.equal(bySize.body.total, 7);
    assert.equal(bySize.body.items.length, 2);
    const sizes = bySize.body.items.map((i) => i.size);
    assert.ok(sizes[0]! >= sizes[1]!, `descending: ${sizes.join(',')}`);

    const rootListing = await api.viewer.call<Listing>('get', '/hosts/local/files/ro');
    assert.equal(rootListing.status, 200);
    assert.equal(rootListing.body.entry.name, 'ro');
    assert.equal(rootListing.body.path, '');
    assert.deepEqual(
      rootListing.body.items.map((i) => i.path),
      ['docs', 'readme.txt'],
    );

    const file = await api.viewer.call<{ kind: string; entry: Info }>(
      'get',
      '/hosts/local/files/ro/docs/alias',
    );
    assert.equal(file.body.kind, 'file');
    assert.equal(file.body.entry.size, 7, 'a link shows what it leads to');
  });

  it('lists 10 000 entries well under a second', async () => {
    const big = path.join(data, 'big');
    mkdirSync(big);
    for (let i = 0; i < 10_000; i += 1) writeFileSync(path.join(big, `f${i}`), '');
    const timings: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      const started = performance.now();
      const res = await api.viewer.call<Listing>('get', '/hosts/local/files/data/big?limit=10000');
      timings.push(performance.now() - started);
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 10_000);
      assert.equal(res.body.items.length, 10_000);
      assert.equal(res.body.items[9_999]!.name, 'f9999');
    }
    timings.sort((a, b) => a - b);
    // The floor is the kernel's: `ls -l` stats the same 10 000 files. On an idle machine both take
    // a fraction of a second; on a loaded one (2 shared cores) the bound follows ls.
    const lsStarted = performance.now();
    execFileSync('ls', ['-l', big], { stdio: 'ignore' });
    const ls = performance.now() - lsStarted;
    const median = timings[1]!;
    console.log(
      `10 000-entry listing through the API: ${timings.map((t) => `${t.toFixed(0)} ms`).join(', ')}; ls -l: ${ls.toFixed(0)} ms`,
    );
    assert.ok(median < Math.max(1000, 3 * ls), `median ${median.toFixed(0)} ms, ls -l ${ls.toFixed(0)} ms`);
  });

  it('downloads a file whole and by Range, with its type and disposition', async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    writeFileSync(path.join(data, 'blob.bin'), bytes);
    writeFileSync(path.join(data, 'rapport é.txt'), 'hello');

    const whole = await get(api.viewer, '/hosts/local/files/data/blob.bin?download');
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, bytes);
    assert.equal(whole.headers['content-type'], 'application/octet-stream');
    assert.equal(whole.headers['content-length'], '1000');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.match(String(whole.headers['content-disposition']), /^attachment; filename="blob.bin"/);
    assert.equal(whole.headers['x-content-type-options'], 'nosniff');

    const part = await get(api.viewer, '/hosts/local/files/data/blob.bin?download', {
      range: 'bytes=100-199',
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 100-199/1000');
    assert.deepEqual(part.body, bytes.subarray(100, 200));

    const tail = await get(api.viewer, '/hosts/local/files/data/blob.bin?download', { range: 'bytes=-10' });
    assert.equal(tail.status, 206);
    assert.deepEqual(tail.body, bytes.subarray(990));

    const open = await get(api.viewer, '/hosts/local/files/data/blob.bin?download', { range: 'bytes=900-' });
    assert.equal(open.headers['content-range'], 'bytes 900-999/1000');
    assert.equal(open.body.length, 100);

    const outside = await get(api.viewer, '/hosts/local/files/data/blob.bin?download', {
      range: 'bytes=1000-',
    });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers['content-range'], 'bytes */1000');
    assert.equal(json<{ type: string }>(outside).type, `${PROBLEM}range-not-satisfiable`);

    const text = await get(
      api.viewer,
      `/hosts/local/files/data/${encodeURIComponent('rapport é.txt')}?download=inline`,
    );
    assert.equal(text.status, 200);
    assert.equal(text.text, 'hello');
    assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(
      text.headers['content-disposition'],
      `inline; filename="rapport _.txt"; filename*=UTF-8''rapport%20%C3%A9.txt`,
    );
    assert.match(String(text.headers['content-security-policy']), /sandbox/);

    const dir = await get(api.viewer, '/hosts/local/files/data/big?download');
    assert.equal(dir.status, 400);
  });

  it('reads a text file with an ETag and saves it only with a current one (412 otherwise)', async () => {
    writeFileSync(path.join(data, 'app.conf'), 'port = 80\n');
    const read = await get(api.viewer, '/hosts/local/files/data/app.conf?text');
    assert.equal(read.status, 200, read.text);
    const body = json<{ content: string; etag: string }>(read);
    assert.equal(body.content, 'port = 80\n');
    assert.equal(read.headers.etag, body.etag);

    // Two editors opened the same version; the first saves.
    const first = await put(api.admin, '/hosts/local/files/data/app.conf', 'port = 8080\n', {
      'if-match': body.etag,
    });
    assert.equal(first.status, 200, first.text);
    const saved = json<{ etag: string; created: boolean }>(first);
    assert.equal(saved.created, false);
    assert.equal(first.headers.etag, saved.etag);
    assert.notEqual(saved.etag, body.etag);

    // The second still holds the old tag: refused, and the first one's change is kept.
    const second = await put(api.admin, '/hosts/local/files/data/app.conf', 'port = 9090\n', {
      'if-match': body.etag,
    });
    assert.equal(second.status, 412, second.text);
    assert.equal(json<{ etag: string }>(second).etag, saved.etag, 'the answer carries the current tag');
    assert.equal(readFileSync(path.join(data, 'app.conf'), 'utf8'), 'port = 8080\n');
    assert.deepEqual(leftovers(data), []);

    // With the current tag it goes through.
    const third = await put(api.admin, '/hosts/local/files/data/app.conf', 'port = 9090\n', {
      'if-match': saved.etag,
    });
    assert.equal(third.status, 200);
    assert.equal(readFileSync(path.join(data, 'app.conf'), 'utf8'), 'port = 9090\n');

    writeFileSync(path.join(data, 'binary.dat'), Buffer.from([0x41, 0x00, 0x42]));
    const binary = await get(api.viewer, '/hosts/local/files/data/binary.dat?text');
    assert.equal(binary.status, 409);
    assert.equal(json<{ reason: string }>(binary).reason, 'not-text');
    writeFileSync(path.join(data, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    assert.equal((await get(api.viewer, '/hosts/local/files/data/latin1.txt?text')).status, 409);
  });

  it('uploads: creates (201), refuses to clobber (409), replaces on request, creates parents', async () => {
    const created = await put(api.admin, '/hosts/local/files/data/up/new.txt?parents=true', 'first');
    assert.equal(created.status, 201, created.text);
    assert.equal(json<{ entry: Info }>(created).entry.size, 5);
    assert.equal(readFileSync(path.join(data, 'up', 'new.txt'), 'utf8'), 'first');

    const clobber = await put(api.admin, '/hosts/local/files/data/up/new.txt', 'second');
    assert.equal(clobber.status, 409);
    assert.equal(readFileSync(path.join(data, 'up', 'new.txt'), 'utf8'), 'first');

    const createOnly = await put(api.admin, '/hosts/local/files/data/up/new.txt?overwrite=true', 'x', {
      'if-none-match': '*',
    });
    assert.equal(createOnly.status, 412);

    const replaced = await put(api.admin, '/hosts/local/files/data/up/new.txt?overwrite=true', 'second');
    assert.equal(replaced.status, 200);
    assert.equal(readFileSync(path.join(data, 'up', 'new.txt'), 'utf8'), 'second');

    const noParent = await put(api.admin, '/hosts/local/files/data/nope/deeper/x.txt', 'x');
    assert.equal(noParent.status, 404);
    assert.equal(existsSync(path.join(data, 'nope')), false);

    const ontoDir = await put(api.admin, '/hosts/local/files/data/up?overwrite=true', 'x');
    assert.equal(ontoDir.status, 409);
    const ontoRoot = await put(api.admin, '/hosts/local/files/data', 'x');
    assert.equal(ontoRoot.status, 400);

    const empty = await put(api.admin, '/hosts/local/files/data/up/empty', '');
    assert.equal(empty.status, 201);
    assert.equal(statSync(path.join(data, 'up', 'empty')).size, 0);
    assert.deepEqual(leftovers(data), []);
  });

  it('creates directories, renames, moves within and across roots (another file system) and copies', async () => {
    const mk = await api.admin.call('post', '/hosts/local/file-operations/mkdir', {
      body: { root: 'data', path: 'proj' },
    });
    assert.equal(mk.status, 201, mk.text);
    assert.ok(statSync(path.join(data, 'proj')).isDirectory());
    const again = await api.admin.call('post', '/hosts/local/file-operations/mkdir', {
      body: { root: 'data', path: 'proj' },
    });
    assert.equal(again.status, 409);
    const deep = await api.admin.call('post', '/hosts/local/file-operations/mkdir', {
      body: { root: 'data', path: 'proj/a/b/c', parents: true },
    });
    assert.equal(deep.status, 201, deep.text);
    assert.ok(statSync(path.join(data, 'proj/a/b/c')).isDirectory());

    writeFileSync(path.join(data, 'proj', 'notes.md'), '# notes');
    const rename = await api.admin.call<{ items: { entry: Info }[] }>(
      'post',
      '/hosts/local/file-operations/move',
      {
        body: {
          items: [
            { from: { root: 'data', path: 'proj/notes.md' }, to: { root: 'data', path: 'proj/README.md' } },
          ],
        },
      },
    );
    assert.equal(rename.status, 200, rename.text);
    assert.equal(rename.body.items[0]!.entry.name, 'README.md');
    assert.deepEqual(readdirSync(path.join(data, 'proj')).sort(), ['README.md', 'a']);

    // Several rows dropped onto a folder: one request.
    writeFileSync(path.join(data, 'proj', 'x1'), '1');
    writeFileSync(path.join(data, 'proj', 'x2'), '2');
    const drop = await api.admin.call('post', '/hosts/local/file-operations/move', {
      body: {
        items: ['x1', 'x2'].map((n) => ({
          from: { root: 'data', path: `proj/${n}` },
          to: { root: 'data', path: `proj/a/${n}` },
        })),
      },
    });
    assert.equal(drop.status, 200, drop.text);
    assert.deepEqual(readdirSync(path.join(data, 'proj', 'a')).sort(), ['b', 'x1', 'x2']);

    // Across roots, onto another file system: copied, then the source removed.
    assert.notEqual(statSync(data).dev, statSync(shm.dir).dev, 'the shm root is on another file system');
    const across = await api.admin.call('post', '/hosts/local/file-operations/move', {
      body: { items: [{ from: { root: 'data', path: 'proj/a' }, to: { root: 'shm', path: 'moved' } }] },
    });
    assert.equal(across.status, 200, across.text);
    assert.equal(existsSync(path.join(data, 'proj', 'a')), false);
    assert.equal(readFileSync(path.join(shm.dir, 'moved', 'x2'), 'utf8'), '2');
    assert.ok(statSync(path.join(shm.dir, 'moved', 'b', 'c')).isDirectory());
    assert.deepEqual(leftovers(shm.dir), []);

    // And back into a root that operators may write, as a copy.
    const copy = await api.admin.call('post', '/hosts/local/file-operations/copy', {
      body: { items: [{ from: { root: 'shm', path: 'moved' }, to: { root: 'ops', path: 'copied' } }] },
    });
    assert.equal(copy.status, 200, copy.text);
    assert.equal(readFileSync(path.join(ops, 'copied', 'x1'), 'utf8'), '1');
    assert.equal(readFileSync(path.join(shm.dir, 'moved', 'x1'), 'utf8'), '1', 'a copy keeps its source');

    const intoItself = await api.admin.call('post', '/hosts/local/file-operations/move', {
      body: {
        items: [{ from: { root: 'ops', path: 'copied' }, to: { root: 'ops', path: 'copied/b/inner' } }],
      },
    });
    assert.equal(intoItself.status, 400);

    writeFileSync(path.join(data, 'proj', 'keep'), 'keep');
    const clash = await api.admin.call('post', '/hosts/local/file-operations/copy', {
      body: {
        items: [{ from: { root: 'data', path: 'proj/README.md' }, to: { root: 'data', path: 'proj/keep' } }],
      },
    });
    assert.equal(clash.status, 409);
    assert.equal(readFileSync(path.join(data, 'proj', 'keep'), 'utf8'), 'keep');
    const overwrite = await api.admin.call('post', '/hosts/local/file-operations/copy', {
      body: {
        items: [{ from: { root: 'data', path: 'proj/README.md' }, to: { root: 'data', path: 'proj/keep' } }],
        overwrite: true,
      },
    });
    assert.equal(overwrite.status, 200, overwrite.text);
    assert.equal(readFileSync(path.join(data, 'proj', 'keep'), 'utf8'), '# notes');
    assert.deepEqual(leftovers(data), []);
  });

  it('deletes files and links; a directory only with recursive=true', async () => {
    mkdirSync(path.join(data, 'trash', 'inner'), { recursive: true });
    writeFileSync(path.join(data, 'trash', 'inner', 'f'), 'f');
    writeFileSync(path.join(data, 'lonely'), 'x');
    symlinkSync(ro, path.join(data, 'to-ro'));

    const file = await api.admin.call('delete', '/hosts/local/files/data/lonely');
    assert.equal(file.status, 200, file.text);
    assert.equal(existsSync(path.join(data, 'lonely')), false);

    // The link goes, what it points to stays.
    const link = await api.admin.call('delete', '/hosts/local/files/data/to-ro');
    assert.equal(link.status, 200, link.text);
    assert.ok(existsSync(path.join(ro, 'readme.txt')));

    const dir = await api.admin.call('delete', '/hosts/local/files/data/trash');
    assert.equal(dir.status, 409);
    assert.ok(existsSync(path.join(data, 'trash', 'inner', 'f')));
    const recursive = await api.admin.call('delete', '/hosts/local/files/data/trash?recursive=true');
    assert.equal(recursive.status, 200, recursive.text);
    assert.equal(existsSync(path.join(data, 'trash')), false);

    assert.equal((await api.admin.call('delete', '/hosts/local/files/data/trash')).status, 404);
    assert.equal((await api.admin.call('delete', '/hosts/local/files/data?recursive=true')).status, 400);
    assert.ok(existsSync(data), 'a root is never deleted');
  });

  it('applies each root’s write role, refuses read-only roots, and audits every write', async () => {
    const viewer = await put(api.viewer, '/hosts/local/files/ops/v.txt', 'v');
    assert.equal(viewer.status, 403);
    const operatorOps = await put(api.operator, '/hosts/local/files/ops/op.txt', 'op');
    assert.equal(operatorOps.status, 201, operatorOps.text);
    const operatorData = await put(api.operator, '/hosts/local/files/data/op.txt', 'op');
    assert.equal(operatorData.status, 403, operatorData.text);
    assert.match(json<{ detail: string }>(operatorData).detail, /admin/);
    const crossRoot = await api.operator.call('post', '/hosts/local/file-operations/move', {
      body: { items: [{ from: { root: 'ops', path: 'op.txt' }, to: { root: 'data', path: 'op.txt' } }] },
    });
    assert.equal(crossRoot.status, 403, 'moving into an admin root needs admin');
    assert.ok(existsSync(path.join(ops, 'op.txt')));

    const readOnly = await put(api.admin, '/hosts/local/files/ro/new.txt', 'x');
    assert.equal(readOnly.status, 409);
    assert.match(json<{ detail: string }>(readOnly).detail, /read-only/);
    const rmReadOnly = await api.admin.call('delete', '/hosts/local/files/ro/readme.txt');
    assert.equal(rmReadOnly.status, 409);
    assert.ok(existsSync(path.join(ro, 'readme.txt')));

    const lines = api.auditLines();
    const uploads = lines.filter((l) => l.action === 'file.upload');
    assert.ok(
      uploads.some((l) => l.result === 'ok' && l.target === 'ops:/op.txt' && l.actor === 'test-operator'),
    );
    assert.ok(uploads.some((l) => l.result === 'refused' && l.target === 'data:/op.txt'));
    assert.ok(
      lines.some(
        (l) => l.action === 'file.move' && l.result === 'ok' && String(l.target).includes('shm:/moved'),
      ),
    );
    assert.ok(
      lines.some((l) => l.action === 'file.delete' && l.result === 'ok' && l.target === 'data:/trash'),
    );
    assert.ok(lines.some((l) => l.action === 'file.mkdir' && l.result === 'ok' && l.target === 'data:/proj'));
    assert.ok(lines.some((l) => l.action === 'file.copy' && l.result === 'ok'));
  });

  it('answers bad requests with a clear 4xx and changes nothing', async () => {
    const before = snapshot(tree.dir);
    const cases: { res: Promise<{ status: number; text: string }>; status: number }[] = [
      { res: api.viewer.call('get', '/hosts/local/files/nosuchroot/x'), status: 404 },
      { res: api.viewer.call('get', '/hosts/local/files/data/missing'), status: 404 },
      { res: api.viewer.call('get', '/hosts/local/files/data/a%00b'), status: 400 },
      { res: api.viewer.call('get', '/hosts/local/files/data/big?limit=0'), status: 400 },
      { res: api.viewer.call('get', '/hosts/local/files/data/big?sort=owner'), status: 400 },
      { res: api.viewer.call('get', '/hosts/local/files/data/app.conf?text&download'), status: 400 },
      {
        res: api.admin.call('post', '/hosts/local/file-operations/mkdir', {
          body: { root: 'data', path: '../x' },
        }),
        status: 400,
      },
      {
        res: api.admin.call('post', '/hosts/local/file-operations/mkdir', {
          body: { root: 'data', path: 'a\nb' },
        }),
        status: 400,
      },
      {
        res: api.admin.call('post', '/hosts/local/file-operations/move', { body: { items: [] } }),
        status: 400,
      },
      {
        // The second item clashes: the first must not have moved either.
        res: api.admin.call('post', '/hosts/local/file-operations/move', {
          body: {
            items: [
              { from: { root: 'data', path: 'app.conf' }, to: { root: 'data', path: 'app2.conf' } },
              { from: { root: 'data', path: 'blob.bin' }, to: { root: 'data', path: 'proj/keep' } },
            ],
          },
        }),
        status: 409,
      },
      {
        res: api.admin.call('post', '/hosts/local/file-operations/copy', {
          body: { items: [{ from: { root: 'data', path: 'missing' }, to: { root: 'data', path: 'x' } }] },
        }),
        status: 404,
      },
      {
        res: api.admin.call('put', '/hosts/local/files/data/x?overwrite=maybe', { rawBody: 'x' }),
        status: 400,
      },
    ];
    for (const [i, c] of cases.entries()) {
      const res = await c.res;
      assert.equal(res.status, c.status, `case ${i}: ${res.text}`);
      assert.ok(JSON.parse(res.text).detail, `case ${i} says why`);
    }
    assert.deepEqual(snapshot(tree.dir), before);
  });
});
