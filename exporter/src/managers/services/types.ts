/**
 * What every service backend answers, whatever the service manager behind it. A backend is one
 * file (systemd.ts, sysv.ts) implementing ServiceBackend plus a BackendFactory that says whether
 * a host runs it; detect.ts tries the factories in order.
 */
import type { Host } from '../../hosts/host.js';
import type { JournalEntry } from '../../parsers/journal-json.js';

export const SERVICE_VERBS = ['start', 'stop', 'restart', 'reload', 'enable', 'disable'] as const;
export type ServiceVerb = (typeof SERVICE_VERBS)[number];

/**
 * Every state a service can be in, as `systemctl --state=help` lists them for load, active,
 * unit-file and service sub-states (systemd 252, plus the ones later versions added), and the
 * SysV backend's "unknown". The API's state filter accepts exactly these, so a typo is a 400
 * rather than an empty list.
 */
export const SERVICE_STATES = [
  // load
  'stub',
  'loaded',
  'not-found',
  'bad-setting',
  'error',
  'merged',
  'masked',
  // active
  'active',
  'reloading',
  'inactive',
  'failed',
  'activating',
  'deactivating',
  'maintenance',
  'refreshing',
  // unit file (enabled state)
  'enabled',
  'enabled-runtime',
  'linked',
  'linked-runtime',
  'alias',
  'masked-runtime',
  'static',
  'disabled',
  'indirect',
  'generated',
  'transient',
  'bad',
  // service sub-states
  'dead',
  'condition',
  'start-pre',
  'start',
  'start-post',
  'running',
  'exited',
  'reload',
  'reload-signal',
  'reload-notify',
  'stop',
  'stop-watchdog',
  'stop-sigterm',
  'stop-sigkill',
  'stop-post',
  'final-watchdog',
  'final-sigterm',
  'final-sigkill',
  'auto-restart',
  'auto-restart-queued',
  'dead-before-auto-restart',
  'failed-before-auto-restart',
  'dead-resources-pinned',
  'cleaning',
  // SysV: a status the script would not tell
  'unknown',
] as const;

export interface ServiceInfo {
  /** The backend's own name for it: "ssh.service" on systemd, "ssh" on SysV. */
  name: string;
  backend: string;
  description: string;
  /** systemd's LoadState (loaded, masked, bad-setting…); "loaded" for an existing SysV script. */
  loadState: string;
  /** active, inactive, failed, activating, deactivating, reloading — or unknown. */
  activeState: string;
  /** The backend's finer state: running, exited, dead, failed… */
  subState: string;
  /** enabled, disabled, static, masked, generated… — null when the backend cannot tell. */
  enabledState: string | null;
  mainPid: number | null;
  /** Memory charged to the service (its cgroup), when the backend knows it. */
  memoryBytes: number | null;
  /** CPU time used since the service started, when the backend knows it. */
  cpuSeconds: number | null;
}

export interface ServiceLogs {
  available: boolean;
  /** "journal" or the log file read; null when not available. */
  source: string | null;
  /** Why there are no logs, when available is false. */
  reason?: string;
  /** Oldest first, as journalctl and tail print them. */
  lines: JournalEntry[];
}

export interface ServiceDetail extends ServiceInfo {
  /** The unit file or init script. */
  path: string | null;
  /** When it last entered the active state, as the service manager printed it. */
  activeSince: string | null;
  /** Everything else the backend knows, as it printed it (systemctl show's properties). */
  properties: Record<string, string>;
  /** Set when the backend could only tell part of the story, saying why. */
  note?: string;
}

/** What running an action's command produced; the state is read back separately. */
export interface ActionOutcome {
  ok: boolean;
  /** The command's own words (stderr, else stdout), trimmed; empty when it said nothing. */
  output: string;
}

export interface ServiceBackend {
  readonly name: string;
  /** The backend's name for what the API was given ("ssh" → "ssh.service" on systemd). */
  canonicalName(name: string): string;
  list(): Promise<ServiceInfo[]>;
  /** One service with details, or null when the host has no such service. */
  get(name: string): Promise<ServiceDetail | null>;
  logs(name: string, lines: number): Promise<ServiceLogs>;
  act(name: string, verb: ServiceVerb, timeoutMs: number): Promise<ActionOutcome>;
  /**
   * The unit a process runs in, if the backend can tell: the exporter's own unit is protected
   * whatever it is called.
   */
  unitOfPid(pid: number): Promise<string | null>;
}

export interface BackendFactory {
  readonly name: string;
  /** Whether this host runs this service manager. Must not throw. */
  detect(host: Host): Promise<boolean>;
  create(host: Host): ServiceBackend;
}
