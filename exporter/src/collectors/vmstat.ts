import { isVmstatGauge, parseVmstat } from '../parsers/vmstat.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

/**
 * node_exporter's default selection: page-ins and -outs, swap-ins and -outs, page faults
 * (minor and major) and OOM kills. --collector.vmstat.fields widens it.
 */
export const DEFAULT_VMSTAT_FIELDS = '^(oom_kill|pgpg|pswp|pg.*fault).*';

export const vmstatCollector: Collector = {
  name: 'vmstat',
  description: 'Paging, swapping, page faults and OOM kills from /proc/vmstat (--collector.vmstat.fields)',
  defaultEnabled: true,
  async collect({ host, settings, skipped }) {
    const stats = parseVmstat(
      await host.readFile(under(host.paths.procfs, 'vmstat')),
      skipped('vmstat'),
      (name) => settings.vmstatFields.test(name),
    );
    const m = new FamilyBuilder();
    for (const [name, value] of stats) {
      // Event counts since boot are counters (named …_total, so rate() reads right); the few
      // levels a wider --collector.vmstat.fields can select (nr_dirty…) are gauges.
      const family = isVmstatGauge(name)
        ? m.gauge(`hyperion_vmstat_${name}`, `/proc/vmstat ${name}: a current number of pages.`)
        : m.counter(`hyperion_vmstat_${name}_total`, `/proc/vmstat ${name}: events since boot.`);
      sample(family, value);
    }
    return m.build();
  },
};
