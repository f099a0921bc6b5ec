/**
 * A remote host over SSH, implementing the same Host interface as LocalHost (docs/architecture.md, idea 1),
 * so every collector and manager works on it unchanged. Everything goes through the one agent
 * (agent/hyperion-agent.pl) on exec channels of one SSH connection: the host needs an SSH server
 * and perl (perl-base on Debian and Ubuntu, perl-interpreter on RHEL), nothing installed for
 * reads, files and programs as the login user.
 *
 *   connection (ssh/connection.ts)   one pooled SSH connection: keep-alive, back-off, pinned key
 *   reads      (agent/reads.ts)      reads of one turn of the event loop in one round trip
 *   agents     (agent/pool.ts)       three small pools of agents, each one an exec channel:
 *                                     reads; files and programs; privileged verbs
 *
 * Privilege: a host whose login user is root runs privileged verbs on its ordinary agents. A host
 * in privilege mode "sudo" runs them on the installed agent through `sudo -n` — one sudoers line
 * for one program — and that agent must be the version this exporter ships (its digest).
 */
import type { Logger } from 'pino';
import { HyperionError } from '../util/errors.js';
import type {
  DirEntry,
  FsUsage,
  Host,
  HostFiles,
  HostPaths,
  HostPrivileged,
  ReadResult,
  RunOptions,
  RunResult,
  StatResult,
} from './host.js';
import {
  SshConnection,
  type ConnectionSettings,
  type ConnectionStatus,
  type SshTarget,
} from './ssh/connection.js';
import type { SshMetrics } from './ssh/metrics.js';
import { answerError, type AgentConnection } from './agent/connection.js';
import { AgentFiles } from './agent/files.js';
import {
  INSTALLED_AGENT_PATH,
  agentDigest,
  installHint,
  launchSshAgent,
  launchSudoAgent,
  type SecretPaths,
} from './agent/launch.js';
import { AgentPool, type AgentPoolOptions } from './agent/pool.js';
import { AgentPrivileged } from './agent/privileged.js';
import { Bursts, ReadBatcher } from './agent/reads.js';
import { runOutcome, runRequest } from './agent/run.js';

export type Privilege = 'root' | 'sudo';

export interface SshHostSettings extends ConnectionSettings {
  /** Channels per connection, every pool's agents together. */
  maxChannels: number;
  /** A batch of reads or a short agent request that takes longer fails (and its agent is ended). */
  commandTimeoutMs: number;
  privilege: Privilege;
  /** Where a host in privilege mode sudo has the agent (default /usr/lib/hyperion/hyperion-agent). */
  agentPath?: string;
  /** What the agents must never serve (see hosts/agent/launch.ts). */
  secrets?: () => SecretPaths;
}

/** Agents reading for scrapes: a turn's reads take one; a second serves scrapes that overlap. */
const READ_AGENTS = 2;
/** Agents for privileged verbs through sudo. */
const SUDO_AGENTS = 2;
/** Agents for jobs' runs, each held for a whole run, so long jobs never hold up a signal. */
const JOB_AGENTS = 2;
const QUEUE_TIMEOUT_MS = 10_000;
/** How long after its own timeout a program may take to be killed and report before giving up. */
const KILL_GRACE_MS = 15_000;
/** setTimeout's longest delay: a program without a timeout may run as long as it likes. */
const FOREVER_MS = 2 ** 31 - 1;

const DEFAULT_PATHS: HostPaths = { procfs: '/proc', sysfs: '/sys', rootfs: '/' };

export class SshHost implements Host {
  readonly name: string;
  readonly paths: HostPaths = DEFAULT_PATHS;
  readonly files: HostFiles;
  private readonly connection: SshConnection;
  private readonly readers: AgentPool;
  /** Files and programs: requests that may take long, kept away from the scrapes' reads. */
  private readonly workers: AgentPool;
  /** Privileged verbs: the sudo agents, or the workers on a host whose login user is root. */
  private readonly privilegedPool: AgentPool;
  private readonly jobAgents: AgentPool;
  /** Signal, renice, services, nftables and jobs, through the agent's typed privileged verbs. */
  readonly privileged: HostPrivileged;
  private readonly batcher: ReadBatcher;
  private readonly bursts = new Bursts();
  private requests = 0;

  constructor(
    private readonly target: SshTarget,
    private readonly settings: SshHostSettings,
    metrics: SshMetrics,
    log: Logger,
  ) {
    this.name = target.name;
    this.connection = new SshConnection(target, settings, metrics, log);
    const secrets = settings.secrets ?? (() => ({ deny: [], allow: [] }));
    const exec = (command: string) => this.connection.exec(command);
    const pool = (max: number, launch: AgentPoolOptions['launch'], prepare?: AgentPoolOptions['prepare']) =>
      new AgentPool({
        hostName: target.name,
        max,
        queueTimeoutMs: QUEUE_TIMEOUT_MS,
        idleMs: settings.idleCloseMs,
        startTimeoutMs: Math.max(settings.commandTimeoutMs, settings.connectTimeoutMs),
        launch,
        ...(prepare ? { prepare } : {}),
      });
    const sudo = settings.privilege === 'sudo';
    const workerCount = Math.max(
      1,
      settings.maxChannels - READ_AGENTS - JOB_AGENTS - (sudo ? SUDO_AGENTS : 0),
    );
    this.readers = pool(READ_AGENTS, () => launchSshAgent(exec, secrets));
    this.workers = pool(workerCount, () => launchSshAgent(exec, secrets));
    const agentPath = settings.agentPath ?? INSTALLED_AGENT_PATH;
    const privilegedPool = (max: number) =>
      sudo
        ? pool(
            max,
            () => launchSudoAgent(exec, secrets, agentPath, target.user),
            (agent) => this.verifyInstalled(agent, agentPath),
          )
        : pool(max, () => launchSshAgent(exec, secrets));
    this.privilegedPool = sudo ? privilegedPool(SUDO_AGENTS) : this.workers;
    this.jobAgents = privilegedPool(JOB_AGENTS);
    this.privileged = new AgentPrivileged(this.privilegedPool, this.jobAgents, this.name);
    this.files = new AgentFiles(this.workers);
    this.batcher = new ReadBatcher(
      (requests) =>
        this.readers.use((agent) => {
          this.requests += 1;
          this.connection.touch();
          return agent.pipeline(requests, settings.commandTimeoutMs).catch((error: unknown) => {
            this.connection.noteFailure();
            throw error;
          });
        }),
      (frame) => answerError(frame, target.name),
      target.name,
      this.bursts,
    );
  }

