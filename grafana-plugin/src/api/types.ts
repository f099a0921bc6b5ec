/**
 * The shapes the exporter's control API answers, as the pages use them. The exporter's OpenAPI
 * document (/api/v1/openapi.json) is the reference; these are kept to the fields shown.
 */

export type ExporterRole = 'viewer' | 'operator' | 'admin';

export interface OtpStatus {
  policy: 'required' | 'optional' | 'disabled';
  enrolled: boolean;
  confirmed: boolean;
}

export interface WhoAmI {
  actor: string;
  role: ExporterRole;
  token: string;
  viaGrafana: boolean;
  otp: OtpStatus;
}

export interface Enrolment {
  otpauthUri: string;
  /** PNG data: URL. */
  qrCode: string;
  secret: string;
}

export interface HostSummary {
  name: string;
  kind: 'local' | 'ssh';
}

// --- Processes ------------------------------------------------------------------------------

export interface ProcessInfo {
  pid: number;
  ppid: number;
  uid: number;
  user: string;
  name: string;
  command: string;
  state: string;
  cpuPercent: number;
  rssBytes: number;
  vszBytes: number;
  threads: number;
  nice: number;
  priority: number;
  startTime: string;
}

export interface ProcessNode extends ProcessInfo {
  children: ProcessNode[];
}

export interface ProcessPage {
  total: number;
  offset: number;
  limit: number | null;
  items: ProcessInfo[];
  cpuWindowSeconds: number;
}

export interface ProcessTreePage {
  total: number;
  processes: number;
  offset: number;
  limit: number | null;
  items: ProcessNode[];
  cpuWindowSeconds: number;
}

export const SIGNALS = ['TERM', 'KILL', 'HUP', 'INT', 'QUIT', 'STOP', 'CONT', 'USR1', 'USR2'] as const;
export type Signal = (typeof SIGNALS)[number];

// --- Services -------------------------------------------------------------------------------

export interface ServiceInfo {
  name: string;
  backend: string;
  description: string;
  loadState: string;
  activeState: string;
  subState: string;
  enabledState: string | null;
  mainPid: number | null;
  memoryBytes: number | null;
  cpuSeconds: number | null;
}

export interface ServicePage {
  backend: string;
  total: number;
  offset: number;
  limit: number | null;
  items: ServiceInfo[];
}

export interface ServiceLogLine {
  /** Fields of a journal entry or a log-file line; `message` is always there. */
  message: string;
  time?: string | null;
  priority?: number | null;
  [field: string]: unknown;
}

export interface ServiceDetail extends ServiceInfo {
  path: string | null;
  activeSince: string | null;
  properties: Record<string, string>;
  logs: { available: boolean; source: string | null; reason?: string; lines: ServiceLogLine[] };
}

export const SERVICE_VERBS = ['start', 'stop', 'restart', 'reload', 'enable', 'disable'] as const;
export type ServiceVerb = (typeof SERVICE_VERBS)[number];

export interface ServiceActionResult {
  name: string;
  action: ServiceVerb;
  output: string;
  previous: ServiceInfo;
  service: ServiceInfo;
}

// --- Files ----------------------------------------------------------------------------------

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface FileInfo {
  name: string;
  path: string;
  type: EntryType;
  size: number;
  mode: string;
  permissions: string;
  owner: string | null;
  group: string | null;
  mtime: string;
  linkTarget?: string;
  targetType?: EntryType | 'broken';
}

export interface RootSummary {
  name: string;
  path: string;
  writable: boolean;
  writeRole: 'operator' | 'admin' | null;
}

export interface RootList {
  items: RootSummary[];
  uploadLimitBytes: number;
  textLimitBytes: number;
}

export interface Breadcrumb {
  name: string;
  path: string;
}

export interface DirectoryListing {
  kind: 'directory';
  root: string;
  path: string;
  breadcrumbs: Breadcrumb[];
  entry: FileInfo;
  total: number;
  offset: number;
  limit: number;
  items: FileInfo[];
}

export interface FileDetail {
  kind: 'file';
  root: string;
  path: string;
  breadcrumbs: Breadcrumb[];
  entry: FileInfo;
}

export interface TextFile {
  root: string;
  path: string;
  content: string;
  etag: string;
}

export interface FileLocation {
  root: string;
  path: string;
}

// --- Network and firewall -------------------------------------------------------------------

export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface NetworkInterface {
  name: string;
  state: string | null;
  mac: string | null;
  mtu: number | null;
  speedMbps: number | null;
  addresses: { family: 'ipv4' | 'ipv6'; address: string; prefixLength: number }[];
  counters: InterfaceCounters;
  rates: InterfaceCounters | null;
}

export interface InterfaceList {
  items: NetworkInterface[];
  rateWindowSeconds: number;
  addressesKnown: boolean;
}

export interface PeerSummary {
  remoteAddress: string;
  connections: number;
  states: Record<string, number>;
  localPorts: number[];
  remotePortCount: number;
  protocols: ('tcp' | 'udp')[];
}

export interface ConnectionSummary {
  connections: number;
  peers: PeerSummary[];
}

