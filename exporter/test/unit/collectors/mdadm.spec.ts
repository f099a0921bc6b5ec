import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { mdadmCollector } from '../../../src/collectors/mdadm.js';
import type { MetricFamily } from '../../../src/collectors/collector.js';
import { FIXTURES, collect, family, tempDir, value } from '../helpers.js';

const mdstat = (name: string) => collect(mdadmCollector, { procfs: path.join(FIXTURES, 'mdstat', name) });

/** The one state each array is in (the series whose value is 1). */
function states(families: MetricFamily[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of family(families, 'hyperion_md_state')!.samples)
    if (s.value === 1) out[s.labels.device!] = s.labels.state!;
  return out;
}

const disks = (families: MetricFamily[], device: string) =>
  ['active', 'failed', 'spare'].map((state) => value(families, 'hyperion_md_disks', { device, state }));

describe('mdadm collector', () => {
  it('exports healthy arrays: active, every needed disk in sync, fully synced', async () => {
    const { families } = await mdstat('healthy');
    assert.deepEqual(states(families), {
      md0: 'active',
      md1: 'active',
      md2: 'active',
      md3: 'active',
      md4: 'active',
      md5: 'active',
    });
    // six states per array, exactly one of them 1
    assert.equal(family(families, 'hyperion_md_state')!.samples.length, 36);
    assert.deepEqual(disks(families, 'md3'), [3, 0, 1]);
    assert.equal(value(families, 'hyperion_md_disks_required', { device: 'md3' }), 3);
    // raid0: every member needed and working
    assert.deepEqual(disks(families, 'md1'), [2, 0, 0]);
    assert.equal(value(families, 'hyperion_md_disks_required', { device: 'md1' }), 2);
    assert.equal(value(families, 'hyperion_md_blocks', { device: 'md2' }), 4188160);
    assert.equal(value(families, 'hyperion_md_blocks_synced', { device: 'md2' }), 4188160);
    assert.equal(value(families, 'hyperion_md_sync_completed_ratio', { device: 'md2' }), 1);
  });

  it('shows a degraded array: fewer active disks than required, and the failed one', async () => {
    const { families } = await mdstat('degraded');
    assert.deepEqual(states(families), { md0: 'active', md1: 'active', md127: 'inactive' });
    assert.deepEqual(disks(families, 'md0'), [1, 1, 0]);
    assert.equal(value(families, 'hyperion_md_disks_required', { device: 'md0' }), 2);
    assert.deepEqual(disks(families, 'md1'), [2, 0, 0]);
    assert.equal(value(families, 'hyperion_md_disks_required', { device: 'md1' }), 3);
    // inactive: nothing counted as needed or working (its state says it all), its spares listed
    assert.deepEqual(disks(families, 'md127'), [0, 0, 2]);
    assert.equal(value(families, 'hyperion_md_disks_required', { device: 'md127' }), 0);
  });

  it('shows resync progress, and a waiting resync as not started', async () => {
    const { families } = await mdstat('resync');
    assert.deepEqual(states(families), { md0: 'resync', md1: 'resync', md2: 'resync' });
    assert.equal(value(families, 'hyperion_md_blocks_synced', { device: 'md0' }), 2337792);
    assert.equal(value(families, 'hyperion_md_sync_completed_ratio', { device: 'md0' }), 2337792 / 10476544);
    for (const device of ['md1', 'md2']) {
      assert.equal(value(families, 'hyperion_md_blocks_synced', { device }), 0, device);
      assert.equal(value(families, 'hyperion_md_sync_completed_ratio', { device }), 0, device);
    }
  });

  it('shows recovery, check and reshape as their own states with their progress', async () => {
    const { families } = await mdstat('recovery');
    assert.deepEqual(states(families), {
      md0: 'recovering',
      md1: 'recovering',
      md2: 'check',
      md3: 'reshape',
    });
    assert.equal(value(families, 'hyperion_md_sync_completed_ratio', { device: 'md1' }), 325632 / 10476544);
    assert.equal(value(families, 'hyperion_md_sync_completed_ratio', { device: 'md2' }), 0.5);
    assert.deepEqual(disks(families, 'md0'), [1, 0, 0]);
  });

  it('returns no series, without failing, without the md driver', async () => {
    const empty = tempDir();
    try {
      assert.deepEqual((await collect(mdadmCollector, { procfs: empty.dir })).families, []);
    } finally {
      empty.cleanup();
    }
  });
});
