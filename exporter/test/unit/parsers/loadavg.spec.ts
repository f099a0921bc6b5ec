import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLoadavg } from '../../../src/parsers/loadavg.js';
import { readFixture } from '../helpers.js';

describe('parseLoadavg', () => {
  it('reads the captured /proc/loadavg', () => {
    // "1.68 1.06 0.55 1/141 15202"
    assert.deepEqual(parseLoadavg(readFixture('captured/proc/loadavg')), {
      load1: 1.68,
      load5: 1.06,
      load15: 0.55,
      runnable: 1,
      entities: 141,
    });
  });

  it('throws on a truncated file: it is one line, there is nothing to skip to', () => {
    assert.throws(() => parseLoadavg(readFixture('malformed/proc/loadavg')), /malformed \/proc\/loadavg/);
  });
});
