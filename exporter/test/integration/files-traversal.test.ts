/**
 * Containment under attack: a corpus of well over 100 paths — "..", its encodings and double
 * encodings, absolute paths, symlinks leading outside, symlink loops, NUL and control bytes,
 * overlong names — each sent raw (no client normalisation) through every file operation: list,
 * download, text, upload, delete, mkdir, move, copy. Zero escapes, checked from the outside:
 * a secret planted next to the root never appears in any answer, and the tree outside the
 * root (and /, /etc, /tmp) is byte-for-byte, mtime-for-mtime, what it was.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiFixture } from '../support/api.js';
import { filesConfig, rawRequest, sha256, snapshot, tempTree, type RawResponse } from './files-fixture.js';

const MARK = `hyperion-pwned-${randomBytes(4).toString('hex')}`;
const SECRET = `SECRET-${randomBytes(12).toString('hex')}`;
const INNER = `INNER-${randomBytes(12).toString('hex')}`;
/** A name in the outside directory that no corpus path mentions: seen only if it is listed. */
const LISTED = `listed-${randomBytes(12).toString('hex')}`;

/** Path tricks, written as they go on the wire (percent-encoded where it matters). */
function corpus(): string[] {
  const dots = [
    '..',
    '../..',
    '../outside',
    '../outside/secret.txt',
    `../outside/${MARK}`,
    '../../../../../../etc/passwd',
    '%2e%2e',
    '%2e%2e/outside/secret.txt',
    '%2E%2E%2Foutside%2Fsecret.txt',
    '.%2e/outside/secret.txt',
    '%2e./outside/secret.txt',
    '%252e%252e/outside/secret.txt',
    '%252e%252e%252foutside%252fsecret.txt',
    '..%2f..%2fetc%2fpasswd',
    '..%2foutside%2fsecret.txt',
    '..%5coutside%5csecret.txt',
    '%c0%ae%c0%ae/outside/secret.txt',
    '%e0%80%ae%e0%80%ae/outside',
    '%c0%2e%c0%2e/outside',
    '..%00/outside/secret.txt',
    '..%20/outside',
    '.',
    './ok.txt',
    `./${MARK}`,
    'sub/..',
    'sub/../..',
    'sub/../../outside/secret.txt',
    `sub/./../../outside/${MARK}`,
    'ok.txt/..',
    'ok.txt/../../outside/secret.txt',
  ];
  const absolute = [
    '/etc/passwd',
    '/etc',
    `/tmp/${MARK}`,
    '%2fetc%2fpasswd',
    '%2F..%2F..%2Fetc%2Fpasswd',
    '//outside/secret.txt',
    '%2f%2foutside',
    'sub//../../outside',
  ];
  const bytes = [
    '%00',
    'ok.txt%00',
    'ok.txt%00.png',
    '%00/../outside/secret.txt',
    `a%0a${MARK}`,
    'a%0db',
    'a%09b',
    '%7f',
    '%c2%85',
    '%c2%9f',
    '%1b%5b31m',
    'out%00/secret.txt',
  ];
  const long = [
    'x'.repeat(256),
    '%C3%A9'.repeat(128),
    `${'a'.repeat(200)}/`.repeat(21),
    'x'.repeat(5000),
    `${'../'.repeat(300)}etc/passwd`,
  ];
  const links = [
    'out',
    'out/',
    'out/secret.txt',
    'out/sub',
    'out/sub/inner.txt',
    `out/${MARK}`,
    `out/sub/${MARK}`,
    'out%2fsecret.txt',
    'secretlink',
    'abs',
    'abs/passwd',
    `abs/${MARK}`,
    'rootlink',
    'rootlink/etc/passwd',
    `rootlink/tmp/${MARK}`,
    `rootlink/etc/${MARK}`,
    'rootlink%2fetc%2fpasswd',
    'loop1',
    'loop1/x',
    `loop2/${MARK}`,
    'self',
    'self/x',
    'dangling',
    'dangdir',
    'sub/upup',
    'sub/upup/outside/secret.txt',
    `sub/upup/${MARK}`,
    'sub/up/out/secret.txt',
    'sub/up/sub/upup/outside',
    'sub/up/secretlink',
    'sub/deep/far',
    'sub/deep/far/secret.txt',
    `sub/deep/far/${MARK}`,
    'relabs',
    'relabs/secret.txt',
  ];
  const odd = ['%EF%BC%8E%EF%BC%8E/outside', '%E2%80%AE', '%20..', '...', '....//outside', '.../outside'];
  // The same dot tricks from deeper down the tree.
  const deeper = dots.slice(0, 16).flatMap((t) => [`sub/${t}`, `sub/deep/${t}`]);
  return [...dots, ...absolute, ...bytes, ...long, ...links, ...odd, ...deeper];
}

