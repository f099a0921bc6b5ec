/**
 * The pure rules of the files manager: what a path may look like (and that the published
 * pattern agrees with the checks), HTTP ranges, tags, download headers, ls-style permissions,
 * natural sorting and paging, /etc/group.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { parseGroup } from '../../../src/parsers/group.js';
import { contentDisposition, contentType } from '../../../src/managers/files/content.js';
import { etagOfBytes, ifMatchSatisfied } from '../../../src/managers/files/etag.js';
import { permissionString, type FileInfo } from '../../../src/managers/files/info.js';
import { naturalCompare, pageOf, sortEntries } from '../../../src/managers/files/listing.js';
import { REL_PATH_PATTERN, relPathProblem, splitRelPath } from '../../../src/managers/files/names.js';
import { parseRange } from '../../../src/managers/files/range.js';
import { isHyperionError } from '../../../src/util/errors.js';

describe('paths inside a root', () => {
  const valid = [
    '',
    '/',
    'a',
    'a/',
    'a/b/c',
    '...',
    '.hidden',
    'a..b',
    '..a',
    'é/ü',
    '💥',
    'x'.repeat(255),
    '-rf',
    'a b',
  ];
  const invalid: [string, RegExp][] = [
    ['/a', /leading/],
    ['a//b', /empty segments/],
    ['a/b//', /empty segments/],
    ['..', /"\.\."/],
    ['.', /"\."/],
    ['a/../b', /"\.\."/],
    ['a/./b', /"\."/],
    ['a/..', /"\.\."/],
    ['a\u0000b', /U\+0000/],
    ['a\nb', /U\+000A/],
    ['a\u007fb', /U\+007F/],
    ['a\u0085b', /U\+0085/],
    ['x'.repeat(256), /255 bytes/],
    ['é'.repeat(128), /255 bytes/],
    [`${'a'.repeat(200)}/`.repeat(21), /4095 bytes/],
  ];

  it('accepts ordinary names and refuses dot segments, controls, empty segments and overlong names', () => {
    for (const p of valid) assert.equal(relPathProblem(p), undefined, JSON.stringify(p));
    for (const [p, why] of invalid)
      assert.match(relPathProblem(p) ?? 'accepted', why, JSON.stringify(p.slice(0, 40)));
  });

  it('publishes a pattern that agrees with the checks (character lengths aside)', () => {
    for (const p of valid) assert.ok(REL_PATH_PATTERN.test(p), JSON.stringify(p));
    // The pattern counts characters, not bytes: multi-byte overlong names are the checks' job.
    for (const [p] of invalid.filter(([p]) => !p.startsWith('é') && Buffer.byteLength(p) < 4096)) {
      assert.ok(!REL_PATH_PATTERN.test(p), JSON.stringify(p.slice(0, 40)));
    }
    // The JSON Schema consumer (and the fuzz test) compile it with the u flag.
    assert.ok(new RegExp(REL_PATH_PATTERN.source, 'u').test('a/b'));
  });

  it('splits into segments, tolerating one trailing slash, and names the field when refusing', () => {
    assert.deepEqual(splitRelPath(''), []);
    assert.deepEqual(splitRelPath('/'), []);
    assert.deepEqual(splitRelPath('a/b/'), ['a', 'b']);
    assert.throws(
      () => splitRelPath('../x', 'body/items/0/from/path'),
      (e: unknown) => isHyperionError(e) && e.status === 400 && e.field === 'body/items/0/from/path',
    );
  });
});

describe('HTTP ranges', () => {
  it('serves one range, clamps its end, and refuses what lies past the end', () => {
    assert.deepEqual(parseRange(undefined, 100), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-200', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-500', 100), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=100-200', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  });

  it('ignores what the RFC lets a server ignore: other units, several ranges, nonsense', () => {
    for (const h of [
      'items=0-1',
      'bytes=0-1,5-6',
      'bytes=5-1',
      'bytes=a-b',
      'bytes=-',
      'bytes=99999999999999999999-',
    ]) {
      assert.deepEqual(parseRange(h, 100), { kind: 'full' }, h);
    }
  });
});

describe('entity tags', () => {
  it('compares strongly, accepts lists and *, and never matches a weak tag or a missing file', () => {
    const tag = etagOfBytes(Buffer.from('hello'));
    assert.match(tag, /^"[A-Za-z0-9_-]{43}"$/);
    assert.notEqual(tag, etagOfBytes(Buffer.from('hello!')));
    assert.ok(ifMatchSatisfied(tag, tag));
    assert.ok(ifMatchSatisfied(`"other", ${tag}`, tag));
    assert.ok(ifMatchSatisfied('*', tag));
    assert.ok(!ifMatchSatisfied('"other"', tag));
    assert.ok(!ifMatchSatisfied(`W/${tag}`, tag));
    assert.ok(!ifMatchSatisfied('*', undefined));
  });
});

describe('download headers', () => {
  it('types files by extension, and unknown ones as octet-stream', () => {
    assert.equal(contentType('notes.TXT'), 'text/plain; charset=utf-8');
    assert.equal(contentType('a.tar.gz'), 'application/gzip');
    assert.equal(contentType('.bashrc'), 'application/octet-stream');
    assert.equal(contentType('Makefile'), 'application/octet-stream');
    assert.equal(contentType('x.exe'), 'application/octet-stream');
  });

  it('gives an ASCII fallback name and the exact UTF-8 one (RFC 6266/8187)', () => {
    assert.equal(
      contentDisposition('attachment', 'a.txt'),
      `attachment; filename="a.txt"; filename*=UTF-8''a.txt`,
    );
    assert.equal(
      contentDisposition('attachment', 'naïve "q" 100%.txt'),
      `attachment; filename="na_ve _q_ 100_.txt"; filename*=UTF-8''na%C3%AFve%20%22q%22%20100%25.txt`,
    );
    assert.equal(
      contentDisposition('inline', "it's(1)*"),
      `inline; filename="it's(1)*"; filename*=UTF-8''it%27s%281%29%2A`,
    );
  });
});

describe('permissions as ls prints them', () => {
  it('shows type, rwx, set-id and sticky bits', () => {
    assert.equal(permissionString('file', 0o644), '-rw-r--r--');
    assert.equal(permissionString('dir', 0o755), 'drwxr-xr-x');
    assert.equal(permissionString('symlink', 0o777), 'lrwxrwxrwx');
    assert.equal(permissionString('file', 0o4755), '-rwsr-xr-x');
    assert.equal(permissionString('file', 0o2644), '-rw-r-Sr--');
    assert.equal(permissionString('dir', 0o1777), 'drwxrwxrwt');
    assert.equal(permissionString('dir', 0o1776), 'drwxrwxrwT');
    assert.equal(permissionString('other', 0o600), '?rw-------');
  });
});

describe('sorting a listing', () => {
  const f = (name: string, extra: Partial<FileInfo> = {}): FileInfo => ({
    name,
    path: name,
    type: 'file',
    size: 0,
    mode: '0644',
    permissions: '-rw-r--r--',
    uid: 0,
    gid: 0,
    owner: 'root',
    group: 'root',
    mtime: '2024-01-01T00:00:00.000Z',
    ...extra,
  });
  const names = (items: FileInfo[]) => items.map((i) => i.name);

  it('orders names naturally, case folded, with a total order', () => {
    assert.ok(naturalCompare('file2', 'file10') < 0);
    assert.ok(naturalCompare('a007', 'a7') === 0, 'leading zeros are the same number');
    assert.ok(naturalCompare('v1.10', 'v1.9') > 0);
    const sorted = sortEntries([f('b'), f('file10'), f('B'), f('File2'), f('a007'), f('a7')]);
    assert.deepEqual(names(sorted), ['a007', 'a7', 'B', 'b', 'File2', 'file10']);
  });

  it('puts directories and links to them first unless told not to, and breaks ties by name', () => {
    const items = [
      f('z', { size: 5 }),
      f('d', { type: 'dir', size: 4096 }),
      f('l', { type: 'symlink', targetType: 'dir' }),
      f('a', { size: 5 }),
      f('m', { size: 1 }),
    ];
    assert.deepEqual(names(sortEntries(items)), ['d', 'l', 'a', 'm', 'z']);
    assert.deepEqual(names(sortEntries(items, { sort: 'size', order: 'desc' })), ['d', 'l', 'a', 'z', 'm']);
    assert.deepEqual(names(sortEntries(items, { sort: 'size', dirsFirst: false })), [
      'l',
      'm',
      'a',
      'z',
      'd',
    ]);
    assert.deepEqual(pageOf(['a', 'b', 'c', 'd'], 1, 2), ['b', 'c']);
  });
});

describe('/etc/group', () => {
  it('maps gids to names, first entry wins, skipping what is not a group', () => {
    const skipped: string[] = [];
    const groups = parseGroup(
      'root:x:0:\n# comment\nwheel:x:10:alice,bob\nalias:x:10:\n+nis::\nbroken:x:abc:\n\nstaff:*:50:\n',
      (line) => skipped.push(line),
    );
    assert.deepEqual(
      [...groups],
      [
        [0, 'root'],
        [10, 'wheel'],
        [50, 'staff'],
      ],
    );
    assert.deepEqual(skipped, ['+nis::', 'broken:x:abc:']);
  });
});

describe('the files block of the configuration', () => {
  it('takes roots with their write rules and limits', () => {
    const config = parseConfig(
      'files:\n  uploadLimitBytes: 5000\n  roots:\n    - name: logs\n      path: /var/log\n    - name: www\n      path: /srv/www\n      writable: true\n      writeRole: operator\n',
      'test',
    );
    assert.equal(config.files.uploadLimitBytes, 5000);
    assert.deepEqual(
      config.files.roots?.map((r) => [r.name, r.path, r.writable, r.writeRole]),
      [
        ['logs', '/var/log', false, 'admin'],
        ['www', '/srv/www', true, 'operator'],
      ],
    );
  });

  it('refuses relative paths, bad names, duplicates and a viewer write role, naming the key', () => {
    const bad: [string, RegExp][] = [
      ['files:\n  roots:\n    - name: a\n      path: relative/dir\n', /absolute/],
      ['files:\n  roots:\n    - name: ../a\n      path: /a\n', /root name/],
      ['files:\n  roots:\n    - name: a\n      path: /a\n    - name: a\n      path: /b\n', /unique/],
      ['files:\n  roots:\n    - name: a\n      path: /a\n      writeRole: viewer\n', /writeRole/],
      ['files:\n  uploadLimitBytes: 0\n', /uploadLimitBytes/],
      ['files:\n  rootz: []\n', /rootz/],
    ];
    for (const [text, why] of bad) assert.throws(() => parseConfig(text, 'test'), why, text);
  });
});
