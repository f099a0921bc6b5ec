/**
 * /proc/diskstats, per the kernel's Documentation/admin-guide/iostats.rst. Kernels since 4.18
 * add discard columns and since 5.5 flush columns; only the first eleven stat columns are used.
 */
import { fields, ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

export interface DiskStats {
  major: number;
  minor: number;
  device: string;
  readsCompleted: number;
  readsMerged: number;
  sectorsRead: number;
  readTimeMs: number;
  writesCompleted: number;
  writesMerged: number;
  sectorsWritten: number;
  writeTimeMs: number;
  ioInProgress: number;
  ioTimeMs: number;
  weightedIoTimeMs: number;
}

/** The kernel counts diskstats sectors in 512-byte units whatever the device's sector size. */
export const DISKSTATS_SECTOR_BYTES = 512;

export function parseDiskstats(text: string, skipped: SkipReporter = ignoreSkipped): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const p = fields(line);
    const n = p.map((v, i) => (i === 2 ? NaN : toNumber(v)));
    if (p.length < 14 || n.slice(3, 14).some(Number.isNaN) || Number.isNaN(n[0]!) || Number.isNaN(n[1]!)) {
      skipped(line, 'malformed diskstats line');
      continue;
    }
    out.push({
      major: n[0]!,
      minor: n[1]!,
      device: p[2]!,
      readsCompleted: n[3]!,
      readsMerged: n[4]!,
      sectorsRead: n[5]!,
      readTimeMs: n[6]!,
      writesCompleted: n[7]!,
      writesMerged: n[8]!,
      sectorsWritten: n[9]!,
      writeTimeMs: n[10]!,
      ioInProgress: n[11]!,
      ioTimeMs: n[12]!,
      weightedIoTimeMs: n[13]!,
    });
  }
  return out;
}
