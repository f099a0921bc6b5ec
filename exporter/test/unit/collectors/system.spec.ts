import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemCollector } from '../../../src/collectors/system.js';
import { collect, family, tree, value } from '../helpers.js';

describe('system collector', () => {
  it('exports boot time and the host identity of the captured tree', async () => {
    const { families } = await collect(systemCollector, tree('captured'));
    assert.equal(value(families, 'hyperion_boot_time_seconds'), 1795490537);
    assert.deepEqual(family(families, 'hyperion_host_info')?.samples, [
      {
        labels: {
          hostname: 'vm',
          os: 'Debian GNU/Linux 12 (bookworm)',
          kernel: '6.18.44-fc-v782',
          arch: 'x86_64',
          machine_id: '3d1219c7c4c5404aaa1f6d2a48adfda4',
        },
        value: 1,
      },
    ]);
  });

  it('exports the clock as seconds since the epoch', async () => {
    const before = Date.now() / 1000;
    const { families } = await collect(systemCollector, tree('captured'));
    const after = Date.now() / 1000;
    const time = value(families, 'hyperion_time_seconds');
    assert.ok(time !== undefined && time >= before && time <= after, `${time} in [${before}, ${after}]`);
  });

  it('falls back to usr/lib/os-release, and unquotes PRETTY_NAME', async () => {
    const { families } = await collect(systemCollector, {
      procfs: tree('captured').procfs,
      rootfs: tree('constructed').rootfs,
    });
    const info = family(families, 'hyperion_host_info')?.samples[0]?.labels;
    assert.equal(info?.os, 'Hyperion "Test" Linux 1.0 ($edition \\ `tick`)');
    // No etc/machine-id in that tree: an empty label, not a failure.
    assert.equal(info?.machine_id, '');
    assert.equal(info?.hostname, 'vm');
  });

  it('fails without /proc/stat', async () => {
    await assert.rejects(collect(systemCollector, tree('netns')), /ENOENT/);
  });
});
