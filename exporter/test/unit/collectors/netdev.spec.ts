import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { netdevCollector } from '../../../src/collectors/netdev.js';
import { collect, family, labelValues, tempDir, tree, value } from '../helpers.js';

const COUNTERS = ['bytes', 'packets', 'errs', 'drop'];

describe('netdev collector', () => {
  it('exports the captured counters, link state and MTU', async () => {
    const { families } = await collect(netdevCollector, tree('captured'));
    const eth0 = { device: 'eth0' };
    assert.equal(value(families, 'hyperion_network_receive_bytes_total', eth0), 411514824);
    assert.equal(value(families, 'hyperion_network_receive_packets_total', eth0), 12993);
    assert.equal(value(families, 'hyperion_network_transmit_bytes_total', eth0), 866414);
    assert.equal(value(families, 'hyperion_network_transmit_packets_total', eth0), 7914);
    for (const direction of ['receive', 'transmit']) {
      for (const c of COUNTERS) {
        const f = family(families, `hyperion_network_${direction}_${c}_total`);
        assert.equal(f?.type, 'counter');
        assert.deepEqual(labelValues(families, f!.name, 'device'), ['eth0', 'ifb0', 'ifb1', 'lo']);
      }
    }
    // operstate: eth0 "up", ifb0/ifb1 "down", lo "unknown".
    assert.equal(value(families, 'hyperion_network_up', eth0), 1);
    assert.equal(value(families, 'hyperion_network_up', { device: 'ifb0' }), 0);
    assert.equal(value(families, 'hyperion_network_up', { device: 'lo' }), 0);
    assert.equal(value(families, 'hyperion_network_mtu_bytes', eth0), 1400);
    assert.equal(value(families, 'hyperion_network_mtu_bytes', { device: 'lo' }), 65536);
  });

  it('has no speed series for a speed of -1 (virtio) or an unreadable speed (EINVAL)', async () => {
    const { families } = await collect(netdevCollector, tree('captured'));
    assert.equal(family(families, 'hyperion_network_speed_bytes'), undefined);
  });

  it('exports a real link speed in bytes per second, and a device named "a|b"', async () => {
    const { families } = await collect(netdevCollector, tree('netns'));
    // veth reports 10000 (Mbit/s).
    assert.equal(value(families, 'hyperion_network_speed_bytes', { device: 'v1' }), 1.25e9);
    assert.deepEqual(labelValues(families, 'hyperion_network_speed_bytes', 'device'), ['v1', 'v2']);
    assert.equal(value(families, 'hyperion_network_receive_drop_total', { device: 'a|b' }), 1);
    assert.equal(value(families, 'hyperion_network_mtu_bytes', { device: 'a|b' }), 1500);
  });

  it('exports only counters for a device that sysfs does not know', async () => {
    // /proc/net/dev of the namespace, /sys of the host: only lo is in both.
    const { families } = await collect(netdevCollector, {
      procfs: tree('netns').procfs,
      sysfs: tree('captured').sysfs,
    });
    assert.equal(value(families, 'hyperion_network_transmit_bytes_total', { device: 'v1' }), 266);
    assert.deepEqual(labelValues(families, 'hyperion_network_up', 'device'), ['lo']);
    assert.deepEqual(labelValues(families, 'hyperion_network_mtu_bytes', 'device'), ['lo']);
  });

  it('skips malformed /proc/net/dev lines', async () => {
    const { families, skips } = await collect(netdevCollector, {
      procfs: tree('malformed').procfs,
      sysfs: tree('captured').sysfs,
    });
    assert.deepEqual(labelValues(families, 'hyperion_network_receive_bytes_total', 'device'), ['ifb0', 'lo']);
    assert.equal(skips.length, 4);
    assert.ok(skips.every((s) => s.file === 'net/dev'));
  });

  it('fails when sysfs has no class/net (its contract: no link state without it)', async () => {
    const empty = tempDir();
    try {
      await assert.rejects(
        collect(netdevCollector, { procfs: tree('captured').procfs, sysfs: empty.dir }),
        /ENOENT/,
      );
    } finally {
      empty.cleanup();
    }
  });
});
