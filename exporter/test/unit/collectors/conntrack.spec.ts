import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conntrackCollector } from '../../../src/collectors/conntrack.js';
import { collect, family, tempDir, tree, value } from '../helpers.js';

describe('conntrack collector', () => {
  it('exports the table’s use and limit captured in a namespace with five tracked connections', async () => {
    const { families } = await collect(conntrackCollector, tree('netns'));
    assert.equal(value(families, 'hyperion_nf_conntrack_entries'), 5);
    assert.equal(value(families, 'hyperion_nf_conntrack_entries_limit'), 262144);
    assert.equal(value(families, 'hyperion_nf_conntrack_stat_drop_total'), 0);
  });

  it('sums the per-CPU counters node_exporter exports', async () => {
    const { families } = await collect(conntrackCollector, tree('constructed'));
    assert.equal(value(families, 'hyperion_nf_conntrack_entries'), 41459);
    assert.equal(value(families, 'hyperion_nf_conntrack_entries_limit'), 65536);
    const stat = (name: string) => value(families, `hyperion_nf_conntrack_stat_${name}_total`);
    assert.deepEqual(
      ['found', 'invalid', 'ignore', 'insert', 'insert_failed', 'drop', 'early_drop', 'search_restart'].map(
        stat,
      ),
      [0x10 + 0x20 + 0xff, 0x1a + 6 + 1, 0x3e8 + 0x18, 0, 3, 5, 5, 3],
    );
    assert.equal(family(families, 'hyperion_nf_conntrack_stat_drop_total')?.type, 'counter');
  });

  it('returns no series, without failing, where nf_conntrack is not loaded', async () => {
    const empty = tempDir();
    try {
      assert.deepEqual((await collect(conntrackCollector, { procfs: empty.dir })).families, []);
    } finally {
      empty.cleanup();
    }
  });
});