/** What the body-taking operations receive: the same path, decoded once as a client would. */
function decoded(wire: string): string {
  try {
    return decodeURIComponent(wire);
  } catch {
    return wire;
  }
}

describe('no path escapes its root', () => {
  const tree = tempTree('hyperion-files-traversal-');
  const inside = path.join(tree.dir, 'inside');
  const outside = path.join(tree.dir, 'outside');
  let api: ApiFixture;

  /** The root's own content, rebuilt after every corpus path (moves and deletes inside are allowed). */
  function buildInside(): void {
    rmSync(inside, { recursive: true, force: true });
    mkdirSync(path.join(inside, 'sub', 'deep'), { recursive: true });
    writeFileSync(path.join(inside, 'ok.txt'), 'inside ok');
    writeFileSync(path.join(inside, 'victim.txt'), 'victim');
    symlinkSync('..', path.join(inside, 'sub', 'up'));
    symlinkSync('../..', path.join(inside, 'sub', 'upup'));
    symlinkSync('../../../outside', path.join(inside, 'sub', 'deep', 'far'));
    symlinkSync('../outside', path.join(inside, 'out'));
    symlinkSync('../outside/secret.txt', path.join(inside, 'secretlink'));
    symlinkSync(outside, path.join(inside, 'relabs'));
    symlinkSync('/etc', path.join(inside, 'abs'));
    symlinkSync('/', path.join(inside, 'rootlink'));
    symlinkSync('loop2', path.join(inside, 'loop1'));
    symlinkSync('loop1', path.join(inside, 'loop2'));
    symlinkSync('self', path.join(inside, 'self'));
    symlinkSync(`../outside/${MARK}`, path.join(inside, 'dangling'));
    symlinkSync(`../outside/${MARK}-dir/x`, path.join(inside, 'dangdir'));
  }

  /** Nothing named after the marker anywhere a link in the root could lead. */
  function marked(): string[] {
    const places = ['/', '/etc', '/tmp', tree.dir, outside, path.join(outside, 'sub')];
    return places.flatMap((dir) =>
      readdirSync(dir)
        .filter((n) => n.includes(MARK))
        .map((n) => path.join(dir, n)),
    );
  }

  before(async () => {
    mkdirSync(path.join(outside, 'sub'), { recursive: true });
    writeFileSync(path.join(outside, 'secret.txt'), SECRET);
    writeFileSync(path.join(outside, 'sub', 'inner.txt'), INNER);
    writeFileSync(path.join(outside, LISTED), '');
    writeFileSync(path.join(outside, 'sub', LISTED), '');
    buildInside();
    api = await startApi({ config: filesConfig([{ name: 'in', path: inside, writable: true }]) });
  });
  after(async () => {
    await api?.stop();
    tree.remove();
  });

  it('refuses every trick in every operation: nothing outside is read or changed', async () => {
    const paths = corpus();
    assert.ok(paths.length >= 100, `only ${paths.length} paths`);
    const outsideBefore = snapshot(outside);
    const passwdBefore = sha256(readFileSync('/etc/passwd'));
    const headers = { authorization: `Bearer ${api.admin.token}` };
    const send = (method: string, apiPath: string, body?: string, contentType?: string) =>
      rawRequest(api.exporter.port, {
        method,
        path: `/api/v1${apiPath}`,
        headers: contentType ? { ...headers, 'content-type': contentType } : headers,
        ...(body === undefined ? {} : { body }),
      });
    const op = (name: string, body: unknown) =>
      send('POST', `/hosts/local/file-operations/${name}`, JSON.stringify(body), 'application/json');

    // Contents of files outside, and names only a listing of an outside directory can show (the
    // corpus itself may legitimately create "outside/secret.txt" inside the root, under "%2e%2e").
    const leaks = [SECRET, INNER, LISTED, 'root:x:0:0', '"name":"os-release"', '"name":"proc"'];
    let requests = 0;
    let served = 0;
    const statuses = new Map<number, number>();
    for (const wire of paths) {
      const p = decoded(wire);
      const base = `/hosts/local/files/in/${wire}`;
      const answers: [string, RawResponse][] = [
        ['list', await send('GET', base)],
        ['download', await send('GET', `${base}?download`)],
        ['text', await send('GET', `${base}?text`)],
        [
          'upload',
          await send('PUT', `${base}?overwrite=true&parents=true`, MARK, 'application/octet-stream'),
        ],
        ['delete', await send('DELETE', `${base}?recursive=true`)],
        ['mkdir', await op('mkdir', { root: 'in', path: p, parents: true })],
        [
          'move from',
          await op('move', {
            items: [{ from: { root: 'in', path: p }, to: { root: 'in', path: 'caught' } }],
          }),
        ],
        [
          'move to',
          await op('move', {
            items: [{ from: { root: 'in', path: 'victim.txt' }, to: { root: 'in', path: p } }],
            overwrite: true,
          }),
        ],
        [
          'copy from',
          await op('copy', {
            items: [{ from: { root: 'in', path: p }, to: { root: 'in', path: 'caught' } }],
          }),
        ],
        [
          'copy to',
          await op('copy', {
            items: [{ from: { root: 'in', path: 'ok.txt' }, to: { root: 'in', path: p } }],
            overwrite: true,
          }),
        ],
      ];
      for (const [what, res] of answers) {
        requests += 1;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status < 300) served += 1;
        assert.ok(res.status < 500, `${what} ${wire.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`);
        for (const leak of leaks) {
          assert.ok(
            !res.text.includes(leak),
            `${what} ${wire.slice(0, 80)} leaked ${leak}: ${res.text.slice(0, 300)}`,
          );
        }
      }
      assert.deepEqual(
        snapshot(outside),
        outsideBefore,
        `the outside tree changed after ${wire.slice(0, 80)}`,
      );
      assert.deepEqual(marked(), [], `something was created outside the root by ${wire.slice(0, 80)}`);
      buildInside();
    }
    // The root names are paths too.
    for (const root of ['..', '%2e%2e', '..%2f..%2fetc', '%2fetc', 'in%2f..', 'in%00']) {
      const res = await send('GET', `/hosts/local/files/${root}/passwd?download`);
      requests += 1;
      assert.ok(res.status >= 400 && res.status < 500, `root ${root} → ${res.status}`);
      for (const leak of leaks) assert.ok(!res.text.includes(leak), `root ${root} leaked`);
    }

    assert.equal(sha256(readFileSync('/etc/passwd')), passwdBefore);
    console.log(
      `${paths.length} paths, ${requests} requests: ${served} served (inside the root), statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    // The corpus is hostile, but a few of its paths are legitimately inside (sub/up/… leads back
    // in): the answer must be a containment decision, not a blanket refusal.
    assert.ok(served > 0 && served < requests / 4, `${served} of ${requests} served`);
  });

  it('still serves what really is inside, through links that stay inside', async () => {
    const res = await send200('/hosts/local/files/in/sub/up/ok.txt?download');
    assert.equal(res.text, 'inside ok');
  });

  async function send200(apiPath: string): Promise<RawResponse> {
    const res = await rawRequest(api.exporter.port, {
      method: 'GET',
      path: `/api/v1${apiPath}`,
      headers: { authorization: `Bearer ${api.admin.token}` },
    });
    assert.equal(res.status, 200, res.text);
    return res;
  }
});
