/**
 * What the process list needs to know about a host once: its page size (RSS is counted in
 * pages), its clock tick rate (CPU and start times are counted in ticks) and its boot time
 * (start times are ticks after boot). Asked of the host itself, since a remote host may differ.
 */
import type { Host } from '../hosts/host.js';
import { parseProcStat } from '../parsers/proc-stat.js';
import { under } from '../util/paths.js';
import { HyperionError } from '../util/errors.js';

export interface HostConstants {
  pageSize: number;
  /** USER_HZ: ticks per second of the times in /proc/<pid>/stat. */
  clockTicks: number;
  bootTimeSeconds: number;
}

/** Linux's values on every mainstream architecture, used when getconf is missing. */
const FALLBACK = { pageSize: 4096, clockTicks: 100 };

async function getconf(host: Host, name: string, fallback: number): Promise<number> {
  try {
    const result = await host.run(['getconf', name], { timeoutMs: 5000 });
    const value = Number(result.stdout.trim());
    return result.code === 0 && Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

export async function readHostConstants(host: Host): Promise<HostConstants> {
  const [pageSize, clockTicks, stat] = await Promise.all([
    getconf(host, 'PAGESIZE', FALLBACK.pageSize),
    getconf(host, 'CLK_TCK', FALLBACK.clockTicks),
    host.readFile(under(host.paths.procfs, 'stat')),
  ]);
  const bootTimeSeconds = parseProcStat(stat).bootTimeSeconds;
  if (bootTimeSeconds === undefined || Number.isNaN(bootTimeSeconds)) {
    throw new HyperionError('unavailable', `host ${host.name}: /proc/stat has no boot time`);
  }
  return { pageSize, clockTicks, bootTimeSeconds };
}
