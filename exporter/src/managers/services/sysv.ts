/**
 * The SysV init backend, for hosts without systemd: the scripts in /etc/init.d driven by
 * service(8), their LSB headers for descriptions, the /etc/rcN.d links for the enabled state and
 * update-rc.d to change it. SysV keeps no per-service state, memory or CPU accounting and no
 * journal, so those fields are null and logs come from a log file when there is one.
 *
 * Neither service(8) nor update-rc.d understands "--", so the service name cannot be fenced off
 * from options in their argument vectors; it is safe because names.ts only lets through names
 * that start with a letter, digit or "_", and every method checks that again.
 */
import type { Host, RunResult } from '../../hosts/host.js';
import { parseLsbHeader, type LsbHeader } from '../../parsers/lsb-header.js';
import { errorMessage, HyperionError } from '../../util/errors.js';
import { assertServiceName, bareName, isServiceName } from './names.js';
import type {
  ActionOutcome,
  BackendFactory,
  ServiceBackend,
  ServiceDetail,
  ServiceInfo,
  ServiceLogs,
  ServiceVerb,
} from './types.js';

export const INIT_D = '/etc/init.d';
const RC_DIRS = ['S', '0', '1', '2', '3', '4', '5', '6'].map((level) => ({
  level,
  dir: `/etc/rc${level}.d`,
}));
/** Files in /etc/init.d that are not services. */
const NOT_SERVICES = new Set(['README', 'skeleton', 'rc', 'rcS', 'functions']);
const STATUS_TIMEOUT_MS = 5_000;
/** Status scripts run at once while listing: each is a shell, and the machine may be small. */
const STATUS_CONCURRENCY = 6;

export interface SysvStatus {
  activeState: string;
  subState: string;
}

/**
 * An init script's `status` exit code, as the LSB defines them: 0 running (or "service OK"),
 * 1 dead with a pid file left, 2 dead with a lock file left, 3 not running, 4 unknown. A script
 * without a status action prints its usage and exits with anything: that is "unknown", not dead.
 */
export function sysvStatus(result: Pick<RunResult, 'code' | 'stdout' | 'stderr'>): SysvStatus {
  if (/^\s*usage:/im.test(`${result.stdout}\n${result.stderr}`))
    return { activeState: 'unknown', subState: 'unknown' };
  switch (result.code) {
    case 0:
      return { activeState: 'active', subState: 'running' };
    case 1:
    case 2:
      return { activeState: 'failed', subState: 'dead' };
    case 3:
      return { activeState: 'inactive', subState: 'dead' };
    default:
      return { activeState: 'unknown', subState: 'unknown' };
  }
}

/**
 * enabled when a start link (S##name) exists in a runlevel directory; disabled when only stop
 * links (K##name) do, or none — the two states update-rc.d enable/disable switch between.
 */
