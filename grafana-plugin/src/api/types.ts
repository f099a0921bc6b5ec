/**
 * The shapes the exporter's control API answers, as the pages use them: the exporter's own
 * declarations, so a change there is a type error here instead of a silent mismatch.
 *
 * Types only: every import below is `import type` (or `export type`), which swc erases, so
 * nothing of the exporter reaches module.js. The `@exporter/*` alias is known to tsc alone
 * (tsconfig.json): a value import from the exporter would fail the build rather than bundle
 * Node code. What is declared here is only what the exporter builds inline in a route handler
 * (no type of its own), composed from the exporter's parts and named after the route.
 *
 * The answers are JSON; the exporter already keeps every time as an ISO 8601 string in them, so
 * no type needs mapping from its in-memory form (Date) to its wire form.
 */
import type { HostSummary } from '@exporter/hosts/host-registry';
import type { BlockBody } from '@exporter/api/routes/firewall';
import type { HostInput, HostView } from '@exporter/hosts/inventory';
import type { JobCreate, RunOutcome } from '@exporter/managers/jobs/definition';
import type { JobManager, JobView } from '@exporter/managers/jobs/manager';
import type { SIGNALS as EXPORTER_SIGNALS, SignalName } from '@exporter/managers/process-control';
import type { ServiceDetailAnswer } from '@exporter/managers/services/index';
import type { AuditLog } from '@exporter/security/audit';
import type { ElevationView } from '@exporter/security/elevation';
import type { OtpStatus } from '@exporter/security/second-factor';
import type { Role } from '@exporter/security/roles';

export type { HostSummary } from '@exporter/hosts/host-registry';
export type { HostSchedules } from '@exporter/managers/jobs/host-schedules';
export type { JobView, RunDetail, RunStarted } from '@exporter/managers/jobs/manager';
export type { RunSummary } from '@exporter/managers/jobs/definition';
export type {
  ProcessDetail,
  ProcessInfo,
  ProcessNode,
  ProcessPage,
  ProcessTreePage,
} from '@exporter/managers/process-types';
export type {
  ServiceActionResult,
  ServiceInfo,
  ServicePage,
  ServiceVerb,
} from '@exporter/managers/services/index';
export type {
  DirectoryListing,
  FileDetail,
  FileInfo,
  RootList,
  TextFile,
} from '@exporter/managers/files/types';
export type { InterfaceList, NetworkInterface } from '@exporter/managers/network/interfaces';
export type { GuardedConnectionSummary as ConnectionSummary } from '@exporter/api/routes/network';
import type { GuardedConnectionSummary } from '@exporter/api/routes/network';
/** A peer of the connections summary, with why a block of it would be refused (or null). */
export type PeerSummary = GuardedConnectionSummary['peers'][number];
export type { BlockView, FirewallView } from '@exporter/managers/firewall/firewall';
export type { AuditRecord } from '@exporter/security/audit';
export type { ElevationView } from '@exporter/security/elevation';
export type {
  ActorSummary,
  Enrolment,
  IssuedEnrolmentCode,
  OtpStatus,
} from '@exporter/security/second-factor';

/** A list answer: most collections are `{ items }`. */
export interface Items<T> {
  items: T[];
}

// --- Identity -------------------------------------------------------------------------------

export type ExporterRole = Role;

/** GET /auth/whoami (built in exporter/src/api/routes/auth.ts). */
export interface WhoAmI {
  actor: string;
  /** The identity the exporter keys this actor on (token:<name> or grafana:<org>:<user id>). */
  key: string;
  role: Role;
  token: string;
  viaGrafana: boolean;
  otp: OtpStatus;
  /** The elevation this actor holds on this token after a valid code, or null. */
  elevation: ElevationView | null;
  /** How long a valid code elevates (0: one code per action). */
  elevationSeconds: number;
}

/** POST /auth/otp/confirm: the status, the recovery codes (shown this once) and the elevation opened. */
export type Confirmed = OtpStatus & { recoveryCodes: string[]; elevatedUntil: string | null };

// --- Processes ------------------------------------------------------------------------------

/**
 * The signals the dialog offers. A list the page needs at run time, so it cannot be imported
 * from the exporter; `satisfies` makes it the exporter's exact list, in the same order.
 */
export const SIGNALS = [
  'TERM',
  'KILL',
  'HUP',
  'INT',
  'QUIT',
  'STOP',
  'CONT',
  'USR1',
  'USR2',
] as const satisfies typeof EXPORTER_SIGNALS;
export type Signal = SignalName;

// --- Services -------------------------------------------------------------------------------

/** GET /hosts/{host}/services/{name}: the details and the latest log lines. */
export type ServiceDetail = ServiceDetailAnswer;

// --- Network and firewall -------------------------------------------------------------------

/** POST /hosts/{host}/firewall/blocks. */
export type BlockRequest = BlockBody;

// --- Jobs -----------------------------------------------------------------------------------

export type RunResult = RunOutcome;

/** POST /jobs (with name) and PUT /jobs/{name} (without), every default written out. */
export type JobSpec = JobCreate;

/** GET /jobs (built in exporter/src/api/routes/jobs.ts). */
export interface JobList {
  total: number;
  items: JobView[];
}

/** GET /jobs/{name}/runs. */
export type RunPage = ReturnType<JobManager['runs']>;

/** GET /cron/next-runs (built in exporter/src/api/routes/jobs.ts). */
export interface CronPreview {
  schedule: string;
  timezone: string;
  /** ISO 8601. */
  nextRuns: string[];
}

// --- Audit ----------------------------------------------------------------------------------

/** GET /audit. */
export type AuditPage = ReturnType<AuditLog['query']>;

// --- Host inventory -------------------------------------------------------------------------

/**
 * GET /hosts: the local host as its summary ({name, kind: "local"}), then every inventory host
 * with all its details (HostView) — hence the details are optional here.
 */
export type HostEntry = HostSummary & Partial<Omit<HostView, keyof HostSummary>>;

/** POST /hosts. */
export type NewHost = HostInput;
