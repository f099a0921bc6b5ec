/**
 * A remote host over SSH, implementing the same Host interface as LocalHost (DESIGN.md, idea 1),
 * so every collector and manager works on it unchanged. Nothing is installed on the host: it
 * needs an SSH server, /bin/sh and the GNU userland every mainstream distribution has (cat,
 * head, find, stat, realpath, tail, mktemp, date).
 *
 *   connection (ssh/connection.ts)  one pooled SSH connection: keep-alive, back-off, pinned key
 *   workers    (ssh/pool.ts)        long-lived shells on it, at most `maxChannels` channels
 *   batches    (ssh/batch.ts)       reads made in one turn of the event loop, in one round trip
 *   scripts    (ssh/script.ts)      the only code that writes remote shell text, quoting once
 *   files      (agent/)             the files API: the file agent on exec channels
 *
 * Privilege: a host in mode "sudo" runs the programs named in `sudoCommands` (kill, systemctl,
 * nft…) through `sudo -n`; everything else, file access included, runs as the login user.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { HyperionError } from '../util/errors.js';
import type {
  DirEntry,
  FileEntry,
  FsUsage,
  Host,
  HostFiles,
  HostPaths,
  ReadResult,
  RunOptions,
  RunResult,
  StatResult,
} from './host.js';
import {
  Batcher,
  Bursts,
  StatfsBatcher,
  toDirEntries,
  toFileEntries,
  toFileEntry,
  toStatResult,
  type Send,
} from './ssh/batch.js';
import {
  SshConnection,
  type ConnectionSettings,
  type ConnectionStatus,
  type SshTarget,
} from './ssh/connection.js';
import { errnoError } from './ssh/errno.js';
import type { SshMetrics } from './ssh/metrics.js';
import { baseName } from './ssh/parse.js';
import { PERL_READER_COMMAND, PerlReader, type FastAnswer, type FastOp } from './ssh/perl-reader.js';
import { WorkerPool, type Lane } from './ssh/pool.js';
import { DEFAULT_MAX_OUTPUT, parseRunAnswer, runOutcome } from './ssh/run.js';
import { runRequest, type Marks, type RunPlan } from './ssh/script.js';
import { AgentFiles } from './agent/files.js';
import { launchSshAgent, type SecretPaths } from './agent/launch.js';
import { AgentPool } from './agent/pool.js';

export type Privilege = 'root' | 'sudo';

export interface SshHostSettings extends ConnectionSettings {
  /** Channels per connection: the workers, the perl reader and the file agents together. */
  maxChannels: number;
  /** A batch of reads or a file operation that takes longer fails (and its worker is ended). */
  commandTimeoutMs: number;
  privilege: Privilege;
  /** Programs run through sudo -n in privilege mode sudo; "dir/" covers a directory's programs. */
  sudoCommands: readonly string[];
  /** Read files and list directories through a long-lived perl where the host has one (default). */
  fastReads?: boolean;
  /** What the file agents must never serve (see hosts/agent/launch.ts). */
  secrets?: () => SecretPaths;
}

/** File agents per SSH host: each an exec channel of the connection. */
const FILE_AGENTS = 2;

const DEFAULT_PATHS: HostPaths = { procfs: '/proc', sysfs: '/sys', rootfs: '/' };
/** How long after its own timeout a program may take to be killed and report before giving up. */
const KILL_GRACE_MS = 15_000;
const CLOCK_CALIBRATION_MS = 60_000;
const UPTIME = '/proc/uptime';
/** A host without perl is asked again after this long (it may have been installed). */
const PERL_RETRY_MS = 10 * 60_000;

export class SshHost implements Host {
  readonly name: string;
  readonly paths: HostPaths = DEFAULT_PATHS;
  private readonly connection: SshConnection;
  private readonly pool: WorkerPool;
  private readonly batcher: Batcher;
  private readonly statfsBatcher: StatfsBatcher;
  private requests = 0;
  private perl: Promise<PerlReader | undefined> | undefined;
  private perlMissingUntil = 0;
  /** The host's boot time by its own clock, and when that was measured (see now()). */
  private bootClock: { at: number; boot: number } | undefined;
  private readonly bursts = new Bursts();
  private readonly agents: AgentPool;
  readonly files: HostFiles;

