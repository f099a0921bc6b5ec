/**
 * The systemd backend: systemctl for states and actions, journalctl for logs — through the host's
 * root agent (its systemctl-query, systemctl and journal verbs), which puts "--" before unit
 * names, so a name can never be read as an option even if it got past the edge's validation.
 */
import type { Host, RunResult } from '../../hosts/host.js';
import { primaryCgroupPath, parsePidCgroup, unitsFromCgroupPath } from '../../parsers/cgroup.js';
import { parseJournalJson } from '../../parsers/journal-json.js';
import {
  parseListUnitFiles,
  parseListUnits,
  parseSystemctlShow,
  showNumber,
  showText,
  type ListedUnit,
  type ListedUnitFile,
  type UnitProperties,
} from '../../parsers/systemctl.js';
import { HyperionError } from '../../util/errors.js';
import { under } from '../../util/paths.js';
import { assertServiceName } from './names.js';
import type {
  ActionOutcome,
  BackendFactory,
  ServiceBackend,
  ServiceDetail,
  ServiceInfo,
  ServiceLogs,
  ServiceVerb,
} from './types.js';

const QUERY_TIMEOUT_MS = 15_000;
// systemctl and journalctl run in the agent, with plain, uncoloured, unpaged, English output and
// times in UTC whatever the host's settings (its PROGRAM_ENV).

const LIST_PROPERTIES = [
  'Id',
  'Description',
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'MainPID',
  'MemoryCurrent',
  'CPUUsageNSec',
  'ControlGroup',
];
/**
 * What a service's details show, to every role: an allow-list, so that what a unit carries in
 * its environment or credentials (Environment=, LoadCredential=, SetCredential=…) or in its
 * command lines never leaves the exporter — it is not even asked for.
 */
export const DETAIL_PROPERTIES = [
  ...LIST_PROPERTIES,
  'Names',
  'FragmentPath',
  'SourcePath',
  'DropInPaths',
  'UnitFilePreset',
  'Type',
  'Restart',
  'RestartUSec',
  'NRestarts',
  'Result',
  'StatusText',
  'ExecMainPID',
  'ExecMainStartTimestamp',
  'ExecMainExitTimestamp',
  'ExecMainCode',
  'ExecMainStatus',
  'ActiveEnterTimestamp',
  'ActiveExitTimestamp',
  'InactiveEnterTimestamp',
  'StateChangeTimestamp',
  'MemoryPeak',
  'TasksCurrent',
  'TasksMax',
  'User',
  'Group',
  'DynamicUser',
  'Slice',
  'After',
  'Before',
  'Wants',
  'WantedBy',
  'Requires',
  'RequiredBy',
  'TriggeredBy',
  'Documentation',
  'TimeoutStartUSec',
  'TimeoutStopUSec',
  'WatchdogUSec',
  'CanStart',
  'CanStop',
  'CanReload',
];
/** Units per `systemctl show` call: keeps the argument vector well below ARG_MAX. */
const SHOW_BATCH = 400;
/** Units `systemctl show` may fail on in one listing before the listing itself fails. */
const MAX_SKIPPED = 20;
/**
 * `list-unit-files` reads every unit file and preset on the host (about 2 s on a loaded 2-core
 * machine), while the names it adds change only when packages are installed: reuse them for a
 * while. Actions through this backend drop the cache.
 */
const UNIT_FILES_TTL_MS = 10_000;

function output(result: RunResult): string {
  return (result.stderr.trim() || result.stdout.trim()).slice(0, 4000);
}

/** "ssh" → "ssh.service": the API deals in services, and systemctl would guess the same. */
export function systemdUnitName(name: string): string {
  return name.endsWith('.service') ? name : `${name}.service`;
}

function toInfo(p: UnitProperties, cpuFallback?: number | null): ServiceInfo {
  const nsec = showNumber(p.get('CPUUsageNSec'));
  const mainPid = showNumber(p.get('MainPID'));
  return {
    name: p.get('Id') ?? '',
    backend: 'systemd',
    description: p.get('Description') ?? '',
    loadState: p.get('LoadState') ?? 'unknown',
    activeState: p.get('ActiveState') ?? 'unknown',
    subState: p.get('SubState') ?? 'unknown',
    enabledState: showText(p.get('UnitFileState')),
    mainPid: mainPid !== null && mainPid > 0 ? mainPid : null,
    memoryBytes: showNumber(p.get('MemoryCurrent')),
    cpuSeconds: nsec !== null ? nsec / 1e9 : (cpuFallback ?? null),
  };
}

/**
 * What list-units and list-unit-files know about a unit whose properties `systemctl show` could
 * not give: its states, and "unknown" for what neither says.
 */
function fromListing(unit: ListedUnit | undefined, name: string, file?: ListedUnitFile): ServiceInfo {
  return {
    name,
    backend: 'systemd',
    description: unit?.description ?? '',
    loadState: unit?.load ?? (file ? 'loaded' : 'unknown'),
    activeState: unit?.active ?? (file ? 'inactive' : 'unknown'),
    subState: unit?.sub ?? (file ? 'dead' : 'unknown'),
    enabledState: file?.state ?? null,
    mainPid: null,
    memoryBytes: null,
    cpuSeconds: null,
  };
}

