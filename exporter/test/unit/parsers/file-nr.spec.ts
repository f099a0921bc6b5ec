import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFileNr } from '../../../src/parsers/file-nr.js';
import { readFixture } from '../helpers.js';

describe('parseFileNr', () => {
  it('reads the captured file-nr, whose maximum systemd set to LONG_MAX', () => {
    // "851\t0\t9223372036854775807"
    assert.deepEqual(parseFileNr(readFixture('captured/proc/sys/fs/file-nr')), {
      allocated: 851,
      unused: 0,
      maximum: 2 ** 63, // LONG_MAX (9223372036854775807) as a double
    });
  });

  it('throws on a file that is not three numbers', () => {
    assert.throws(() => parseFileNr('851\t0\n'), /malformed \/proc\/sys\/fs\/file-nr/);
    assert.throws(() => parseFileNr('851 x 1000'), /malformed/);
  });
});