  constructor(
    target: SshTarget,
    private readonly settings: SshHostSettings,
    metrics: SshMetrics,
    log: Logger,
  ) {
    this.name = target.name;
    this.connection = new SshConnection(target, settings, metrics, log);
    const secrets = settings.secrets ?? (() => ({ deny: [], allow: [] }));
    this.agents = new AgentPool({
      hostName: target.name,
      max: FILE_AGENTS,
      queueTimeoutMs: 10_000,
      idleMs: settings.idleCloseMs,
      startTimeoutMs: Math.max(settings.commandTimeoutMs, settings.connectTimeoutMs),
      launch: () => launchSshAgent((command) => this.connection.exec(command), secrets),
    });
    this.files = new AgentFiles(this.agents);
    this.pool = new WorkerPool(this.connection, target.name, {
      // Channels stay for the file agents and for the perl reader.
      maxWorkers: Math.max(1, settings.maxChannels - FILE_AGENTS - 1),
      startTimeoutMs: Math.max(settings.commandTimeoutMs, settings.connectTimeoutMs),
      idleMs: settings.idleCloseMs,
    });
    // One burst tracker for both: a scrape's statfs calls are read ahead with its files.
    const bursts = this.bursts;
    this.batcher = new Batcher(
      this.sender('read'),
      target.name,
      bursts,
      settings.fastReads === false ? undefined : (ops) => this.fastRead(ops),
    );
    this.statfsBatcher = new StatfsBatcher(this.sender('statfs'), target.name, bursts);
  }

  status(): ConnectionStatus {
    return this.connection.status();
  }

  /** Failures of the transport so far (connects, drops, timeouts); /probe compares it. */
  get transportFailures(): number {
    return this.connection.transportFailures;
  }

  /**
   * The perl reader of the current connection (ssh/perl-reader.ts), started on first use; none
   * for a while after a host turned out to have no perl.
   */
  private fastRead(ops: FastOp[]): Promise<FastAnswer[] | undefined> {
    if (performance.now() < this.perlMissingUntil) return Promise.resolve(undefined);
    this.perl ??= this.connection
      .exec(PERL_READER_COMMAND)
      .then((channel) => PerlReader.start(channel, this.name, this.pool.startTimeoutMs))
      .then(
        (reader) => {
          if (!reader) {
            this.perlMissingUntil = performance.now() + PERL_RETRY_MS;
            this.perl = undefined;
            return undefined;
          }
          reader.onClose(() => {
            this.perl = undefined;
          });
          return reader;
        },
        (error: unknown) => {
          this.perl = undefined;
          throw error;
        },
      );
    return this.perl.then((reader) => {
      if (!reader) return undefined;
      this.requests += 1;
      return reader.request(ops, this.settings.commandTimeoutMs).catch((error: unknown) => {
        this.connection.noteFailure();
        throw error;
      });
    });
  }

  /** Requests sent to the host so far (one per round trip) and the workers: for tests and the bench. */
  stats(): { requests: number; workers: ReturnType<WorkerPool['stats']> } {
    return { requests: this.requests, workers: this.pool.stats() };
  }

  /** Ends the connection for good (host removed or changed); every later call fails. */
  close(): void {
    this.agents.close();
    this.pool.close();
    this.connection.close();
  }

  private sender(lane: Lane): Send {
    return (build) =>
      this.pool.use(lane, async (worker) => {
        this.requests += 1;
        let seq = 0;
        const response = await worker
          .request((marks, s) => {
            seq = s;
            return build(marks, s);
          }, this.settings.commandTimeoutMs)
          .catch((error: unknown) => {
            this.connection.noteFailure();
            throw error;
          });
        return { response, marks: worker.marks, seq };
      });
  }

  /**
   * Connects and starts a shell and the perl reader in the background, so the first scrape after
   * an approval finds them ready. A failure only shows in status().
   */
  warmUp(): void {
    void Promise.all([this.batcher.read(UPTIME), this.batcher.clock()]).catch(() => undefined);
  }

  /**
   * A scrape starts: what the previous one read in its later round trips is read now, in the
   * first (ssh/batch.ts, read-ahead), so a probe takes one or two round trips instead of four.
   */
  beginScrape(): () => void {
    return this.bursts.start();
  }

  // --- Reads --------------------------------------------------------------------------------

  /**
   * The host's own clock, in seconds since the epoch (hyperion_time_seconds of a probe). Reading
   * it costs a `date` process, so the host's boot time in its own clock (date − /proc/uptime) is
   * measured once a minute, and in between the clock is that plus /proc/uptime, read with the
   * scrape's other files: 10 ms resolution, and a step of the host's clock shows within a minute.
   */
  async now(): Promise<number> {
    const uptime = (text: string) => Number(text.split(' ')[0]);
    if (this.bootClock === undefined || performance.now() - this.bootClock.at > CLOCK_CALIBRATION_MS) {
      const [clock, up] = await Promise.all([this.batcher.clock(), this.readFile(UPTIME)]);
      if (Number.isFinite(uptime(up))) this.bootClock = { at: performance.now(), boot: clock - uptime(up) };
      return clock;
    }
    const { boot } = this.bootClock;
    const seconds = uptime(await this.readFile(UPTIME));
    if (!Number.isFinite(seconds)) throw new Error(`host ${this.name}: unreadable ${UPTIME}`);
    return boot + seconds;
  }

