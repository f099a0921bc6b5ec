import { DISKSTATS_SECTOR_BYTES, parseDiskstats } from '../parsers/diskstats.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

export const diskstatsCollector: Collector = {
  name: 'diskstats',
  description: 'Block device I/O counters from /proc/diskstats (whole disks; partitions excluded)',
  defaultEnabled: true,
  async collect({ host, settings, skipped }) {
    const disks = parseDiskstats(
      await host.readFile(under(host.paths.procfs, 'diskstats')),
      skipped('diskstats'),
    );
    const m = new FamilyBuilder();
    const readBytes = m.counter('hyperion_disk_read_bytes_total', 'Bytes read from the device.');
    const writtenBytes = m.counter('hyperion_disk_written_bytes_total', 'Bytes written to the device.');
    const reads = m.counter('hyperion_disk_reads_completed_total', 'Reads completed.');
    const writes = m.counter('hyperion_disk_writes_completed_total', 'Writes completed.');
    const readTime = m.counter('hyperion_disk_read_time_seconds_total', 'Seconds spent by all reads.');
    const writeTime = m.counter('hyperion_disk_write_time_seconds_total', 'Seconds spent by all writes.');
    const ioTime = m.counter(
      'hyperion_disk_io_time_seconds_total',
      'Seconds the device had I/O in progress (its rate is utilisation).',
    );
    const weighted = m.counter(
      'hyperion_disk_io_time_weighted_seconds_total',
      'Seconds spent doing I/O weighted by the number in flight (its rate is the average queue size).',
    );
    for (const d of disks) {
      if (settings.diskstatsDeviceExclude.test(d.device)) continue;
      const labels = { device: d.device };
      sample(readBytes, d.sectorsRead * DISKSTATS_SECTOR_BYTES, labels);
      sample(writtenBytes, d.sectorsWritten * DISKSTATS_SECTOR_BYTES, labels);
      sample(reads, d.readsCompleted, labels);
      sample(writes, d.writesCompleted, labels);
      sample(readTime, d.readTimeMs / 1000, labels);
      sample(writeTime, d.writeTimeMs / 1000, labels);
      sample(ioTime, d.ioTimeMs / 1000, labels);
      sample(weighted, d.weightedIoTimeMs / 1000, labels);
    }
    return m.build();
  },
};