  /** The installed agent must be this exporter's: an older one may lack verbs or checks. */
  private async verifyInstalled(agent: AgentConnection, path: string): Promise<void> {
    const [digest = ''] = await agent.call('digest', [], this.settings.commandTimeoutMs).catch(() => ['']);
    const expected = agentDigest();
    if (digest === expected) return;
    throw new HyperionError(
      'unsupported',
      `host ${this.name}: the agent at ${path} is ${digest ? `another version (digest ${digest}, this exporter's is ${expected})` : 'too old to tell its version'}; ${installHint(path, this.target.user)}`,
    );
  }

  status(): ConnectionStatus {
    return this.connection.status();
  }

  /** Failures of the transport so far (connects, drops, timeouts); /probe compares it. */
  get transportFailures(): number {
    return this.connection.transportFailures;
  }

  /** Round trips of reads so far (a pipeline of requests is one): for /probe and the bench. */
  stats(): { requests: number } {
    return { requests: this.requests };
  }

  /** Ends the connection for good (host removed or changed); every later call fails. */
  close(): void {
    this.readers.close();
    this.workers.close();
    if (this.privilegedPool !== this.workers) this.privilegedPool.close();
    this.jobAgents.close();
    this.connection.close();
  }

  /**
   * Connects and starts a reading agent in the background, so the first scrape after an approval
   * finds it ready. A failure only shows in status().
   */
  warmUp(): void {
    void this.batcher.now().catch(() => undefined);
  }

  /**
   * A scrape starts: what the previous one read in its later round trips is read now, in the
   * first (agent/reads.ts, read-ahead), so a probe takes one or two round trips instead of four.
   */
  beginScrape(): () => void {
    return this.bursts.start();
  }

  // --- Reads --------------------------------------------------------------------------------

  /** The host's own clock (hyperion_time_seconds of a probe), read with the scrape's files. */
  now(): Promise<number> {
    return this.batcher.now();
  }

  adjtimex(): Promise<string> {
    return this.batcher.adjtimex();
  }

  async readFile(path: string): Promise<string> {
    const result = await this.batcher.read(path);
    if (!result.ok) throw result.error;
    return result.text;
  }

  async readFiles(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const results = await Promise.all(paths.map((p) => this.batcher.read(p)));
    return new Map(paths.map((p, i) => [p, results[i]!]));
  }

  async readFileHeads(paths: readonly string[], maxBytes: number): Promise<Map<string, ReadResult>> {
    const results = await Promise.all(paths.map((p) => this.batcher.head(p, maxBytes)));
    return new Map(paths.map((p, i) => [p, results[i]!]));
  }

  async statMany(paths: readonly string[]): Promise<Map<string, StatResult>> {
    const results = await Promise.all(paths.map((p) => this.batcher.stat(p)));
    return new Map(paths.map((p, i) => [p, results[i]!]));
  }

  listDir(path: string): Promise<DirEntry[]> {
    return this.batcher.list(path);
  }

  readLink(path: string): Promise<string> {
    return this.batcher.readlink(path);
  }

  statfs(path: string): Promise<FsUsage> {
    return this.batcher.statfs(path);
  }

  // --- Programs and privileged verbs ----------------------------------------------------------

  /**
   * Runs a program as the login user. Aborting ends its agent (the channel closes), and the
   * agent, seeing its input end, kills the program's process group.
   */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const program = argv[0];
    if (!program) throw new HyperionError('bad-request', 'Empty argument vector');
    const request = runRequest(argv, options);
    if (options.signal?.aborted) throw stopped(program);
    const { connection, done } = await this.workers.hold();
    const onAbort = () => connection.close();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.connection.touch();
      const bound = options.timeoutMs ? options.timeoutMs + KILL_GRACE_MS : FOREVER_MS;
      const rest = await connection.request(request.verb, request.args, Math.min(bound, FOREVER_MS));
      return runOutcome(rest, argv, options, this.name);
    } catch (error) {
      if (options.signal?.aborted) throw stopped(program);
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      done();
    }
  }

  /**
   * A verb on the privileged agents (signal, renice, service… of the agent's protocol): on a host
   * in privilege mode sudo, the installed agent run through `sudo -n`; otherwise the login user's
   * own (root's). The managers reach them through a HostPrivileged built on `privilegedAgents`.
   */
  callPrivileged(
    verb: string,
    args: readonly string[],
    timeoutMs = this.settings.commandTimeoutMs,
  ): Promise<string[]> {
    this.connection.touch();
    return this.privilegedPool.use((agent) => agent.call(verb, args, timeoutMs));
  }

  /** The pool of privileged agents (see callPrivileged). */
  get privilegedAgents(): AgentPool {
    return this.privilegedPool;
  }
}

function stopped(program: string): HyperionError {
  return new HyperionError('unavailable', `${program} was stopped before it finished (the run was aborted)`);
}
