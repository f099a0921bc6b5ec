/**
 * systemd units, read over D-Bus from the system bus: one series per unit for its current state
 * (`hyperion_systemd_unit_state{name,type,state} 1` — node_exporter writes one per possible state,
 * five per unit, the cardinality its users complain of most), services' automatic restarts
 * (NRestarts) and when each active unit became active.
 *
 * Why the system bus and not systemd's private socket (/run/systemd/private, which
 * node_exporter's --collector.systemd.private uses): the private socket is root's alone, and the
 * exporter is meant to run as an unprivileged user; the bus lets any user list units and read
 * their properties (systemd checks privileges only for the calls that change something). Why
 * D-Bus and not `systemctl`: a program per scrape costs more than the whole scrape; one kept
 * connection answers in a few round trips. The connection is opened at the first scrape and
 * kept; a broken or silent one is dropped and opened again at the next scrape.
 *
 * Per scrape: ListUnits (one call), then, pipelined on the same connection (32 calls in flight),
 * NRestarts for each selected service that is loaded and ActiveEnterTimestamp for each selected
 * active unit, and the manager's SystemState. Units are selected by --collector.systemd.unit-include/-exclude
 * (node_exporter's flags and default exclusion: mounts, devices, scopes, slices, automounts).
 *
 * A /probe host's bus is not reachable from here (it would take forwarding the host's bus socket
 * over SSH): there its root agent runs systemctl (its read-only systemctl-query verb), three
 * programs per scrape — list-units for every unit's state, show for the selected units' restarts
 * and start times, show for the manager's SystemState. Start times come from
 * ActiveEnterTimestampMonotonic and the host's boot time (/proc/stat btime, whole seconds):
 * systemctl prints the wall-clock property in the host's own time zone. Where systemd is not the
 * service manager the collector exports nothing, on any host.
 */
import type { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Message, MessageBus } from '@jellybrick/dbus-next';
import type { Host } from '../hosts/host.js';
import { parseProcStat } from '../parsers/proc-stat.js';
import type { SkipReporter } from '../parsers/skip.js';
import { parseListUnits as parseListedUnits, parseSystemctlShow, showNumber } from '../parsers/systemctl.js';
import { parseListUnits, unitType, type SystemdUnit } from '../parsers/systemd-units.js';
import { FamilyBuilder, type Collector, type CollectContext, type MetricFamily } from './collector.js';

/** node_exporter's defaults for its --collector.systemd.unit-include/-exclude. */
export const DEFAULT_SYSTEMD_UNIT_INCLUDE = '.+';
export const DEFAULT_SYSTEMD_UNIT_EXCLUDE = '.+\\.(automount|device|mount|scope|slice)';

/** A call that takes longer means a stuck bus or manager: the connection is dropped. */
const CALL_TIMEOUT_MS = 5000;

/**
 * Calls awaiting their reply at once. The system bus refuses a connection's calls beyond 128
 * pending replies (dbus-daemon's max_replies_per_connection) with LimitsExceeded; well below
 * that, the pipeline stays full enough that systemd is never waiting for the next call.
 */
const MAX_IN_FLIGHT = 32;

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const BUS_REFUSALS = new Set([
  'org.freedesktop.DBus.Error.LimitsExceeded',
  'org.freedesktop.DBus.Error.AccessDenied',
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.Timeout',
]);

/** What one scrape read: the selected units and, by unit name, their properties. */
export interface SystemdReading {
  units: readonly SystemdUnit[];
  /** NRestarts of services (absent where it could not be read). */
  restarts: ReadonlyMap<string, number>;
  /** ActiveEnterTimestamp in microseconds since the epoch, for active units. */
  activeSinceUs: ReadonlyMap<string, number>;
  /** The manager's SystemState: running, degraded, starting… */
  systemState: string | undefined;
}

/** The units the patterns select; both are anchored (the whole name must match), as node_exporter applies them. */
export function selectUnits(units: readonly SystemdUnit[], include: RegExp, exclude: RegExp): SystemdUnit[] {
  return units.filter((u) => include.test(u.name) && !exclude.test(u.name));
}

