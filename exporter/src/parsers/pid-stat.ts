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

export function parsePidStat(text: string): PidStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('malformed /proc/<pid>/stat: no command name');
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state); field k of proc(5) is rest[k - 3].
  const f = (k: number): number => toNumber(rest[k - 3]);
  const stat: PidStat = {
    pid: toNumber(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '',
    ppid: f(4),
    pgrp: f(5),
    session: f(6),
    tty: f(7),
    utime: f(14),
    stime: f(15),
    priority: f(18),
    nice: f(19),
    numThreads: f(20),
    startTicks: f(22),
    vsizeBytes: f(23),
    rssPages: f(24),
    processor: f(39),
  };
  if (Number.isNaN(stat.pid) || stat.state.length !== 1 || Number.isNaN(stat.utime)) {
    throw new Error('malformed /proc/<pid>/stat');
  }
  return stat;
}
