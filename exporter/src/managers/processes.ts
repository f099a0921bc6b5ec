/**
 * The processes manager: list, inspect, signal and renice the processes of one host. Written
 * against the Host interface only (docs/architecture.md, idea 1), so it works unchanged on a remote host.
 * Inputs are trusted to be validated at the API edge; the few checks made here again are the
 * ones whose failure would be dangerous (a pid of 0 or -1 means "every process" to kill(2)).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Host } from '../hosts/host.js';
import { primaryCgroupPath, parsePidCgroup, unitsFromCgroupPath } from '../parsers/cgroup.js';
import { isKernelThread, parsePidStat, type PidStat } from '../parsers/pid-stat.js';
import { parsePidStatus } from '../parsers/pid-status.js';
import { parseUptime } from '../parsers/uptime.js';
import { HyperionError } from '../util/errors.js';
import { under } from '../util/paths.js';
import { readHostConstants, type HostConstants } from './host-constants.js';
import { CpuHistory, PRIME_MS } from './process-cpu.js';
import { sendSignal, setNice, NICE_MAX, NICE_MIN, type SignalName } from './process-control.js';
import { buildTree, filterProcesses, page, sortProcesses } from './process-query.js';
import {
  STAT_MAX_BYTES,
  cpuOf,
  isGone,
  listPids,
  readIdentities,
  readStats,
  readUsers,
  toCpuReading,
  toProcessInfo,
  type StatReading,
} from './process-table.js';
import type {
  ProcessDetail,
  ProcessInfo,
  ProcessPage,
  ProcessQuery,
  ProcessTreePage,
} from './process-types.js';

export { SIGNALS, NICE_MIN, NICE_MAX, reniceNeedsAdmin, type SignalName } from './process-control.js';
export { SORT_KEYS } from './process-types.js';
export type * from './process-types.js';

export interface ProcessManagerOptions {
  /**
   * The exporter's own pid on this host, which may never be signalled or reniced: process.pid
   * for the local host, null for a remote one. Required, so that wiring a host is a decision.
   */
  selfPid: number | null;
}

export interface SignalResult {
  pid: number;
  name: string;
  signal: SignalName;
}

export interface ReniceResult {
  pid: number;
  name: string;
  previousNice: number;
  /** Read back from /proc/<pid>/stat after renice(1) ran. */
  nice: number;
}

interface Snapshot {
  items: ProcessInfo[];
  cpuWindowSeconds: number;
}

export class ProcessManager {
  private readonly cpu = new CpuHistory();
  private constantsPromise: Promise<HostConstants> | undefined;

  constructor(
    private readonly host: Host,
    private readonly options: ProcessManagerOptions,
  ) {}

  /** A page of the process table, filtered and sorted on the server. */
  async list(query: ProcessQuery = {}): Promise<ProcessPage> {
    const { items, cpuWindowSeconds } = await this.snapshot();
    const sorted = sortProcesses(filterProcesses(items, query), query.sort, query.order);
    const offset = query.offset ?? 0;
    return {
      total: sorted.length,
      offset,
      limit: query.limit ?? null,
      items: page(sorted, offset, query.limit),
      cpuWindowSeconds,
      exporterPid: this.options.selfPid,
    };
  }

  /** The same processes nested under their parents; sorting applies to every level, paging to the top one. */
  async tree(query: ProcessQuery = {}): Promise<ProcessTreePage> {
    const { items, cpuWindowSeconds } = await this.snapshot();
    const matched = filterProcesses(items, query);
    const roots = buildTree(sortProcesses(matched, query.sort, query.order));
    const offset = query.offset ?? 0;
    return {
      total: roots.length,
      processes: matched.length,
      offset,
      limit: query.limit ?? null,
      items: page(roots, offset, query.limit),
      cpuWindowSeconds,
      exporterPid: this.options.selfPid,
    };
  }

  /**
   * A process's descriptors, cwd and executable: only its own user (or root) may read them, so
   * the host's root agent reads them (where the host's /proc is the real one, not a fixture).
   */
  private async links(pid: number): Promise<{ cwd: string | null; exe: string | null; fds: number | null }> {
    if (this.host.paths.procfs === '/proc') return this.host.privileged.processLinks(pid);
    const dir = `${this.host.paths.procfs}/${pid}`;
    const [fds, cwd, exe] = await Promise.all([
      this.host.listDir(`${dir}/fd`).then(
        (entries) => entries.length,
        () => null,
      ),
      this.host.readLink(`${dir}/cwd`).catch(() => null),
      this.host.readLink(`${dir}/exe`).catch(() => null),
    ]);
    return { fds, cwd, exe };
  }