/** Services whose restart count is worth asking for: loaded (a not-found unit has no Service object). */
export function needsRestarts(unit: SystemdUnit): boolean {
  return unit.type === 'service' && unit.loadState === 'loaded';
}

/** Units whose start time means something: active or reloading (an inactive unit's is its last run's). */
export function needsStartTime(unit: SystemdUnit): boolean {
  return unit.activeState === 'active' || unit.activeState === 'reloading';
}

export function systemdFamilies(reading: SystemdReading): MetricFamily[] {
  const m = new FamilyBuilder();
  const state = m.gauge(
    'hyperion_systemd_unit_state',
    'The unit’s current active state (label state: active, inactive, failed, activating, deactivating, reloading…); one series per unit, value 1.',
  );
  const restarts = m.counter(
    'hyperion_systemd_service_restart_total',
    'Automatic restarts of the service (systemd’s NRestarts; it starts again from 0 when the service is started by hand).',
  );
  const started = m.gauge(
    'hyperion_systemd_unit_start_time_seconds',
    'When the active unit last became active (ActiveEnterTimestamp), in seconds since the epoch.',
  );
  for (const unit of reading.units) {
    state.samples.push({ labels: { name: unit.name, type: unit.type, state: unit.activeState }, value: 1 });
    const n = reading.restarts.get(unit.name);
    if (n !== undefined) restarts.samples.push({ labels: { name: unit.name }, value: n });
    const since = reading.activeSinceUs.get(unit.name);
    // 0 means systemd never recorded it (a unit active since before systemd's own start).
    if (since !== undefined && since > 0)
      started.samples.push({ labels: { name: unit.name }, value: since / 1e6 });
  }
  if (reading.systemState !== undefined) {
    m.gauge(
      'hyperion_systemd_system_running',
      'Whether systemd says the system is fully up and nothing failed (SystemState "running"): 1, else 0 (degraded, starting, stopping…).',
    ).samples.push({ labels: {}, value: reading.systemState === 'running' ? 1 : 0 });
  }
  return m.build();
}

/** The system bus address: the environment's, as every D-Bus client takes it, or the standard socket under the root file system. */
export function systemBusAddress(rootfs: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.DBUS_SYSTEM_BUS_ADDRESS || `unix:path=${path.join(rootfs, 'run/dbus/system_bus_socket')}`;
}

type DBus = typeof import('@jellybrick/dbus-next');

