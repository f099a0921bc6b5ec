/**
 * The files manager on a real temporary tree through a real LocalHost: the embedded default
 * roots, containment decisions, streamed uploads that fail every way an upload can (limit, a
 * broken stream, a silent client) without leaving anything, moves across file systems (EXDEV)
 * and a copy that fails half-way. Where a failure cannot be produced for real (EXDEV on one
 * file system, a copy dying in the middle), a LocalHost subclass injects it at that one call.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/config/load.js';
import type { HostFiles } from '../../../src/hosts/host.js';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { FileManager, fileSettings, type FileSettings } from '../../../src/managers/files/index.js';
import { isHyperionError, type HyperionError } from '../../../src/util/errors.js';
import { leftovers, snapshot, tempTree } from '../../integration/files-fixture.js';

const tree = tempTree('hyperion-files-unit-');
after(() => tree.remove());

function settings(
  roots: { name: string; path: string; writable?: boolean }[],
  extra: Partial<FileSettings> = {},
): FileSettings {
  return {
    roots: roots.map((r) => ({
      name: r.name,
      path: r.path,
      readRole: 'viewer',
      writable: r.writable ?? true,
      writeRole: 'admin',
      hosts: undefined,
      createOnDemand: false,
    })),
    uploadLimitBytes: 1024,
    textLimitBytes: 1024,
    uploadIdleMs: 5000,
    ...extra,
  };
}

function fresh(name: string): string {
  const dir = path.join(tree.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function refusal(promise: Promise<unknown>): Promise<HyperionError> {
  try {
    await promise;
  } catch (error) {
    if (isHyperionError(error)) return error;
    throw error;
  }
  assert.fail('expected a refusal');
}

describe('the embedded default roots', () => {
  it('is only the files directory inside the data directory, for admins, created on first use', async () => {
    const storage = path.join(tree.dir, 'storage');
    const s = fileSettings(defaultConfig().files, storage);
    const local = new FileManager(new LocalHost(), s);
    assert.deepEqual(
      local.roots('admin').items.map((r) => [r.name, r.path, r.readRole, r.writable, r.writeRole]),
      [['data', path.join(storage, 'files'), 'admin', true, 'admin']],
    );
    // Roots a role may not read are not even named to it.
    assert.deepEqual(local.roots('operator').items, []);
    assert.deepEqual(local.roots('viewer').items, []);
    assert.equal(s.uploadLimitBytes, 1024 ** 3);
    assert.equal(local.readRole('data'), 'admin');
    assert.equal(existsSync(path.join(storage, 'files')), false);
    const listing = await local.get({ root: 'data', path: '' });
    assert.equal(listing.kind, 'directory');
    assert.ok(statSync(path.join(storage, 'files')).isDirectory(), 'created on demand');
    // The data directory is the exporter's own: a remote host does not have it.
    const remote = new FileManager(new LocalHost({}, 'web1'), s);
    assert.deepEqual(
      remote.roots('admin').items.map((r) => r.name),
      [],
    );
    assert.equal((await refusal(remote.get({ root: 'data', path: '' }))).status, 404);
  });
});

describe('containment decisions', () => {
  const root = fresh('c-root');
  const outside = fresh('c-outside');
  writeFileSync(path.join(outside, 'secret'), 'secret');
  writeFileSync(path.join(root, 'file'), 'inside');
  symlinkSync(outside, path.join(root, 'out'));
  symlinkSync(path.join(outside, 'secret'), path.join(root, 'secretlink'));
  symlinkSync('file', path.join(root, 'alias'));
  symlinkSync(path.join(outside, 'nothing-yet'), path.join(root, 'dangling'));
  const m = new FileManager(new LocalHost(), settings([{ name: 'r', path: root }]));

  it('refuses to read through a link that leaves the root, and follows one that stays', async () => {
    for (const p of ['out', 'out/secret', 'secretlink']) {
      const e = await refusal(m.get({ root: 'r', path: p }));
      assert.equal(e.status, 400, p);
      assert.match(e.message, /leads outside root "r"/);
      assert.equal((await refusal(m.readText({ root: 'r', path: p }))).status, 400);
      assert.equal((await refusal(m.openDownload({ root: 'r', path: p }, undefined))).status, 400);
    }
    const text = await m.readText({ root: 'r', path: 'alias' });
    assert.equal(text.content, 'inside');
  });

  it('refuses to write through a link that leaves the root, or a dangling one', async () => {
    const before = snapshot(outside);
    const body = () => Readable.from([Buffer.from('pwned')]);
    for (const p of ['out/new', 'secretlink', 'dangling', 'out/deeper/new']) {
      const e = await refusal(m.upload({ root: 'r', path: p }, body(), { overwrite: true, parents: true }));
      assert.equal(e.status, 400, `${p}: ${e.message}`);
    }
    assert.equal((await refusal(m.mkdir({ root: 'r', path: 'out/dir' }, true))).status, 400);
    assert.equal((await refusal(m.mkdir({ root: 'r', path: 'dangling' }, false))).status, 409);
    assert.deepEqual(snapshot(outside), before);
  });

  it('deletes and moves a link itself, never what it points to', async () => {
    await m.remove({ root: 'r', path: 'secretlink' }, false);
    assert.equal(existsSync(path.join(root, 'secretlink')), false);
    assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'secret');
    await m.move([{ from: { root: 'r', path: 'out' }, to: { root: 'r', path: 'renamed-link' } }], false);
    assert.ok(existsSync(path.join(outside, 'secret')));
    assert.equal((await refusal(m.remove({ root: 'r', path: 'renamed-link/secret' }, false))).status, 400);
    assert.ok(existsSync(path.join(outside, 'secret')));
  });
});

describe('streamed uploads that fail', () => {
  const dir = fresh('u-root');
  const m = new FileManager(new LocalHost(), settings([{ name: 'u', path: dir }], { uploadIdleMs: 300 }));

  it('refuses a body past the limit (413) and keeps nothing', async () => {
    const e = await refusal(
      m.upload({ root: 'u', path: 'big' }, Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), {
        overwrite: false,
        parents: false,
      }),
    );
    assert.equal(e.status, 413);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('keeps nothing when the body stream breaks half-way', async () => {
    async function* broken() {
      yield Buffer.from('half of it');
      throw new Error('connection reset');
    }
    const e = await refusal(
      m.upload({ root: 'u', path: 'half' }, Readable.from(broken()), { overwrite: false, parents: true }),
    );
    assert.equal(e.status, 400);
    assert.match(e.message, /cut off after 10 bytes/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('abandons a body that stops arriving, and keeps nothing', async () => {
    const silent = new PassThrough();
    silent.write('a little');
    // The idle timer does not hold a process open (a server's sockets do); this test's must.
    const alive = setInterval(() => undefined, 1000);
    const e = await refusal(
      m.upload({ root: 'u', path: 'silent' }, silent, { overwrite: false, parents: false }),
    ).finally(() => clearInterval(alive));
    assert.match(e.message, /stalled/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('checks a stale If-Match before reading a byte of the body', async () => {
    writeFileSync(path.join(dir, 'conf'), 'v1');
    const body = new PassThrough();
    const e = await refusal(
      m.upload({ root: 'u', path: 'conf' }, body, { overwrite: false, parents: false, ifMatch: '"stale"' }),
    );
    assert.equal(e.status, 412);
    assert.equal(body.readableFlowing, null, 'the body was never read');
    assert.equal(readFileSync(path.join(dir, 'conf'), 'utf8'), 'v1');
  });

  it('replaces a file in place, keeping its mode but never its set-id bits', async () => {
    writeFileSync(path.join(dir, 'tool'), 'old');
    const { chmodSync } = await import('node:fs');
    chmodSync(path.join(dir, 'tool'), 0o4750);
    const result = await m.upload({ root: 'u', path: 'tool' }, Readable.from([Buffer.from('new')]), {
      overwrite: true,
      parents: false,
    });
    assert.equal(result.created, false);
    assert.equal(readFileSync(path.join(dir, 'tool'), 'utf8'), 'new');
    assert.equal(statSync(path.join(dir, 'tool')).mode & 0o7777, 0o750);
  });
});

/** A LocalHost whose file access is the real one but for the operations given. */
function withFiles(overrides: (real: HostFiles) => Partial<HostFiles>): LocalHost {
  const host = new LocalHost();
  const real = host.files;
  const files: HostFiles = {
    realpath: (...a) => real.realpath(...a),
    lstat: (...a) => real.lstat(...a),
    stat: (...a) => real.stat(...a),
    list: (...a) => real.list(...a),
    read: (...a) => real.read(...a),
    create: (...a) => real.create(...a),
    mkdir: (...a) => real.mkdir(...a),
    rename: (...a) => real.rename(...a),
    copy: (...a) => real.copy(...a),
    remove: (...a) => real.remove(...a),
    ...overrides(real),
  };
  Object.defineProperty(host, 'files', { value: files });
  return host;
}

