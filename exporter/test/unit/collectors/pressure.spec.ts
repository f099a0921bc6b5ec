import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pressureCollector } from '../../../src/collectors/pressure.js';
import { collect, family, tree, value } from '../helpers.js';

describe('pressure collector', () => {
  it('exports PSI totals in seconds (microseconds / 1e6)', async () => {
    const { families } = await collect(pressureCollector, tree('captured'));
    assert.equal(value(families, 'hyperion_pressure_cpu_waiting_seconds_total'), 64.435828);
    assert.equal(value(families, 'hyperion_pressure_cpu_stalled_seconds_total'), 0);
    assert.equal(value(families, 'hyperion_pressure_io_waiting_seconds_total'), 4.983092);
    assert.equal(value(families, 'hyperion_pressure_io_stalled_seconds_total'), 3.981677);
    assert.equal(value(families, 'hyperion_pressure_memory_waiting_seconds_total'), 0);
    assert.equal(families.length, 6);
    assert.ok(families.every((f) => f.type === 'counter'));
  });

  it('has no series, and does not fail, without /proc/pressure', async () => {
    const { families } = await collect(pressureCollector, tree('netns'));
    assert.deepEqual(families, []);
  });

  it('drops only the malformed lines', async () => {
    const { families, skips } = await collect(pressureCollector, tree('malformed'));
    assert.equal(value(families, 'hyperion_pressure_cpu_waiting_seconds_total'), 64.435828);
    assert.equal(family(families, 'hyperion_pressure_cpu_stalled_seconds_total'), undefined);
    assert.equal(family(families, 'hyperion_pressure_memory_waiting_seconds_total'), undefined);
    assert.equal(value(families, 'hyperion_pressure_memory_stalled_seconds_total'), 3.981677);
    assert.equal(value(families, 'hyperion_pressure_io_stalled_seconds_total'), 0);
    assert.deepEqual(
      skips.map((s) => s.file),
      ['pressure/cpu', 'pressure/memory', 'pressure/memory', 'pressure/io'],
    );
  });
});