  /** One process with what is too costly to read for every process in a listing. */
  async get(pid: number): Promise<ProcessDetail> {
    assertPid(pid);
    const constants = await this.constants();
    const dir = `${this.host.paths.procfs}/${pid}`;
    const [reading, status, users, links, cgroupText] = await Promise.all([
      this.readOne(pid),
      this.host.readFile(`${dir}/status`).catch(() => undefined),
      readUsers(this.host),
      this.links(pid),
      this.host.readFile(`${dir}/cgroup`).catch(() => null),
    ]);
    const { fds: openFiles, cwd, exe: executable } = links;
    const stat = reading.stats[0];
    const identity = stat ? (await readIdentities(this.host, [stat])).get(pid) : undefined;
    if (!stat || !identity) throw notFound(pid, this.host.name);
    if (status) assertProcess(pid, parsePidStatus(status).tgid, this.host.name);

    let reference = this.cpu.reference(reading.uptimeSeconds);
    let current = reading;
    if (!reference) {
      // No recent listing to compare with: measure this one process over a short window.
      await delay(PRIME_MS);
      reference = toCpuReading(reading);
      current = await this.readOne(pid);
    }
    const now = current.stats[0] ?? stat;
    const cgroup = cgroupText === null ? null : primaryCgroupPath(parsePidCgroup(cgroupText));
    const units = cgroup === null ? { unit: null, userUnit: null } : unitsFromCgroupPath(cgroup);
    return {
      ...toProcessInfo(now, identity, users, constants, cpuOf(now, current, reference, constants)),
      openFiles,
      cwd,
      executable,
      cgroup,
      ...units,
      exporterPid: this.options.selfPid,
    };
  }

  /**
   * The process an action is about to touch, after every refusal that does not depend on who
   * asks (PID 1, the exporter itself, a thread id, a kernel thread, a process that is gone), with
   * the unit its cgroup places it in, so the caller can decide who may act on it. The route asks
   * this before the second factor is verified; signal() and renice() ask it again.
   */
  async actionTarget(pid: number, action: string): Promise<{ stat: PidStat; unit: string | null }> {
    const stat = await this.target(pid, action);
    const cgroup = await this.host.readFile(`${this.host.paths.procfs}/${pid}/cgroup`).catch(() => null);
    const path = cgroup === null ? null : primaryCgroupPath(parsePidCgroup(cgroup));
    return { stat, unit: path === null ? null : unitsFromCgroupPath(path).unit };
  }

  async signal(pid: number, signal: SignalName): Promise<SignalResult> {
    const target = await this.target(pid, `send SIG${signal} to`);
    await sendSignal(this.host, pid, signal);
    return { pid, name: target.comm, signal };
  }

  /** Sets the nice value of every thread of the process and returns the value read back. */
  async renice(pid: number, nice: number): Promise<ReniceResult> {
    if (!Number.isInteger(nice) || nice < NICE_MIN || nice > NICE_MAX) {
      throw new HyperionError('bad-request', `nice must be an integer from ${NICE_MIN} to ${NICE_MAX}`, {
        field: 'nice',
      });
    }
    const target = await this.target(pid, 'renice');
    const first = await this.tasks(pid);
    await setNice(this.host, pid, first, nice);
    // Threads the process started while renice ran were created by threads not yet reniced,
    // and inherited the old value: one more pass catches them.
    const late = (await this.tasks(pid)).filter((tid) => !first.includes(tid));
    if (late.length > 0) await setNice(this.host, pid, late, nice).catch(() => undefined);
    const after = await this.readStat(pid);
    if (!after) throw notFound(pid, this.host.name);
    return { pid, name: target.comm, previousNice: target.nice, nice: after.nice };
  }

  /** The thread ids of a process (its own pid among them). */
  private async tasks(pid: number): Promise<number[]> {
    try {
      const entries = await this.host.listDir(`${this.host.paths.procfs}/${pid}/task`);
      return entries.map((e) => Number(e.name)).filter((t) => Number.isInteger(t) && t > 0);
    } catch {
      return [pid];
    }
  }

