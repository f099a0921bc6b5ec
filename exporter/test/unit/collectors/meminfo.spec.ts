import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meminfoCollector } from '../../../src/collectors/meminfo.js';
import { collect, family, tree, value } from '../helpers.js';

describe('meminfo collector', () => {
  it('exports the captured /proc/meminfo in bytes (kB × 1024)', async () => {
    const { families } = await collect(meminfoCollector, tree('captured'));
    const bytes = (name: string): number | undefined => value(families, `hyperion_memory_${name}_bytes`);
    assert.equal(bytes('total'), 24683620 * 1024);
    assert.equal(bytes('available'), 24207428 * 1024);
    assert.equal(bytes('free'), 23924376 * 1024);
    assert.equal(bytes('buffers'), 5184 * 1024);
    assert.equal(bytes('cached'), 447476 * 1024);
    assert.equal(bytes('shared'), 8952 * 1024);
    // No swap on this VM: zero, and still exported.
    assert.equal(bytes('swap_total'), 0);
    assert.equal(bytes('swap_free'), 0);
    assert.equal(family(families, 'hyperion_memory_total_bytes')?.type, 'gauge');
  });

  it('drops the series whose lines are malformed and keeps the rest', async () => {
    const { families, skips } = await collect(meminfoCollector, tree('malformed'));
    assert.equal(value(families, 'hyperion_memory_total_bytes'), 24683620 * 1024);
    assert.equal(value(families, 'hyperion_memory_available_bytes'), 24069132 * 1024);
    for (const name of ['free', 'buffers', 'cached', 'swap_free']) {
      assert.equal(family(families, `hyperion_memory_${name}_bytes`), undefined, name);
    }
    assert.deepEqual(
      skips.map((s) => s.file),
      ['meminfo', 'meminfo', 'meminfo', 'meminfo'],
    );
  });
});