function fileName(file: ListedUnitFile): string {
  return file.unitFile.slice(file.unitFile.lastIndexOf('/') + 1);
}

/** cpu.stat's usage_usec (cgroup v2) or cpuacct.usage's nanoseconds (v1), in seconds. */
function cpuFromCgroupFile(path: string, text: string): number | null {
  if (path.endsWith('cpuacct.usage')) {
    const ns = showNumber(text.trim());
    return ns === null ? null : ns / 1e9;
  }
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m ? Number(m[1]) / 1e6 : null;
}

export class SystemdBackend implements ServiceBackend {
  readonly name = 'systemd';
  private unitFilesCache: { at: number; files: Promise<ListedUnitFile[]> } | undefined;

  constructor(private readonly host: Host) {}

  canonicalName(name: string): string {
    return systemdUnitName(name);
  }

  /** The listings and properties: through the root agent (see its systemctl-query). */
  private systemctl(args: readonly string[], timeoutMs = QUERY_TIMEOUT_MS): Promise<RunResult> {
    return this.host.privileged.systemctlQuery(args, timeoutMs);
  }

  private async query(args: readonly string[]): Promise<string> {
    const result = await this.systemctl(args);
    if (result.code !== 0) {
      throw new HyperionError(
        'unavailable',
        `systemctl ${args[0]} failed on host ${this.host.name}: ${output(result) || `exit ${result.code}`}`,
      );
    }
    return result.stdout;
  }

  private unitFiles(): Promise<ListedUnitFile[]> {
    const now = Date.now();
    if (!this.unitFilesCache || now - this.unitFilesCache.at > UNIT_FILES_TTL_MS) {
      const files = this.query([
        'list-unit-files',
        '--type=service',
        '--output=json',
        '--plain',
        '--no-legend',
        '--no-pager',
      ])
        .then((text) => parseListUnitFiles(text))
        .catch((error: unknown) => {
          this.unitFilesCache = undefined;
          throw error;
        });
      this.unitFilesCache = { at: now, files };
    }
    return this.unitFilesCache.files;
  }

  private async listUnits(): Promise<ListedUnit[]> {
    const args = [
      'list-units',
      '--all',
      '--type=service',
      '--output=json',
      '--plain',
      '--no-legend',
      '--no-pager',
    ];
    return parseListUnits(await this.query(args));
  }

  /**
   * `systemctl show` for many units. It prints units in the order asked and stops at the first it
   * cannot serialise (a unit whose properties hold bytes that are not UTF-8 fails the D-Bus call
   * with "Invalid argument"): that unit is left out and the rest asked for again. Bounded: each
   * round either finishes or drops one name, and at most MAX_SKIPPED are dropped.
   */
  private async show(
    names: readonly string[],
    properties: readonly string[],
  ): Promise<Map<string, UnitProperties>> {
    const out = new Map<string, UnitProperties>();
    let skipped = 0;
    for (let i = 0; i < names.length; i += SHOW_BATCH) {
      let pending = names.slice(i, i + SHOW_BATCH);
      while (pending.length > 0) {
        const args = [
          'show',
          ...(properties.length > 0 ? [`--property=${properties.join(',')}`] : []),
          '--',
          ...pending,
        ];
        const result = await this.systemctl(args);
        const units = parseSystemctlShow(result.stdout);
        // Keyed by the name asked for: an alias (sshd.service) answers with its unit's Id.
        units.forEach((props, index) => out.set(pending[index]!, props));
        if (result.code === 0) break;
        skipped += 1;
        if (
          !/failed to get properties/i.test(result.stderr) ||
          units.length >= pending.length ||
          skipped > MAX_SKIPPED
        ) {
          throw new HyperionError(
            'unavailable',
            `systemctl show failed on host ${this.host.name}: ${output(result)}`,
          );
        }
        pending = pending.slice(units.length + 1);
      }
    }
    return out;
  }

  async list(): Promise<ServiceInfo[]> {
    const [units, files] = await Promise.all([this.listUnits(), this.unitFiles()]);
    const byName = new Map(units.map((u) => [u.unit, u]));
    const fileByName = new Map(files.map((f) => [fileName(f), f]));
    const names = new Set(units.filter((u) => u.load !== 'not-found').map((u) => u.unit));
    for (const f of files) {
      const name = fileName(f);
      // Templates (foo@.service) are not services until instantiated; aliases repeat their unit.
      if (name.endsWith('@.service') || f.state === 'alias') continue;
      names.add(name);
    }
    const shown = await this.show([...names], LIST_PROPERTIES);
    const cpu = await this.cgroupCpu([...shown.values()]);
    const seen = new Set<string>();
    const out: ServiceInfo[] = [];
    for (const name of names) {
      const props = shown.get(name);
      const info = props
        ? toInfo(props, cpu.get(props.get('ControlGroup') ?? ''))
        : fromListing(byName.get(name), name, fileByName.get(name));
      if (info.loadState === 'not-found' || seen.has(info.name)) continue;
      seen.add(info.name);
      out.push(info);
    }
    return out;
  }

