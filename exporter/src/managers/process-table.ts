/**
 * Reads the process table of a host from its /proc, in as few file operations per process as
 * the columns allow: /proc/<pid>/stat (state, ppid, times, size, nice…), /proc/<pid>/statm (an
 * exact RSS), /proc/<pid>/cmdline, and a stat() of /proc/<pid> whose
 * owner is the process's effective uid — cheaper than reading and parsing /proc/<pid>/status for
 * it. Each kind goes to the host as one batch, which is one round trip on a remote host.
 */
import type { Host } from '../hosts/host.js';
import { commandLine } from '../parsers/pid-cmdline.js';
import { parsePasswd } from '../parsers/passwd.js';
import { PID_STAT_MAX_BYTES, isKernelThread, parsePidStat, type PidStat } from '../parsers/pid-stat.js';
import { parsePidStatm } from '../parsers/pid-statm.js';
import { parseUptime } from '../parsers/uptime.js';
import { HyperionError, isNotFound } from '../util/errors.js';
import { under } from '../util/paths.js';
import { cpuPercent, type CpuReading, type PidTicks } from './process-cpu.js';
import type { HostConstants } from './host-constants.js';
import type { ProcessInfo } from './process-types.js';

/** /proc/<pid>/stat is a few hundred bytes; 4 KiB leaves room for a long comm and future fields. */
export const STAT_MAX_BYTES = PID_STAT_MAX_BYTES;
/** Longer command lines are cut here (ps -ww would show more); a listing stays a sane size. */
export const CMDLINE_MAX_BYTES = 64 * 1024;

export async function listPids(host: Host): Promise<number[]> {
  const entries = await host.listDir(host.paths.procfs);
  const pids: number[] = [];
  for (const e of entries) {
    const c = e.name.charCodeAt(0);
    // Only the numeric entries are processes; threads are not listed at the top of /proc.
    if (c >= 48 && c <= 57) pids.push(Number(e.name));
  }
  return pids.sort((a, b) => a - b);
}

/** One instant of the table: the host's uptime and each process's stat, read back to back. */
export interface StatReading {
  uptimeSeconds: number;
  stats: PidStat[];
}

/**
 * The uptime is read first and in the same batch as the stat files, so consecutive readings
 * have the same shape in time and the per-file delays cancel out of the CPU window.
 */
export async function readStats(host: Host, pids: readonly number[]): Promise<StatReading> {
  const procfs = host.paths.procfs;
  const uptimePath = under(procfs, 'uptime');
  const paths = [uptimePath];
  for (const pid of pids) paths.push(`${procfs}/${pid}/stat`);
  const files = await host.readFileHeads(paths, STAT_MAX_BYTES);
  const uptime = files.get(uptimePath);
  if (!uptime?.ok) {
    throw new HyperionError('unavailable', `host ${host.name}: cannot read ${uptimePath}`, {
      cause: uptime?.error,
    });
  }
  const stats: PidStat[] = [];
  for (let i = 1; i < paths.length; i += 1) {
    const file = files.get(paths[i]!);
    if (!file?.ok) continue; // the process ended between the listing and the read
    try {
      stats.push(parsePidStat(file.text));
    } catch {
      continue; // a torn read; the next listing will have it
    }
  }
  return { uptimeSeconds: parseUptime(uptime.text).uptimeSeconds, stats };
}

export function ticksOf(stat: PidStat): PidTicks {
  return { start: stat.startTicks, ticks: stat.utime + stat.stime };
}

export function toCpuReading(reading: StatReading): CpuReading {
  const byPid = new Map<number, PidTicks>();
  for (const s of reading.stats) byPid.set(s.pid, ticksOf(s));
  return { uptimeSeconds: reading.uptimeSeconds, byPid };
}

/** uid → name from the host's /etc/passwd; empty (numeric users) when it cannot be read. */
export async function readUsers(host: Host): Promise<Map<number, string>> {
  try {
    return parsePasswd(await host.readFile(under(host.paths.rootfs, 'etc/passwd')));
  } catch {
    return new Map();
  }
}

/** What the stat file does not say (well) about a process: who runs it, its arguments, its RSS. */
export interface Identity {
  uid: number;
  /** Raw /proc/<pid>/cmdline text, or '' when it could not be read. */
  cmdline: string;
  /** Exact resident pages from /proc/<pid>/statm (see parsers/pid-statm.ts); null if unreadable. */
  residentPages: number | null;
}

/**
 * Reads the identity of each process: one stat() of /proc/<pid> for the owner, and one batch
 * of statm and cmdline reads. A process that has ended since its stat was read is left out (it
 * is gone); a command line the exporter may not read shows as "[name]".
 */
export async function readIdentities(host: Host, stats: readonly PidStat[]): Promise<Map<number, Identity>> {
  const procfs = host.paths.procfs;
  const dirs: string[] = [];
  const files: string[] = [];
  for (const stat of stats) {
    const dir = `${procfs}/${stat.pid}`;
    dirs.push(dir);
    files.push(`${dir}/statm`, `${dir}/cmdline`);
  }
  // One batch for both kinds: a remote host answers it in one round trip.
  const [owners, texts] = await Promise.all([
    host.statMany(dirs),
    host.readFileHeads(files, CMDLINE_MAX_BYTES),
  ]);
  const out = new Map<number, Identity>();
  stats.forEach((stat, i) => {
    const dir = dirs[i]!;
    const owner = owners.get(dir);
    const statm = texts.get(`${dir}/statm`);
    const cmdline = texts.get(`${dir}/cmdline`);
    if (!owner?.ok || [statm, cmdline].some((r) => r && !r.ok && isGone(r.error))) return;
    out.set(stat.pid, {
      uid: owner.stat.uid,
      cmdline: cmdline?.ok ? cmdline.text : '',
      residentPages: statm?.ok ? residentPages(statm.text) : null,
    });
  });
  return out;
}

function residentPages(text: string): number | null {
  try {
    return parsePidStatm(text).residentPages;
  } catch {
    return null;
  }
}

/** ENOENT, or ESRCH which some procfs files return once the process is a zombie being reaped. */
export function isGone(error: unknown): boolean {
  return isNotFound(error) || (error as NodeJS.ErrnoException | undefined)?.code === 'ESRCH';
}

export function toProcessInfo(
  stat: PidStat,
  identity: Identity,
  users: ReadonlyMap<number, string>,
  constants: HostConstants,
  cpu: number,
): ProcessInfo {
  const startSeconds = constants.bootTimeSeconds + stat.startTicks / constants.clockTicks;
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    uid: identity.uid,
    user: users.get(identity.uid) ?? String(identity.uid),
    name: stat.comm,
    command: commandLine(identity.cmdline, stat.comm),
    state: stat.state,
    cpuPercent: cpu,
    // statm's exact count when there is one; stat's approximate one otherwise.
    rssBytes: (identity.residentPages ?? stat.rssPages) * constants.pageSize,
    vszBytes: stat.vsizeBytes,
    threads: stat.numThreads,
    nice: stat.nice,
    priority: stat.priority,
    startTime: new Date(Math.round(startSeconds * 1000)).toISOString(),
    kernelThread: isKernelThread(stat),
  };
}

/** CPU % of each process in `reading` against `reference`. */
export function cpuOf(
  stat: PidStat,
  reading: StatReading,
  reference: CpuReading,
  constants: HostConstants,
): number {
  return cpuPercent(
    stat.pid,
    ticksOf(stat),
    reading.uptimeSeconds,
    reference,
    constants.clockTicks,
    stat.numThreads,
  );
}
