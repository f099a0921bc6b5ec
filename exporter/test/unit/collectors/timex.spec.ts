import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timexFamilies } from '../../../src/collectors/timex.js';
import { parseAdjtimex } from '../../../src/parsers/adjtimex.js';
import { readFixture, value } from '../helpers.js';

const families = (fixture: string) => timexFamilies(parseAdjtimex(readFixture(`timex/${fixture}.txt`)));
const close = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

describe('timex collector', () => {
  it('reports the captured unsynchronised clock as node_exporter does', () => {
    const f = families('captured');
    assert.equal(value(f, 'hyperion_timex_sync_status'), 0);
    assert.equal(value(f, 'hyperion_timex_maxerror_seconds'), 16);
    assert.equal(value(f, 'hyperion_timex_estimated_error_seconds'), 16);
    assert.equal(value(f, 'hyperion_timex_status'), 64);
    assert.equal(value(f, 'hyperion_timex_tick_seconds'), 0.01);
    assert.equal(value(f, 'hyperion_timex_frequency_adjustment_ratio'), 1);
    assert.equal(value(f, 'hyperion_timex_offset_seconds'), 0);
    assert.equal(value(f, 'hyperion_timex_loop_time_constant'), 2);
  });

  it('reads offset and jitter in nanoseconds when STA_NANO is set, and the frequency in scaled ppm', () => {
    const f = families('synced-nano');
    assert.equal(value(f, 'hyperion_timex_sync_status'), 1);
    close(value(f, 'hyperion_timex_offset_seconds'), -52341e-9);
    close(value(f, 'hyperion_timex_frequency_adjustment_ratio'), 1 - 1234567 / 65536 / 1e6);
    close(value(f, 'hyperion_timex_maxerror_seconds'), 0.123456);
    close(value(f, 'hyperion_timex_estimated_error_seconds'), 0.000789);
    assert.equal(value(f, 'hyperion_timex_tai_offset_seconds'), 37);
  });

  it('reads offset in microseconds without STA_NANO', () => {
    const f = families('synced-micro');
    close(value(f, 'hyperion_timex_offset_seconds'), 0.0015);
    close(value(f, 'hyperion_timex_frequency_adjustment_ratio'), 1.00004);
  });

  it('counts a clock about to insert a leap second (TIME_INS) as synchronised', () => {
    assert.equal(value(families('leap-insert'), 'hyperion_timex_sync_status'), 1);
  });
});