export function sysvEnabledState(rcEntries: ReadonlyMap<string, readonly string[]>, name: string): string {
  const start = new RegExp(`^S\\d\\d${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  for (const entries of rcEntries.values()) if (entries.some((entry) => start.test(entry))) return 'enabled';
  return 'disabled';
}

function output(result: RunResult): string {
  return (result.stderr.trim() || result.stdout.trim()).slice(0, 4000);
}

function describe(name: string, header: LsbHeader | null): string {
  return header?.shortDescription ?? header?.description ?? name;
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class SysvBackend implements ServiceBackend {
  readonly name = 'sysv';

  constructor(private readonly host: Host) {}

  canonicalName(name: string): string {
    return bareName(name);
  }

  /** service(8) when the host has it, else the script itself: the root agent picks. */
  private service(name: string, verb: string, timeoutMs: number): Promise<RunResult> {
    assertServiceName(name);
    return this.host.privileged.service(name, verb, timeoutMs);
  }

  /**
   * `status` runs the script the way service(8) would — empty environment but for the locale
   * and a standard PATH — without service's own start-up, which costs more than most status
   * actions themselves; a listing runs one per script.
   */
  private async status(name: string): Promise<SysvStatus> {
    assertServiceName(name);
    try {
      // As root through the agent: a script tests its daemon with kill -0.
      return sysvStatus(await this.host.privileged.service(name, 'status', STATUS_TIMEOUT_MS));
    } catch (error) {
      if (error instanceof HyperionError && error.type === 'timeout')
        return { activeState: 'unknown', subState: 'unknown' };
      throw error;
    }
  }

  private async rcEntries(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    await Promise.all(
      RC_DIRS.map(async ({ level, dir }) => {
        const entries = await this.host.listDir(dir).catch(() => []);
        out.set(
          level,
          entries.map((e) => e.name),
        );
      }),
    );
    return out;
  }

  /** Pid files under the names the script provides: ssh's daemon writes /run/sshd.pid. */
  private async mainPids(
    services: readonly { name: string; header: LsbHeader | null }[],
  ): Promise<Map<string, number>> {
    const candidates = new Map<string, string[]>();
    for (const s of services) {
      const names = [...new Set([s.name, ...(s.header?.provides ?? [])])].filter(isServiceName);
      candidates.set(
        s.name,
        names.map((n) => `/run/${n}.pid`),
      );
    }
    const files = await this.host.readFiles([...candidates.values()].flat());
    const out = new Map<string, number>();
    for (const [name, paths] of candidates) {
      for (const path of paths) {
        const file = files.get(path);
        const pid = file?.ok ? file.text.trim() : '';
        if (/^[1-9]\d{0,9}$/.test(pid)) {
          out.set(name, Number(pid));
          break;
        }
      }
    }
    return out;
  }

  private async describeAll(names: readonly string[]): Promise<ServiceInfo[]> {
    const scripts = await this.host.readFiles(names.map((n) => `${INIT_D}/${n}`));
    const headers = names.map((name) => {
      const file = scripts.get(`${INIT_D}/${name}`);
      return { name, header: file?.ok ? parseLsbHeader(file.text) : null };
    });
    const [statuses, rc] = await Promise.all([
      mapLimited(names, STATUS_CONCURRENCY, (n) => this.status(n)),
      this.rcEntries(),
    ]);
    const running = headers.filter((_, i) => statuses[i]!.activeState === 'active');
    const pids = await this.mainPids(running);
    return headers.map(({ name, header }, i) => ({
      name,
      backend: 'sysv',
      description: describe(name, header),
      loadState: 'loaded',
      ...statuses[i]!,
      enabledState: sysvEnabledState(rc, name),
      mainPid: pids.get(name) ?? null,
      memoryBytes: null,
      cpuSeconds: null,
    }));
  }

  async list(): Promise<ServiceInfo[]> {
    const entries = await this.host.listDir(INIT_D);
    const names = entries
      .filter((e) => (e.type === 'file' || e.type === 'symlink') && !NOT_SERVICES.has(e.name))
      .map((e) => e.name)
      // Leftovers of package upgrades are not services.
      .filter((n) => isServiceName(n) && !/\.(dpkg|ucf)-/.test(n))
      .sort();
    return this.describeAll(names);
  }

  private async exists(name: string): Promise<boolean> {
    const stat = (await this.host.statMany([`${INIT_D}/${name}`])).get(`${INIT_D}/${name}`);
    return stat?.ok === true && stat.stat.type === 'file';
  }

  async get(name: string): Promise<ServiceDetail | null> {
    assertServiceName(name);
    const bare = bareName(name);
    if (!(await this.exists(bare))) return null;
    const [info] = await this.describeAll([bare]);
    return { ...info!, path: `${INIT_D}/${bare}`, activeSince: null, properties: {} };
  }

  async logs(name: string, lines: number): Promise<ServiceLogs> {
    assertServiceName(name);
    const bare = bareName(name);
    const candidates = [`/var/log/${bare}.log`, `/var/log/${bare}/${bare}.log`, `/var/log/${bare}`];
    const stats = await this.host.statMany(candidates);
    const file = candidates.find((path) => {
      const s = stats.get(path);
      return s?.ok === true && s.stat.type === 'file';
    });
    if (!file) {
      return {
        available: false,
        source: null,
        reason: `SysV init keeps no log per service, and none of ${candidates.join(', ')} exists on host ${this.host.name}`,
        lines: [],
      };
    }
    // Through the root agent: many logs are root's or group adm's alone.
    let tail: { text: string; truncated: boolean };
    try {
      tail = await this.host.privileged.logTail(file, lines);
    } catch (error) {
      return {
        available: false,
        source: file,
        reason: `could not read ${file}: ${errorMessage(error)}`,
        lines: [],
      };
    }
    return {
      available: true,
      source: file,
      lines:
        tail.text === ''
          ? []
          : tail.text
              .split('\n')
              .map((message) => ({ time: null, priority: null, pid: null, identifier: null, message })),
    };
  }

  async act(name: string, verb: ServiceVerb, timeoutMs: number): Promise<ActionOutcome> {
    assertServiceName(name);
    const bare = bareName(name);
    if (verb === 'enable' || verb === 'disable') return this.toggle(bare, verb, timeoutMs);
    const result = await this.service(bare, verb, timeoutMs);
    return { ok: result.code === 0, output: output(result) };
  }

  /**
   * update-rc.d: "defaults" creates the links the LSB header asks for when there are none yet
   * (and leaves existing ones alone); "enable"/"disable" then turn them into start or stop links.
   */
  private async toggle(name: string, verb: 'enable' | 'disable', timeoutMs: number): Promise<ActionOutcome> {
    const run = ([action]: [string]) => this.host.privileged.updateRcd(name, action, timeoutMs);
    const defaults = await run(['defaults']);
    if (defaults.code !== 0) return { ok: false, output: output(defaults) };
    const result = await run([verb]);
    return {
      ok: result.code === 0,
      output: [output(defaults), output(result)].filter((s) => s !== '').join('\n'),
    };
  }

  async unitOfPid(): Promise<string | null> {
    return null;
  }
}

export const sysvFactory: BackendFactory = {
  name: 'sysv',
  async detect(host) {
    try {
      await host.listDir(INIT_D);
      return true;
    } catch {
      return false;
    }
  },
  create: (host) => new SysvBackend(host),
};
