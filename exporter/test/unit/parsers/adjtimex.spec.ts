import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAdjtimex } from '../../../src/parsers/adjtimex.js';
import { readFixture } from '../helpers.js';

describe('parseAdjtimex', () => {
  it('reads the captured answer of an unsynchronised clock field by field', () => {
    const t = parseAdjtimex(readFixture('timex/captured.txt'));
    assert.equal(t.clockState, 5); // TIME_ERROR
    assert.equal(t.maxerror, 16_000_000);
    assert.equal(t.esterror, 16_000_000);
    assert.equal(t.status, 0x40); // STA_UNSYNC
    assert.equal(t.constant, 2);
    assert.equal(t.tolerance, 32_768_000);
    assert.equal(t.tick, 10_000);
    assert.equal(t.tai, 0);
  });

  it('keeps signs and the order of struct timex', () => {
    const t = parseAdjtimex(readFixture('timex/synced-nano.txt'));
    assert.deepEqual(
      [t.clockState, t.offset, t.freq, t.maxerror, t.esterror, t.status, t.constant, t.timeMicros, t.tai],
      [0, -52341, -1234567, 123456, 789, 8193, 7, 123456789, 37],
    );
  });

  it('throws the errno of a failed call and on a line of the wrong shape', () => {
    assert.throws(() => parseAdjtimex(readFixture('timex/eperm.txt')), /adjtimex\(2\) failed: EPERM/);
    assert.throws(() => parseAdjtimex('ok 5 0 0'), /malformed adjtimex answer/);
    assert.throws(() => parseAdjtimex('ok 5 0 0 0 1 1 64 2 1 3 4 5 6 7 8 9 x 0 0 0 0 0'), /malformed/);
  });
});
