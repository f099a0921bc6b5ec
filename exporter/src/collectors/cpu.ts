import { parseProcStat, type CpuMode } from '../parsers/proc-stat.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';
import { sysfsNumber } from '../parsers/skip.js';

/** Linux reports /proc/stat in USER_HZ, which is 100 on every architecture's ABI. */
export const USER_HZ = 100;

/** guest and guest_nice are already included in user and nice; they are exported apart. */
const MODES: CpuMode[] = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];

export const cpuCollector: Collector = {
  name: 'cpu',
  description: 'CPU time per CPU and mode from /proc/stat, and current frequency from sysfs',
  defaultEnabled: true,
  async collect({ host, skipped }) {
    // Frequency is optional: virtual machines and some ARM boards have no cpufreq. One look at
    // its directory (alongside /proc/stat: one round trip on an SSH host), so that a large VM
    // without it does not fail a read per CPU per scrape.
    const cpuDir = under(host.paths.sysfs, 'devices/system/cpu');
    const [statText, hasCpufreq] = await Promise.all([
      host.readFile(under(host.paths.procfs, 'stat')),
      // Virtual machines often have the directory, empty: no policy, no frequency.
      host.listDir(under(cpuDir, 'cpufreq')).then(
        (policies) => policies.length > 0,
        () => false,
      ),
    ]);
    const stat = parseProcStat(statText, skipped('stat'));
    const m = new FamilyBuilder();
    const seconds = m.counter('hyperion_cpu_seconds_total', 'Seconds the CPUs spent in each mode.');
    const guest = m.counter(
      'hyperion_cpu_guest_seconds_total',
      'Seconds the CPUs spent running guests (already included in user and nice).',
    );
    for (const { cpu, ticks } of stat.cpus) {
      for (const mode of MODES) sample(seconds, divide(ticks[mode]), { cpu, mode });
      sample(guest, divide(ticks.guest), { cpu, mode: 'user' });
      sample(guest, divide(ticks.guest_nice), { cpu, mode: 'nice' });
    }

    const freqPaths = hasCpufreq
      ? stat.cpus.map(({ cpu }) => under(cpuDir, `cpu${cpu}`, 'cpufreq/scaling_cur_freq'))
      : [];
    const freqs = await host.readFiles(freqPaths);
    const frequency = m.gauge('hyperion_cpu_frequency_hertz', 'Current CPU frequency as the kernel sees it.');
    stat.cpus.forEach(({ cpu }, i) => {
      const result = freqs.get(freqPaths[i] ?? '');
      if (result?.ok) sample(frequency, sysfsNumber(result.text) * 1000, { cpu });
    });
    return m.build();
  },
};

function divide(ticks: number | undefined): number | undefined {
  return ticks === undefined ? undefined : ticks / USER_HZ;
}