  /**
   * CPU time from the unit's cgroup when systemd does not account it (CPUAccounting=no on a v1
   * or hybrid host): the kernel counts it anyway. One batch read for every running unit.
   */
  private async cgroupCpu(units: readonly UnitProperties[]): Promise<Map<string, number>> {
    const cgroupRoot = under(this.host.paths.sysfs, 'fs/cgroup');
    const candidates = new Map<string, string[]>();
    for (const p of units) {
      const group = p.get('ControlGroup') ?? '';
      if (group === '' || showNumber(p.get('CPUUsageNSec')) !== null) continue;
      candidates.set(group, [
        under(cgroupRoot, group, 'cpu.stat'),
        under(cgroupRoot, 'unified', group, 'cpu.stat'),
        under(cgroupRoot, 'cpuacct', group, 'cpuacct.usage'),
      ]);
    }
    const out = new Map<string, number>();
    if (candidates.size === 0) return out;
    const files = await this.host.readFiles([...candidates.values()].flat());
    for (const [group, paths] of candidates) {
      for (const path of paths) {
        const file = files.get(path);
        const seconds = file?.ok ? cpuFromCgroupFile(path, file.text) : null;
        if (seconds !== null) {
          out.set(group, seconds);
          break;
        }
      }
    }
    return out;
  }

  async get(name: string): Promise<ServiceDetail | null> {
    assertServiceName(name);
    const unit = systemdUnitName(name);
    const props = (await this.show([unit], DETAIL_PROPERTIES)).get(unit);
    if (!props) return this.getListed(unit);
    if (props.get('LoadState') === 'not-found') return null;
    const cpu = await this.cgroupCpu([props]);
    return {
      ...toInfo(props, cpu.get(props.get('ControlGroup') ?? '')),
      path: showText(props.get('FragmentPath')) ?? showText(props.get('SourcePath')),
      activeSince: showText(props.get('ActiveEnterTimestamp')),
      properties: Object.fromEntries(props),
    };
  }

  /**
   * A unit systemctl show cannot serialise: its state from the listings, and a note saying so.
   * A listing that matches nothing may exit non-zero: that is an empty answer here, not an error.
   */
  private async getListed(unit: string): Promise<ServiceDetail | null> {
    const flags = ['--type=service', '--output=json', '--plain', '--no-legend', '--no-pager', '--', unit];
    const [units, files] = await Promise.all([
      this.systemctl(['list-units', '--all', ...flags]),
      this.systemctl(['list-unit-files', ...flags]),
    ]);
    const found = parseListUnits(units.stdout).find((u) => u.unit === unit);
    const file = parseListUnitFiles(files.stdout).find((f) => fileName(f) === unit);
    if ((!found || found.load === 'not-found') && !file) return null;
    return {
      ...fromListing(found, unit, file),
      path: null,
      activeSince: null,
      properties: {},
      note:
        'systemctl show fails for this unit (as it does when a property holds bytes that are not UTF-8); ' +
        'its states are from list-units and list-unit-files',
    };
  }

  async logs(name: string, lines: number): Promise<ServiceLogs> {
    assertServiceName(name);
    const unit = systemdUnitName(name);
    let result: RunResult;
    try {
      // Through the root agent: the journal of system units is root's (and the systemd-journal
      // group's) to read. The agent passes the unit as one --unit=NAME argument.
      result = await this.host.privileged.journal(unit, lines, QUERY_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof HyperionError && error.type === 'unsupported') {
        return {
          available: false,
          source: null,
          reason: `journalctl is not installed on host ${this.host.name}`,
          lines: [],
        };
      }
      throw error;
    }
    if (result.code !== 0) {
      return {
        available: false,
        source: null,
        reason: `journalctl failed on host ${this.host.name}: ${output(result) || `exit ${result.code}`}`,
        lines: [],
      };
    }
    return { available: true, source: 'journal', lines: parseJournalJson(result.stdout) };
  }

  async act(name: string, verb: ServiceVerb, timeoutMs: number): Promise<ActionOutcome> {
    assertServiceName(name);
    this.unitFilesCache = undefined;
    const unit = systemdUnitName(name);
    const result = await this.host.privileged.systemctl(verb, unit, timeoutMs);
    return { ok: result.code === 0, output: output(result) };
  }

  async unitOfPid(pid: number): Promise<string | null> {
    try {
      const text = await this.host.readFile(`${this.host.paths.procfs}/${pid}/cgroup`);
      const path = primaryCgroupPath(parsePidCgroup(text));
      return path === null ? null : unitsFromCgroupPath(path).unit;
    } catch {
      return null;
    }
  }
}

export const systemdFactory: BackendFactory = {
  name: 'systemd',
  /** sd_booted()'s question, asked of PID 1 itself: is the host's init systemd? */
  async detect(host) {
    try {
      return (await host.readFile(`${host.paths.procfs}/1/comm`)).trim() === 'systemd';
    } catch {
      return false;
    }
  },
  create: (host) => new SystemdBackend(host),
};
