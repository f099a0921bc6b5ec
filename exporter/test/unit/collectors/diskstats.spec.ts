import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diskstatsCollector } from '../../../src/collectors/diskstats.js';
import { collect, defaultSettings, labelValues, NOTHING, tree, value } from '../helpers.js';

describe('diskstats collector', () => {
  it('exports the captured disk, converting 512-byte sectors to bytes and ms to seconds', async () => {
    const { families } = await collect(diskstatsCollector, tree('captured'));
    const vda = { device: 'vda' };
    // " 254 0 vda 39212 9168 2697034 12160 35646 22304 3884240 17451 0 11844 33026 …"
    assert.equal(value(families, 'hyperion_disk_read_bytes_total', vda), 2697034 * 512);
    assert.equal(value(families, 'hyperion_disk_written_bytes_total', vda), 3884240 * 512);
    assert.equal(value(families, 'hyperion_disk_reads_completed_total', vda), 39212);
    assert.equal(value(families, 'hyperion_disk_writes_completed_total', vda), 35646);
    assert.equal(value(families, 'hyperion_disk_read_time_seconds_total', vda), 12.16);
    assert.equal(value(families, 'hyperion_disk_write_time_seconds_total', vda), 17.451);
    assert.equal(value(families, 'hyperion_disk_io_time_seconds_total', vda), 11.844);
    assert.equal(value(families, 'hyperion_disk_io_time_weighted_seconds_total', vda), 33.026);
    // loop0–7 and zram0 are excluded by default.
    assert.deepEqual(labelValues(families, 'hyperion_disk_read_bytes_total', 'device'), ['vda']);
  });

  it('excludes partitions, loop and zram devices, and keeps whole disks, dm and optical', async () => {
    const { families } = await collect(diskstatsCollector, tree('constructed'));
    assert.deepEqual(labelValues(families, 'hyperion_disk_reads_completed_total', 'device'), [
      'dm-0',
      'nvme0n1',
      'sda',
      'sr0',
    ]);
    assert.equal(value(families, 'hyperion_disk_read_bytes_total', { device: 'nvme0n1' }), 400008 * 512);
  });

  it('follows the device exclusion setting', async () => {
    const settings = { ...defaultSettings(), diskstatsDeviceExclude: NOTHING };
    const { families } = await collect(diskstatsCollector, tree('constructed'), settings);
    assert.equal(labelValues(families, 'hyperion_disk_reads_completed_total', 'device').length, 9);
    assert.equal(value(families, 'hyperion_disk_reads_completed_total', { device: 'sda1' }), 411);
  });

  it('skips malformed lines and exports the rest', async () => {
    const { families, skips } = await collect(diskstatsCollector, tree('malformed'));
    assert.deepEqual(labelValues(families, 'hyperion_disk_reads_completed_total', 'device'), ['vda']);
    assert.deepEqual(
      skips.map((s) => s.file),
      ['diskstats', 'diskstats'],
    );
  });
});