export interface BlockView {
  id: string;
  kind: 'address' | 'cidr' | 'port';
  address?: string;
  cidr?: string;
  port?: number;
  protocol?: 'tcp' | 'udp';
  reason: string;
  actor: string;
  createdAt: string;
  expiresAt: string | null;
  remainingSeconds: number | null;
  enforced: boolean | null;
}

export interface FirewallView {
  host: string;
  status: 'in-sync' | 'drifted' | 'absent' | 'unavailable';
  problems: string[];
  blocks: BlockView[];
}

export interface BlockRequest {
  address?: string;
  cidr?: string;
  port?: number;
  protocol?: 'tcp' | 'udp';
  duration?: string;
  reason: string;
}

// --- Jobs -----------------------------------------------------------------------------------

export type RunResult = 'success' | 'failure' | 'timeout' | 'error' | 'skipped' | 'missed' | 'aborted';

export interface RunSummary {
  id: number;
  job: string;
  host: string;
  trigger: 'schedule' | 'manual';
  actor: string | null;
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  result: RunResult;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
}

/** A finished run with its output, or one still running (no output yet). */
export type RunDetail =
  | (RunSummary & { state: 'finished'; stdout: string; stderr: string; outputTruncated: boolean })
  | {
      state: 'running';
      id: number;
      job: string;
      startedAt: string;
      trigger: 'schedule' | 'manual';
      actor: string | null;
    };

export interface JobCommand {
  argv?: string[];
  shell?: string;
  cwd?: string;
  env?: Record<string, string>;
}

export interface JobView {
  name: string;
  description: string | null;
  schedule: string;
  timezone: string | null;
  effectiveTimezone: string;
  host: string;
  command: JobCommand;
  timeoutSeconds: number;
  overlap: 'skip' | 'allow';
  enabled: boolean;
  scheduleError: string | null;
  nextRuns: string[];
  running: { id: number; startedAt: string }[];
  lastRun: RunSummary | null;
  lastSuccessAt: string | null;
}

/** POST /jobs (with name) and PUT /jobs/{name} (without). */
export interface JobSpec {
  name: string;
  description?: string;
  schedule: string;
  timezone?: string;
  host: string;
  command: JobCommand;
  timeoutSeconds: number;
  overlap: 'skip' | 'allow';
  enabled: boolean;
}

// --- Audit ----------------------------------------------------------------------------------

export interface AuditRecord {
  time: string;
  actor: string | null;
  tokenName: string | null;
  role: ExporterRole | null;
  viaGrafana: boolean;
  host: string | null;
  action: string;
  target: string | null;
  args: unknown;
  otpUsed: boolean;
  result: 'ok' | 'refused' | 'failed';
  status: number;
  error: string | null;
  remoteAddress: string | null;
}

export interface AuditPage {
  total: number;
  items: AuditRecord[];
}

/** A list answer: most collections are `{ items }`. */
export interface Items<T> {
  items: T[];
}

export interface JobList {
  total: number;
  items: JobView[];
}

export interface RunStarted {
  job: string;
  id: number;
  startedAt: string;
  state: 'running';
}

export interface RunPage {
  total: number;
  items: RunSummary[];
}

export interface CronPreview {
  schedule: string;
  timezone: string;
  nextRuns: string[];
}

export interface HostSchedules {
  host: string;
  crontabs: {
    path: string;
    kind: 'system' | 'cron.d' | 'user';
    owner: string | null;
    ignoredByCron: string | null;
    error: string | null;
    entries: { line: number; schedule: string; user: string | null; command: string }[];
  }[];
  systemdTimers: {
    available: boolean;
    reason?: string;
    timers: { unit: string; activates: string | null; next: string | null; last: string | null }[];
  };
}

// --- Host inventory (issue 6) ----------------------------------------------------------------

export type HostAuth =
  { type: 'key'; privateKeyFile: string; passphraseFile?: string } | { type: 'agent'; socket: string };

export interface HostKeyView {
  type: string;
  /** "SHA256:…", as ssh-keygen -l prints it. */
  fingerprint: string;
}

/** GET /hosts: the local host ({name, kind}) and every inventory host with its details. */
export interface HostEntry extends HostSummary {
  address?: string;
  port?: number;
  user?: string;
  auth?: HostAuth;
  privilege?: 'root' | 'sudo';
  labels?: Record<string, string>;
  approved?: boolean;
  /** The approved (pinned) key: the only one a connection accepts. */
  hostKey?: HostKeyView | null;
  /** A key fetched and waiting for an admin's approval. */
  pendingHostKey?: HostKeyView | null;
  connection?: {
    state: string;
    lastError: string | null;
    retryAt: number | null;
    hostKeyMismatch: boolean;
  } | null;
  addedAt?: string;
  addedBy?: string;
  approvedAt?: string | null;
  approvedBy?: string | null;
}

/** POST /hosts. */
export interface NewHost {
  name: string;
  address: string;
  port: number;
  user: string;
  auth: HostAuth;
  privilege: 'root' | 'sudo';
  labels: Record<string, string>;
}
