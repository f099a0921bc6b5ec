/** /proc/stat: per-CPU time counters and a few kernel-wide counters. See proc(5). */
import { fields, ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

/** The CPU time columns of /proc/stat in kernel order, in USER_HZ ticks. */
export const CPU_MODES = [
  'user',
  'nice',
  'system',
  'idle',
  'iowait',
  'irq',
  'softirq',
  'steal',
  'guest',
  'guest_nice',
] as const;
export type CpuMode = (typeof CPU_MODES)[number];

export interface CpuTimes {
  /** "0", "1"… for per-CPU lines; the aggregate "cpu" line is kept apart. */
  cpu: string;
  ticks: Partial<Record<CpuMode, number>>;
}

export interface ProcStat {
  total: CpuTimes | undefined;
  cpus: CpuTimes[];
  bootTimeSeconds: number | undefined;
  forks: number | undefined;
  procsRunning: number | undefined;
  procsBlocked: number | undefined;
  contextSwitches: number | undefined;
  interrupts: number | undefined;
}

export function parseProcStat(text: string, skipped: SkipReporter = ignoreSkipped): ProcStat {
  const out: ProcStat = {
    total: undefined,
    cpus: [],
    bootTimeSeconds: undefined,
    forks: undefined,
    procsRunning: undefined,
    procsBlocked: undefined,
    contextSwitches: undefined,
    interrupts: undefined,
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = fields(line);
    const key = parts[0] ?? '';
    if (key.startsWith('cpu')) {
      const cpu = key.slice(3);
      if (cpu !== '' && !/^\d+$/.test(cpu)) {
        skipped(line, 'unexpected cpu name');
        continue;
      }
      const ticks: Partial<Record<CpuMode, number>> = {};
      let valid = parts.length >= 5;
      CPU_MODES.forEach((mode, i) => {
        const raw = parts[i + 1];
        if (raw === undefined) return;
        const n = toNumber(raw);
        if (Number.isNaN(n)) valid = false;
        else ticks[mode] = n;
      });
      if (!valid) {
        skipped(line, 'malformed cpu line');
        continue;
      }
      if (cpu === '') out.total = { cpu: '', ticks };
      else out.cpus.push({ cpu, ticks });
      continue;
    }
    const value = toNumber(parts[1]);
    switch (key) {
      case 'btime':
        out.bootTimeSeconds = value;
        break;
      case 'processes':
        out.forks = value;
        break;
      case 'procs_running':
        out.procsRunning = value;
        break;
      case 'procs_blocked':
        out.procsBlocked = value;
        break;
      case 'ctxt':
        out.contextSwitches = value;
        break;
      case 'intr':
        out.interrupts = value;
        break;
      default:
        break; // softirq and future keys: not exported
    }
  }
  return out;
}
