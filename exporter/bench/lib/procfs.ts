/**
 * What the benchmark measures about a server from the outside, by pid: CPU time and resident
 * memory from /proc, so both exporters are measured the same way whatever they are written in.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/**
 * USER_HZ, the unit of utime/stime. The kernel fixes it at 100 on every architecture Linux
 * exports it for (sysconf(_SC_CLK_TCK)); Node has no binding to ask, so it is a constant here.
 */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of one process (not its children), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`cannot read CPU times of pid ${pid}`);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/**
 * The live children of a process, from /proc/<pid>/task/<tid>/children (every thread's). For
 * Hyperion (run as root, as here) that is its agent (the perl process that answers adjtimex):
 * its work is the exporter's work, so CPU and memory are counted with it.
 */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(/\s+/).map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** utime + stime of a process and of its live children (a child's own, not its waited-for ones). */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const child of childPids(pid)) {
    try {
      total += cpuSeconds(child);
    } catch {
      // it exited between the listing and the read
    }
  }
  return total;
}

export interface Memory {
  /** VmRSS: what the target is about. */
  rss: number;
  /** RssAnon: heap, stacks, malloc — what the program itself allocated. */
  anon: number;
  /** RssFile: pages of the executable and libraries mapped in (shared with other processes). */
  file: number;
}

/** Resident memory of a process's children, summed (their RSS; shared pages counted in each). */
export function childrenRss(pid: number): number {
  return childPids(pid).reduce((sum, child) => {
    try {
      return sum + memory(child).rss;
    } catch {
      return sum;
    }
  }, 0);
}

/** Resident memory of a process from /proc/<pid>/status, in bytes. */
export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} for pid ${pid}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile') };
}

/** The executable a pid runs, to prove the pid measured is the server and not a wrapper. */
export function exePath(pid: number): string {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  return cmdline.split('\0')[0] ?? '';
}

/** Processes running now: Hyperion's processes collector reads one file per process. */
export function processCount(): number {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
}

export interface MachineFacts {
  cores: number;
  model: string;
  loadAverage: [number, number, number];
  memoryBytes: number;
  kernel: string;
}

export function machineFacts(): MachineFacts {
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  return {
    cores: os.availableParallelism(),
    model: os.cpus()[0]?.model ?? 'unknown',
    loadAverage: [l1, l5, l15],
    memoryBytes: os.totalmem(),
    kernel: os.release(),
  };
}
