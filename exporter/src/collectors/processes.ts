import { PID_STAT_MAX_BYTES, parsePidStat } from '../parsers/pid-stat.js';
import { parseProcStat } from '../parsers/proc-stat.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';
import { sysfsNumber } from '../parsers/skip.js';

/** States always exported, even at zero, so alerts on e.g. D-state pile-ups have a series. */
const STATES = ['R', 'S', 'D', 'Z', 'T', 'I'];

export const processesCollector: Collector = {
  name: 'processes',
  description: 'Process counts by state, threads, the PID limit and forks, from /proc',
  defaultEnabled: true,
  async collect({ host }) {
    const procfs = host.paths.procfs;
    const pids = (await host.listDir(procfs)).map((d) => d.name).filter((n) => /^\d+$/.test(n));
    const statPaths = pids.map((pid) => under(procfs, pid, 'stat'));
    const [stats, kernel] = await Promise.all([
      // One read each: /proc/<pid>/stat is generated whole, and LocalHost keeps these handles
      // open between scrapes, which halves the cost per process.
      host.readFileHeads(statPaths, PID_STAT_MAX_BYTES),
      host.readFiles([under(procfs, 'sys/kernel/pid_max'), under(procfs, 'stat')]),
    ]);

    const byState = new Map<string, number>(STATES.map((s) => [s, 0]));
    let threads = 0;
    for (const path of statPaths) {
      const file = stats.get(path);
      if (!file?.ok) continue; // the process ended between listing and reading
      try {
        const stat = parsePidStat(file.text);
        byState.set(stat.state, (byState.get(stat.state) ?? 0) + 1);
        threads += stat.numThreads;
      } catch {
        continue;
      }
    }

    const m = new FamilyBuilder();
    const processes = m.gauge('hyperion_processes', 'Processes by state letter (R, S, D, Z, T, I…).');
    for (const [state, count] of byState) sample(processes, count, { state });
    sample(m.gauge('hyperion_processes_threads', 'Threads of all processes.'), threads);
    const pidMax = kernel.get(under(procfs, 'sys/kernel/pid_max'));
    if (pidMax?.ok)
      sample(m.gauge('hyperion_processes_max', 'The PID limit (kernel.pid_max).'), sysfsNumber(pidMax.text));
    const procStat = kernel.get(under(procfs, 'stat'));
    if (procStat?.ok) {
      sample(
        m.counter('hyperion_forks_total', 'Processes created since boot.'),
        parseProcStat(procStat.text).forks,
      );
    }
    return m.build();
  },
};