  /** adjtimex(2) read-only, asked of the perl reader with the scrape's other reads. */
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
    const results = await Promise.all(
      paths.map((p) => toStatResult(this.batcher.find('stat', p), p, this.name)),
    );
    return new Map(paths.map((p, i) => [p, results[i]!]));
  }

  async listDir(path: string): Promise<DirEntry[]> {
    return toDirEntries(await this.batcher.find('names', path), path, this.name);
  }

  async readLink(path: string): Promise<string> {
    const { self } = await this.batcher.find('lstat', path);
    if (self.typeLetter !== 'l')
      throw errnoError(
        'EINVAL',
        `Invalid argument: ${path} is not a symbolic link on host ${this.name}`,
        path,
      );
    return self.linkTarget;
  }

  async statfs(path: string): Promise<FsUsage> {
    const r = await this.statfsBatcher.statfs(path);
    return {
      size: r.blocks * r.blockSize,
      free: r.blocksFree * r.blockSize,
      avail: r.blocksAvail * r.blockSize,
      files: r.files,
      filesFree: r.filesFree,
    };
  }

  async lstat(path: string): Promise<FileEntry> {
    return toFileEntry((await this.batcher.find('lstat', path)).self);
  }

  async listDirDetailed(path: string): Promise<FileEntry[]> {
    return toFileEntries(await this.batcher.find('details', path), path, this.name);
  }

  realpath(path: string): Promise<string> {
    return this.batcher.realpath(path);
  }

  // --- Programs -----------------------------------------------------------------------------

  private needsSudo(program: string): boolean {
    if (this.settings.privilege !== 'sudo') return false;
    return this.settings.sudoCommands.some((entry) =>
      entry.endsWith('/') ? program.startsWith(entry) : program === entry || baseName(program) === entry,
    );
  }

  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const [program] = argv;
    if (!program) return Promise.reject(new HyperionError('bad-request', 'Empty argument vector'));
    return this.runAs(argv, options, this.needsSudo(program));
  }

  private async runAs(argv: readonly string[], options: RunOptions, sudo: boolean): Promise<RunResult> {
    const program = argv[0]!;
    if (options.signal?.aborted) throw stopped(program);
    const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const plan: RunPlan = {
      argv,
      sudo,
      maxOutputBytes: maxOutput,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    };
    // The host's watchdog kills the program at its timeout; this bound is for a host that
    // stopped answering altogether. Without a timeout a program may run as long as it likes.
    const bound = options.timeoutMs ? options.timeoutMs + KILL_GRACE_MS : 365 * 24 * 3600_000;
    let seq = 0;
    let marks: Marks | undefined;
    const response = await this.pool.use('run', async (worker) => {
      this.requests += 1;
      marks = worker.marks;
      const onAbort = () => void this.killRemote(worker.partialStdout(), worker.marks, seq, sudo);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await worker.request(
          (m, s) => {
            seq = s;
            return runRequest(m, s, plan);
          },
          Math.min(bound, 2 ** 31 - 1),
        );
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
    });
    if (options.signal?.aborted) throw stopped(program);
    return runOutcome(parseRunAnswer(response, marks!, seq, maxOutput), argv, options, this.name, sudo);
  }

  /** Aborting a run: SIGKILL its process group, through another worker (this one is waiting). */
  private async killRemote(partial: Buffer, marks: Marks, seq: number, sudo: boolean): Promise<void> {
    const match = new RegExp(`\\n${marks.mark} ${seq} p (\\d+)\\n`).exec(partial.toString('utf8'));
    if (!match) return;
    const pid = match[1]!;
    await this.runAs(['kill', '-s', 'KILL', '--', `-${pid}`], { timeoutMs: 10_000 }, sudo).catch(() =>
      this.runAs(['kill', '-s', 'KILL', '--', pid], { timeoutMs: 10_000 }, sudo).catch(() => undefined),
    );
  }
}

function stopped(program: string): HyperionError {
  return new HyperionError('unavailable', `${program} was stopped before it finished (the run was aborted)`);
}
