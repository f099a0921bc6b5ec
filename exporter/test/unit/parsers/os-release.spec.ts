import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseOsRelease } from '../../../src/parsers/os-release.js';
import { FIXTURES, readFixture } from '../helpers.js';

/** What a real shell makes of the file: os-release(5) is defined as shell-compatible assignments. */
function shellValue(file: string, key: string): string {
  return execFileSync('sh', ['-c', `. "$1"; printf %s "$${key}"`, 'sh', path.join(FIXTURES, file)], {
    encoding: 'utf8',
  });
}

describe('parseOsRelease', () => {
  it('reads the captured Debian /etc/os-release, quoted and unquoted', () => {
    const os = parseOsRelease(readFixture('captured/etc/os-release'));
    assert.equal(os.get('PRETTY_NAME'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(os.get('VERSION_ID'), '12');
    assert.equal(os.get('VERSION_CODENAME'), 'bookworm');
    assert.equal(os.get('ID'), 'debian');
    assert.equal(os.get('BUG_REPORT_URL'), 'https://bugs.debian.org/');
    assert.equal(os.size, 9);
  });

  it('agrees with sh on quotes, escapes, empty values and indentation', () => {
    const file = 'constructed/usr/lib/os-release';
    const os = parseOsRelease(readFixture(file));
    for (const key of ['NAME', 'PRETTY_NAME', 'ID', 'ID_LIKE', 'VERSION_ID', 'BUILD_ID', 'HOME_URL']) {
      assert.equal(os.get(key), shellValue(file, key), key);
    }
    // Spelled out too, so a broken shell cannot make the test pass.
    assert.equal(os.get('PRETTY_NAME'), 'Hyperion "Test" Linux 1.0 ($edition \\ `tick`)');
    assert.equal(os.get('NAME'), 'Hyperion Test Linux');
    assert.equal(os.get('BUILD_ID'), '');
    // Comments and blank lines are not keys.
    assert.deepEqual([...os.keys()].sort(), [
      'ANSI_COLOR',
      'BUILD_ID',
      'HOME_URL',
      'ID',
      'ID_LIKE',
      'NAME',
      'PRETTY_NAME',
      'VERSION_ID',
    ]);
  });
});