  /**
   * The process an action is about to touch, after the refusals: PID 1 and the exporter itself
   * (or one of its threads: a signal to a thread id reaches its whole process).
   */
  private async target(pid: number, action: string): Promise<PidStat> {
    assertPid(pid);
    this.refuse(pid, action);
    const dir = `${this.host.paths.procfs}/${pid}`;
    const [stat, status] = await Promise.all([
      this.readStat(pid),
      this.host.readFile(`${dir}/status`).catch(() => undefined),
    ]);
    if (!stat || !status) throw notFound(pid, this.host.name);
    const tgid = parsePidStatus(status).tgid;
    this.refuse(tgid, action);
    assertProcess(pid, tgid, this.host.name);
    if (isKernelThread(stat)) {
      throw new HyperionError(
        'conflict',
        `Refusing to ${action} PID ${pid} (${stat.comm}): it is a kernel thread, which signals and nice values do not govern`,
      );
    }
    return stat;
  }

  private refuse(pid: number, action: string): void {
    if (pid === 1) {
      throw new HyperionError(
        'conflict',
        `Refusing to ${action} PID 1 (the init process of host ${this.host.name}): doing so can bring the whole host down`,
      );
    }
    if (pid === this.options.selfPid) {
      throw new HyperionError(
        'conflict',
        `Refusing to ${action} PID ${pid}: it is the Hyperion exporter itself, which would lose the API you are using`,
      );
    }
  }

  private async snapshot(): Promise<Snapshot> {
    const constants = await this.constants();
    let reading = await readStats(this.host, await listPids(this.host));
    let reference = this.cpu.reference(reading.uptimeSeconds);
    if (!reference) {
      // No recent reading to compare with: take a second one shortly, so that the very first
      // answer already shows current CPU use rather than lifetime averages.
      reference = toCpuReading(reading);
      this.cpu.keep(reference);
      await delay(PRIME_MS);
      reading = await readStats(this.host, await listPids(this.host));
    }
    this.cpu.keep(toCpuReading(reading));

    const [identities, users] = await Promise.all([
      readIdentities(this.host, reading.stats),
      readUsers(this.host),
    ]);
    const items: ProcessInfo[] = [];
    for (const stat of reading.stats) {
      const identity = identities.get(stat.pid);
      if (!identity) continue; // ended since its stat was read
      items.push(toProcessInfo(stat, identity, users, constants, cpuOf(stat, reading, reference, constants)));
    }
    return { items, cpuWindowSeconds: round2(reading.uptimeSeconds - reference.uptimeSeconds) };
  }

  /** The uptime and one process's stat, as a one-process reading (empty when it is gone). */
  private async readOne(pid: number): Promise<StatReading> {
    const procfs = this.host.paths.procfs;
    const uptimePath = under(procfs, 'uptime');
    const statPath = `${procfs}/${pid}/stat`;
    const files = await this.host.readFileHeads([uptimePath, statPath], STAT_MAX_BYTES);
    const uptime = files.get(uptimePath);
    if (!uptime?.ok)
      throw new HyperionError('unavailable', `host ${this.host.name}: cannot read ${uptimePath}`);
    const stat = files.get(statPath);
    return {
      uptimeSeconds: parseUptime(uptime.text).uptimeSeconds,
      stats: stat?.ok ? [parsePidStat(stat.text)] : [],
    };
  }

  private async readStat(pid: number): Promise<PidStat | undefined> {
    try {
      return parsePidStat(await this.host.readFile(`${this.host.paths.procfs}/${pid}/stat`));
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
  }

  private constants(): Promise<HostConstants> {
    this.constantsPromise ??= readHostConstants(this.host).catch((error: unknown) => {
      this.constantsPromise = undefined; // try again on the next call rather than failing forever
      throw error;
    });
    return this.constantsPromise;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function assertPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid < 1) {
    throw new HyperionError('bad-request', `PID must be a positive integer, got ${pid}`, { field: 'pid' });
  }
}

/** /proc/<tid> exists for every thread, but the API deals in processes. */
function assertProcess(pid: number, tgid: number, hostName: string): void {
  if (tgid !== pid) {
    throw new HyperionError(
      'not-found',
      `PID ${pid} on host ${hostName} is a thread of process ${tgid}, not a process; act on ${tgid} instead`,
    );
  }
}

function notFound(pid: number, hostName: string): HyperionError {
  return new HyperionError('not-found', `No process with PID ${pid} on host ${hostName}`);
}