/** The kept connection, per address; undefined until the first scrape or after one broke. */
const connections = new Map<string, Promise<{ bus: MessageBus; dbus: DBus }>>();

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${CALL_TIMEOUT_MS} ms`)),
      CALL_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function drop(address: string): void {
  const connection = connections.get(address);
  connections.delete(address);
  void connection?.then(
    ({ bus }) => bus.disconnect(),
    () => undefined,
  );
}

/** The kept connection to the bus at `address`, opened (and authenticated) on first use. */
function connect(address: string): Promise<{ bus: MessageBus; dbus: DBus }> {
  let connection = connections.get(address);
  if (connection) return connection;
  connection = (async () => {
    // Loaded on first use: an exporter without this collector never pays for the library.
    const dbus = await import('@jellybrick/dbus-next');
    const bus = dbus.systemBus({ busAddress: address });
    // Every failure of the connection ends it; the next scrape opens a new one. (Without a
    // listener, an 'error' event would end the exporter. The library's event types name only
    // connect and message; a closed stream shows as calls that time out, which drop it too.)
    const events = bus as unknown as EventEmitter;
    events.on('error', () => drop(address));
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        bus.once('connect', () => resolve());
        events.once('error', (error: Error) => reject(error));
      }),
      `connecting to the system bus at ${address}`,
    );
    return { bus, dbus };
  })();
  connections.set(address, connection);
  connection.catch(() => drop(address));
  return connection;
}

/** Runs the tasks with at most `limit` of them in progress; rejects with the first failure. */
async function inFlight(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** One method call to systemd; a transport failure or a timeout drops the connection. */
async function call(
  address: string,
  { bus, dbus }: { bus: MessageBus; dbus: DBus },
  objectPath: string,
  iface: string,
  member: string,
  signature = '',
  body: unknown[] = [],
): Promise<Message> {
  const message = new dbus.Message({
    destination: SYSTEMD,
    path: objectPath,
    interface: iface,
    member,
    signature,
    body,
  });
  try {
    const reply = await withTimeout(bus.call(message), `${iface}.${member}`);
    if (!reply) throw new Error(`${iface}.${member}: no reply`);
    return reply;
  } catch (error) {
    if (!(error instanceof dbus.DBusError)) drop(address);
    throw error;
  }
}

/** A property's value, or undefined when systemd answers with an error (the unit went away). */
async function property(
  address: string,
  connection: { bus: MessageBus; dbus: DBus },
  objectPath: string,
  iface: string,
  name: string,
): Promise<unknown> {
  try {
    const reply = await call(address, connection, objectPath, PROPERTIES, 'Get', 'ss', [iface, name]);
    const variant = reply.body[0] as { value?: unknown } | undefined;
    return variant?.value;
  } catch (error) {
    // The unit went away between ListUnits and this call (UnknownObject), or has no such
    // property: no series. The bus's own refusals (LimitsExceeded, AccessDenied) fail the scrape.
    if (error instanceof connection.dbus.DBusError && !BUS_REFUSALS.has(error.type)) return undefined;
    throw error;
  }
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** How long one systemctl on a /probe host may take. */
const SYSTEMCTL_TIMEOUT_MS = 15_000;

/** `systemctl list-units --all --output=json`: the units the patterns select. */
export function unitsFromListing(
  text: string,
  include: RegExp,
  exclude: RegExp,
  skip: SkipReporter,
): SystemdUnit[] {
  const units: SystemdUnit[] = [];
  for (const listed of parseListedUnits(text, skip)) {
    const type = unitType(listed.unit);
    if (type === undefined) {
      skip(listed.unit, 'not a unit name');
      continue;
    }
    // No object path: these units are read with systemctl, not over the bus.
    units.push({
      name: listed.unit,
      type,
      loadState: listed.load,
      activeState: listed.active,
      subState: listed.sub,
      objectPath: '',
    });
  }
  return selectUnits(units, include, exclude);
}

/** The units' details as systemctl showed them, read into what one scrape reports (see the header). */
export function readingFromSystemctl(
  units: readonly SystemdUnit[],
  printed: {
    /** show --property=Id,NRestarts,ActiveEnterTimestampMonotonic -- the units needing either */
    shown: string | undefined;
    /** show --property=SystemState (the manager) */
    manager: string | undefined;
    /** The host's boot time in seconds since the epoch (btime). */
    bootTime: number | undefined;
  },
  skip: SkipReporter,
): SystemdReading {
  const byName = new Map(units.map((u) => [u.name, u]));
  const restarts = new Map<string, number>();
  const activeSinceUs = new Map<string, number>();
  for (const props of parseSystemctlShow(printed.shown ?? '', skip)) {
    const name = props.get('Id');
    const unit = name === undefined ? undefined : byName.get(name);
    if (unit === undefined) continue;
    const n = showNumber(props.get('NRestarts'));
    if (n !== null && needsRestarts(unit)) restarts.set(unit.name, n);
    const monotonicUs = showNumber(props.get('ActiveEnterTimestampMonotonic'));
    // 0: systemd never recorded it (the bus says 0 too, and no series is written).
    if (monotonicUs !== null && printed.bootTime !== undefined && needsStartTime(unit))
      activeSinceUs.set(unit.name, monotonicUs === 0 ? 0 : printed.bootTime * 1e6 + monotonicUs);
  }
  const systemState = parseSystemctlShow(printed.manager ?? '', skip)[0]?.get('SystemState');
  return { units, restarts, activeSinceUs, systemState };
}

/** A /probe host: its root agent runs systemctl (see the header). */
async function readOverAgent({ host, settings, skipped }: CollectContext): Promise<SystemdReading> {
  const query = (args: string[]) => host.privileged.systemctlQuery(args, SYSTEMCTL_TIMEOUT_MS);
  const skip = skipped('systemctl');
  const listed = await query([
    'list-units',
    '--all',
    '--output=json',
    '--plain',
    '--no-legend',
    '--no-pager',
  ]);
  if (listed.code !== 0) {
    throw new Error(
      `systemctl list-units on host ${host.name}: ${listed.stderr.trim() || `exit ${listed.code}`}`,
    );
  }
  const units = unitsFromListing(
    listed.stdout,
    settings.systemdUnitInclude,
    settings.systemdUnitExclude,
    skip,
  );
  const details = units.filter((u) => needsRestarts(u) || needsStartTime(u)).map((u) => u.name);
  const [shown, manager, bootTime] = await Promise.all([
    details.length === 0
      ? undefined
      : query(['show', '--property=Id,NRestarts,ActiveEnterTimestampMonotonic', '--', ...details]),
    query(['show', '--property=SystemState']),
    bootTimeOf(host),
  ]);
  // A unit systemctl cannot show (bytes that are not UTF-8 in its properties) fails the whole
  // show: this scrape then has states without restarts and start times, never a failed scrape.
  if (shown && shown.code !== 0)
    skip(shown.stderr.trim(), 'systemctl show failed: no restarts or start times');
  return readingFromSystemctl(
    units,
    {
      shown: shown?.code === 0 ? shown.stdout : undefined,
      manager: manager.code === 0 ? manager.stdout : undefined,
      bootTime,
    },
    skip,
  );
}

async function bootTimeOf(host: Host): Promise<number | undefined> {
  try {
    return parseProcStat(await host.readFile(path.posix.join(host.paths.procfs, 'stat'))).bootTimeSeconds;
  } catch {
    return undefined;
  }
}

export const systemdCollector: Collector = {
  name: 'systemd',
  description:
    'systemd units over D-Bus: one state series per unit, service restarts, start times (--collector.systemd.unit-include/-exclude)',
  // Off by default, as in node_exporter: on a real systemd a scrape reads every selected unit
  // (about 40–60 µs of CPU each here), which would double the cost of the default set.
  defaultEnabled: false,
  async collect(ctx) {
    const { host, settings, skipped } = ctx;
    // systemd's own test of whether it is the service manager (sd_booted): without it there is
    // nothing to report, which is not a failure (a container, another init).
    const booted = await host.statMany([path.join(host.paths.rootfs, 'run/systemd/system')]);
    if (booted.values().next().value?.ok !== true) return [];
    if (host.name !== 'local') return systemdFamilies(await readOverAgent(ctx));
    const address = systemBusAddress(host.paths.rootfs);
    const connection = await connect(address);
    const listed = await call(address, connection, MANAGER_PATH, `${SYSTEMD}.Manager`, 'ListUnits');
    const units = selectUnits(
      parseListUnits(listed.body[0], skipped('ListUnits')),
      settings.systemdUnitInclude,
      settings.systemdUnitExclude,
    );
    const restarts = new Map<string, number>();
    const activeSinceUs = new Map<string, number>();
    let systemState: string | undefined;
    const reads: (() => Promise<void>)[] = [
      async () => {
        const v = await property(address, connection, MANAGER_PATH, `${SYSTEMD}.Manager`, 'SystemState');
        if (typeof v === 'string') systemState = v;
      },
    ];
    for (const unit of units) {
      if (needsRestarts(unit)) {
        reads.push(async () => {
          const n = asNumber(
            await property(address, connection, unit.objectPath, `${SYSTEMD}.Service`, 'NRestarts'),
          );
          if (n !== undefined) restarts.set(unit.name, n);
        });
      }
      if (needsStartTime(unit)) {
        reads.push(async () => {
          const us = asNumber(
            await property(address, connection, unit.objectPath, `${SYSTEMD}.Unit`, 'ActiveEnterTimestamp'),
          );
          if (us !== undefined) activeSinceUs.set(unit.name, us);
        });
      }
    }
    await inFlight(reads, MAX_IN_FLIGHT);
    return systemdFamilies({ units, restarts, activeSinceUs, systemState });
  },
};
