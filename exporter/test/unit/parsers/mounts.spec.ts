import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMounts, unescapeOctal } from '../../../src/parsers/mounts.js';
import { readFixture } from '../helpers.js';

describe('parseMounts', () => {
  it('reads every line of the captured /proc/mounts, duplicates included', () => {
    const skips: string[] = [];
    const mounts = parseMounts(readFixture('captured/proc/mounts'), (line) => skips.push(line));
    assert.deepEqual(skips, []);
    assert.equal(mounts.length, 19);
    assert.deepEqual(
      mounts.find((m) => m.mountpoint === '/'),
      {
        device: '/dev/vda',
        mountpoint: '/',
        fstype: 'ext4',
        options: ['rw', 'relatime', 'discard', 'resv_strict', 'resuid=65534', 'resgid=65534'],
      },
    );
    // The kernel really lists /dev/pts and /dev/shm twice here; the parser reports what it sees.
    assert.equal(mounts.filter((m) => m.mountpoint === '/dev/pts').length, 2);
    assert.equal(mounts.find((m) => m.mountpoint === '/sys/fs/cgroup/unified')?.fstype, 'cgroup2');
  });

  it('decodes the octal escapes the kernel writes for space, tab and backslash', () => {
    const mounts = parseMounts(readFixture('mountns/proc/mounts'));
    const base = '/tmp/hyperion-capture/mnt/';
    const ours = mounts.filter((m) => m.mountpoint.startsWith(base));
    assert.deepEqual(
      ours.map((m) => [m.device, m.mountpoint.slice(base.length)]),
      [
        ['dev with space', 'with space'],
        ['tabbed', 'tab\there'],
        ['backslashed', 'back\\slash'],
        ['first', 'stacked'],
        ['second', 'stacked'],
        ['readonly', 'readonly'],
      ],
    );
    assert.ok(ours.find((m) => m.device === 'readonly')?.options.includes('ro'));
  });

  it('unescapes in one pass: an escaped backslash followed by digits stays as written', () => {
    // A directory literally named "a\040b" appears in /proc/mounts as "a\134040b".
    assert.equal(unescapeOctal('a\\134040b'), 'a\\040b');
    assert.equal(unescapeOctal('x\\040y\\011z\\012'), 'x y\tz\n');
    // Not an escape: fewer than three octal digits.
    assert.equal(unescapeOctal('\\04'), '\\04');
  });

  it('skips lines with fewer than four fields or an empty field', () => {
    const skips: string[] = [];
    const mounts = parseMounts(readFixture('malformed/proc/mounts'), (line) => skips.push(line));
    assert.deepEqual(
      mounts.map((m) => m.mountpoint),
      ['/', '/tmp'],
    );
    assert.deepEqual(skips, [
      'truncated-line-without-fields',
      'tmpfs /run tmpfs',
      'tmpfs  /double-space tmpfs rw 0 0',
    ]);
  });
});