/** rename(2) failing with EXDEV across the two given directories, as across devices. */
function twoDevices(
  a: string,
  b: string,
  more: (real: HostFiles) => Partial<HostFiles> = () => ({}),
): LocalHost {
  const side = (p: string) => (p.startsWith(a) ? 'a' : p.startsWith(b) ? 'b' : '?');
  return withFiles((real) => ({
    async rename(fromRoot, from, toRoot, to) {
      if (side(from) !== side(to))
        throw Object.assign(new Error(`EXDEV: ${from} -> ${to}`), { code: 'EXDEV' });
      return real.rename(fromRoot, from, toRoot, to);
    },
    ...more(real),
  }));
}

/** A copy that writes part of the tree and then fails, as a full disk would. */
function failingCopy(): LocalHost {
  return withFiles(() => ({
    async copy(_fromRoot, _from, _toRoot, to) {
      mkdirSync(to);
      writeFileSync(path.join(to, 'partial'), 'half');
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    },
  }));
}

describe('moving across file systems and failing copies', () => {
  it('moves across devices by copying whole, then removing the source', async () => {
    const a = fresh('x-a');
    const b = fresh('x-b');
    mkdirSync(path.join(a, 'tree', 'deep'), { recursive: true });
    writeFileSync(path.join(a, 'tree', 'deep', 'f'), 'payload');
    const m = new FileManager(
      twoDevices(a, b),
      settings([
        { name: 'a', path: a },
        { name: 'b', path: b },
      ]),
    );
    const result = await m.move(
      [{ from: { root: 'a', path: 'tree' }, to: { root: 'b', path: 'moved' } }],
      false,
    );
    assert.equal(result.items[0]!.entry.type, 'dir');
    assert.equal(readFileSync(path.join(b, 'moved', 'deep', 'f'), 'utf8'), 'payload');
    assert.equal(existsSync(path.join(a, 'tree')), false);
    assert.deepEqual(leftovers(b), []);
  });

  it('leaves neither a partial copy nor a changed source when a copy fails half-way', async () => {
    const a = fresh('y-a');
    mkdirSync(path.join(a, 'src'));
    writeFileSync(path.join(a, 'src', 'f'), 'data');
    const before = snapshot(a);
    const m = new FileManager(failingCopy(), settings([{ name: 'a', path: a }]));
    const e = await refusal(
      m.copy([{ from: { root: 'a', path: 'src' }, to: { root: 'a', path: 'dst' } }], false),
    );
    assert.equal(e.status, 503);
    assert.match(e.message, /no space left/);
    assert.deepEqual(snapshot(a), before);
  });

  it('stops a batch at the first failure and says which items were done', async () => {
    const a = fresh('z-a');
    writeFileSync(path.join(a, 'one'), '1');
    mkdirSync(path.join(a, 'two'));
    const b = fresh('z-b');
    const secondFails = twoDevices(a, b, () => ({
      async copy(): Promise<void> {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    }));
    const m = new FileManager(
      secondFails,
      settings([
        { name: 'a', path: a },
        { name: 'b', path: b },
      ]),
    );
    const e = await refusal(
      m.move(
        [
          { from: { root: 'a', path: 'one' }, to: { root: 'a', path: 'uno' } },
          { from: { root: 'a', path: 'two' }, to: { root: 'b', path: 'dos' } },
        ],
        false,
      ),
    );
    assert.equal(e.status, 409);
    assert.match(e.message, /1 earlier item\(s\) done/);
    assert.deepEqual(
      (e.extra?.done as { to: { path: string } }[]).map((d) => d.to.path),
      ['uno'],
    );
    assert.ok(existsSync(path.join(a, 'two')), 'the failed item stays where it was');
  });
});

describe('kernel files and the editor limit', () => {
  it('never serves a kernel file system, even through a root configured on it', async () => {
    const m = new FileManager(
      new LocalHost(),
      settings([{ name: 'self', path: '/proc/self', writable: false }], { textLimitBytes: 64 * 1024 }),
    );
    for (const read of [
      () => m.readText({ root: 'self', path: 'status' }),
      () => m.openDownload({ root: 'self', path: 'environ' }, undefined),
      () => m.get({ root: 'self', path: '' }),
    ]) {
      const e = await refusal(read());
      assert.equal(e.status, 403);
      assert.equal(e.type, 'forbidden');
    }
  });

  it('refuses a file larger than the editor limit, and one that grew past it', async () => {
    const dir = fresh('k-editor');
    writeFileSync(path.join(dir, 'big'), 'x'.repeat(64));
    const m = new FileManager(new LocalHost(), settings([{ name: 'r', path: dir }], { textLimitBytes: 16 }));
    const e = await refusal(m.readText({ root: 'r', path: 'big' }));
    assert.equal(e.status, 409);
    assert.equal(e.extra?.reason, 'too-large');
    writeFileSync(path.join(dir, 'small'), 'x'.repeat(16));
    assert.equal((await m.readText({ root: 'r', path: 'small' })).content, 'x'.repeat(16));
  });
});
