/**
 * /proc/<pid>/stat, per proc(5). The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so the fields after it are located from the *last* ')'.
 */
import { toNumber } from './skip.js';

/** /proc/<pid>/stat is at most a few hundred bytes: one read of this size gets it whole. */
export const PID_STAT_MAX_BYTES = 4096;

export interface PidStat {
  pid: number;
  comm: string;
  /** One letter: R running, S sleeping, D disk sleep, Z zombie, T stopped, t traced, I idle… */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  tty: number;
  /** The kernel's per-task flags (PF_* in include/linux/sched.h). */
  flags: number;
  /** CPU time in USER_HZ ticks. */
  utime: number;
  stime: number;
  priority: number;
  nice: number;
  numThreads: number;
  /** Start time after boot, in USER_HZ ticks. */
  startTicks: number;
  vsizeBytes: number;
  /** Resident set size in pages. */
  rssPages: number;
  processor: number;
}

/** The numeric fields read, by their proc(5) field number (1-based). */
const NUMERIC_FIELDS = {
  4: 'ppid',
  5: 'pgrp',
  6: 'session',
  7: 'tty',
  9: 'flags',
  14: 'utime',
  15: 'stime',
  18: 'priority',
  19: 'nice',
  20: 'numThreads',
  22: 'startTicks',
  23: 'vsizeBytes',
  24: 'rssPages',
  39: 'processor',
} as const satisfies Record<number, keyof PidStat>;
const LAST_FIELD = 39;

/** PF_KTHREAD: the task is a kernel thread (no user space: signals and nice do nothing useful). */
const PF_KTHREAD = 0x00200000;

export function isKernelThread(stat: Pick<PidStat, 'flags'>): boolean {
  // The flags are a 32-bit field; bitwise & on the number keeps that width.
  return Number.isFinite(stat.flags) && (stat.flags & PF_KTHREAD) !== 0;
}

/**
 * One pass over the fields after the command name, converting only the fields kept. Why not
 * split(' '): a process listing parses this file for every process, and splitting made some
 * fifty strings per process, most of them thrown away at once.
 */
export function parsePidStat(text: string): PidStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('malformed /proc/<pid>/stat: no command name');
  const stat = {
    pid: toNumber(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: '',
  } as PidStat;
  const numbers = NUMERIC_FIELDS as Record<number, Exclude<keyof PidStat, 'comm' | 'state'> | undefined>;
  // Field 3 (state) starts after ") "; each later field after the next single space.
  let field = 3;
  let start = close + 2;
  while (field <= LAST_FIELD && start <= text.length) {
    let end = text.indexOf(' ', start);
    if (end < 0) end = text.length;
    if (field === 3) stat.state = text.slice(start, end).trim();
    else {
      const name = numbers[field];
      if (name !== undefined) stat[name] = toNumber(text.slice(start, end).trim());
    }
    field += 1;
    start = end + 1;
  }
  for (const name of Object.values(NUMERIC_FIELDS)) stat[name] ??= NaN; // a truncated file
  if (Number.isNaN(stat.pid) || stat.state.length !== 1 || Number.isNaN(stat.utime)) {
    throw new Error('malformed /proc/<pid>/stat');
  }
  return stat;
}
