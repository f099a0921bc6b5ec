/**
 * /proc/<pid>/statm, per proc(5): sizes in pages — "size resident shared text lib data dt".
 * The process list takes RSS from here rather than from /proc/<pid>/stat: since Linux 6.2 the
 * kernel keeps RSS in per-CPU counters, and stat reports their fast, approximate total (off by
 * up to a per-CPU batch on every CPU: tens of MB on a large machine), while statm — like
 * status's VmRSS, which ps shows — sums them exactly on recent kernels.
 */
import { fields, toNumber } from './skip.js';

export interface PidStatm {
  sizePages: number;
  residentPages: number;
  /** Resident pages backed by files or shared memory. */
  sharedPages: number;
  textPages: number;
  dataPages: number;
}

export function parsePidStatm(text: string): PidStatm {
  const f = fields(text).map(toNumber);
  const out = {
    sizePages: f[0] ?? NaN,
    residentPages: f[1] ?? NaN,
    sharedPages: f[2] ?? NaN,
    textPages: f[3] ?? NaN,
    dataPages: f[5] ?? NaN,
  };
  if (Object.values(out).some(Number.isNaN)) {
    throw new Error(`malformed /proc/<pid>/statm: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return out;
}
