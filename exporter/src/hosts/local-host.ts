/**
 * The machine the exporter runs on. This is the only module that touches the file system of
 * the host or spawns programs (enforced by the lint configuration).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { HyperionError } from '../util/errors.js';
import { OutputTail } from './output-tail.js';
import { AgentFiles } from './agent/files.js';
import { launchLocalAgent, type SecretPaths } from './agent/launch.js';
import { AgentPool, type AgentPoolOptions } from './agent/pool.js';
import { AgentPrivileged } from './agent/privileged.js';
import { connectAgentSocket, sendSecrets } from './agent/socket.js';
import type {
  DirEntry,
  EntryType,
  FsUsage,
  Host,
  HostFiles,
  HostPaths,
  HostPrivileged,
  ReadResult,
  RunOptions,
  StatResult,
  RunResult,
} from './host.js';

const DEFAULT_PATHS: HostPaths = { procfs: '/proc', sysfs: '/sys', rootfs: '/' };
const DEFAULT_MAX_OUTPUT = 1 << 20;
/** After a kill, how long to wait for the pipes to close before giving up on them. */
const KILL_GRACE_MS = 2000;

/** SIGKILL the process group a detached child leads; the child alone if the group is gone. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function stoppedError(file: string): HyperionError {
  return new HyperionError('unavailable', `${file} was stopped before it finished (the run was aborted)`);
}

function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Files under /proc and /sys are tiny and generated on read. Reading them synchronously into one
 * reused buffer costs about 10 µs each, against 30–100 µs for fs.promises.readFile, whose
 * open/stat/read/close each make a trip through libuv's thread pool. The event loop is blocked
 * for microseconds, which is the better trade for a scrape that reads hundreds of them.
 */
const SCRATCH_BYTES = 64 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/**
 * sysfs hands out a whole attribute (at most a page, and a page is at least 4 KiB) per read: a
 * shorter read is the last one, and the read(2) that would return 0 is not made. A scrape reads
 * a dozen attributes per network interface and sensor chip.
 */
const SYSFS_SHORT_READ_IS_LAST = 4096;

/**
 * Reads fd to its end: into the shared scratch buffer, or for the rare file that does not fit,
 * a larger buffer of this read's own, so the shared one stays small. No read(2) asks for more
 * than SCRATCH_BYTES either: a sysctl file allocates the count asked for in the kernel (pid_max
 * read with an 8 MiB count fails with ENOMEM).
 * `fromStart`: pread from offset 0 on (kept handles); otherwise read on from the current
 * position, which every special file accepts. `shortReadIsLast`: see SYSFS_SHORT_READ_IS_LAST.
 */
function readToEnd(fd: number, fromStart: boolean, shortReadIsLast = 0): string {
  let buffer = scratch;
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const count = Math.min(buffer.length - length, SCRATCH_BYTES);
    const n = fs.readSync(fd, buffer, length, count, fromStart ? length : null);
    length += n;
    if (n === 0 || n < shortReadIsLast) return buffer.toString('utf8', 0, length);
  }
}

function readSmallFileSync(path: string, shortReadIsLast = 0): string {
  const fd = fs.openSync(path, 'r');
  try {
    return readToEnd(fd, false, shortReadIsLast);
  } finally {
    fs.closeSync(fd);
  }
}

/** One read(2) of at most maxBytes: the whole file for procfs files generated in one piece. */
function readFileHeadSync(path: string, maxBytes: number): string {
  const fd = fs.openSync(path, 'r');
  try {
    return readHead(fd, maxBytes, null); // a fresh handle is at 0: read(2) works where pread cannot
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * pread(2) at offset 0 (procfs regenerates the text of a file on every read from its start), or
 * read(2) from where the handle is when position is null.
 */
function readHead(fd: number, maxBytes: number, position: 0 | null = 0): string {
  const buffer = maxBytes <= scratch.length ? scratch : Buffer.allocUnsafe(maxBytes);
  const n = fs.readSync(fd, buffer, 0, maxBytes, position);
  return buffer.toString('utf8', 0, n);
}

/**
 * The procfs files worth keeping open (paths relative to procfs): the per-process files a process
 * listing reads on every call, PID 1's mounts, and the system-wide files (/proc/stat, meminfo,
 * net/dev, pressure/*, sys/kernel/*…) that every scrape reads. Not /proc/self: a kept handle
 * would keep answering for the process that opened it, whatever later reads it through the path.
 */
const KEPT_FILE = /^\/(\d+\/(stat|statm|cmdline)|1\/mounts|(?!\d|self\/|thread-self\/)[\w.-]+(\/[\w.-]+)*)$/;
export interface KeptFileOptions {
  /**
   * A handle not read for this long belongs to a process that has ended (or that nobody lists
   * any more) and is closed. Default 60 s.
   */
  idleMs?: number;
  /** At most this many handles (default 8192, and never more than a quarter of the open-file limit); 0 keeps none. */
  max?: number;
}

const DEFAULT_HANDLE_IDLE_MS = 60_000;
const DEFAULT_HANDLES_MAX = 8192;

interface Handle {
  fd: number;
  readAt: number;
}

/**
 * Open handles on procfs files (KEPT_FILE), kept between process listings and scrapes. Opening a
 * procfs file walks the path and builds an inode, which costs two thirds of a read; a pread at
 * offset 0 on a kept handle regenerates the same text for the third of the price (and a scrape
 * makes some 30 fewer system calls). A handle belongs to the process, not to the path: once the
 * process has ended, reading it fails with ESRCH even if a new process got the same pid, and the
 * path is then opened afresh — so a reused pid never shows the old process's data. Handles not
 * read for `idleMs` are closed (a sweep while reads go on, a timer once they stop), and at most a
 * quarter of the open-file limit is ever held.
 */
class KeptFileHandles {
  private readonly handles = new Map<string, Handle>();
  /** Files that refused a pread (ESPIPE): read the ordinary way from then on. */
  private readonly unkeepable = new Set<string>();
  private readonly max: number;
  private readonly idleMs: number;
  private lastSweep = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly procfs: string,
    options: KeptFileOptions,
  ) {
    this.idleMs = options.idleMs ?? DEFAULT_HANDLE_IDLE_MS;
    this.max = Math.min(options.max ?? DEFAULT_HANDLES_MAX, Math.floor(openFileLimit() / 4));
  }

  /** Whether `path` is one of the files these handles are for. */
  covers(path: string): boolean {
    return (
      this.max > 0 &&
      path.startsWith(this.procfs) &&
      !this.unkeepable.has(path) &&
      KEPT_FILE.test(path.slice(this.procfs.length))
    );
  }

  /** Call once per batch, before its reads. */
  begin(now: number): void {
    // Sweeping costs a walk over the handles, so it runs a few times per idle period only.
    if (now - this.lastSweep >= this.idleMs / 6) {
      this.lastSweep = now;
      for (const [path, handle] of this.handles) {
        if (now - handle.readAt > this.idleMs) this.drop(path, handle);
      }
    }
    if (this.max === 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.closeAll(), this.idleMs);
      this.idleTimer.unref(); // never keeps the exporter (or a test) alive
    }
  }

  /** The first `maxBytes` of the file, or all of it when maxBytes is undefined. */
  read(path: string, maxBytes: number | undefined, now: number): string {
    // Whole files by pread(2) from offset 0 on: the first read regenerates the text, the next ones
    // go on where it stopped (a seq_file hands out about a page per read, however large the buffer).
    const read = (fd: number) => (maxBytes === undefined ? readToEnd(fd, true) : readHead(fd, maxBytes));
    const kept = this.handles.get(path);
    if (kept !== undefined) {
      try {
        const text = read(kept.fd);
        kept.readAt = now;
        return text;
      } catch {
        this.drop(path, kept); // the process ended (ESRCH): look the path up again
      }
    }
    const fd = fs.openSync(path, 'r');
    let keep = false;
    try {
      const text = read(fd);
      keep = this.handles.size < this.max;
      return text;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESPIPE') throw error;
      this.unkeepable.add(path);
      return maxBytes === undefined ? readSmallFileSync(path) : readFileHeadSync(path, maxBytes);
    } finally {
      if (keep) this.handles.set(path, { fd, readAt: now });
      else fs.closeSync(fd);
    }
  }

  private drop(path: string, handle: Handle): void {
    this.handles.delete(path);
    fs.closeSync(handle.fd);
  }

  closeAll(): void {
    for (const [path, handle] of this.handles) this.drop(path, handle);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** The soft RLIMIT_NOFILE, which Node raises to the hard limit at start-up; 1024 if unknown. */
function openFileLimit(): number {
  try {
    const line = readSmallFileSync('/proc/self/limits')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isFinite(soft) && soft > 0 ? soft : 1024;
  } catch {
    return 1024;
  }
}

function entryType(dirent: fs.Dirent | fs.Stats): EntryType {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'dir';
  if (dirent.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** How long the kernel's clock state may take to come back from an agent. */
const ADJTIMEX_TIMEOUT_MS = 5000;

export interface LocalHostOptions {
  /** Handles kept open on procfs files between reads (see KeptFileHandles). */
  keptFiles?: KeptFileOptions;
  /** What the file agents must never serve (the exporter's data directory, its keys). */
  secrets?: () => SecretPaths;
  /**
   * The root agent's Unix socket, for an exporter that runs unprivileged: files and privileged
   * verbs go there. Absent: agents are child processes, with the exporter's own privileges.
   */
  agentSocket?: string;
  /** Through the socket: the user a file root without one of its own acts as (the exporter's). */
  filesUser?: string;
}

/** Agents on this machine: a few processes at most, closed after a minute unused. */
const LOCAL_AGENTS = { max: 4, queueTimeoutMs: 10_000, idleMs: 60_000, startTimeoutMs: 10_000 };
/** Jobs' runs: one agent each for as long as the run lasts. */
const JOB_AGENTS = { max: 64, queueTimeoutMs: 60_000, idleMs: 60_000, startTimeoutMs: 10_000 };
const NO_SECRETS: SecretPaths = { deny: [], allow: [] };

export class LocalHost implements Host {
  readonly name: string;
  readonly paths: HostPaths;
  private readonly keptFiles: KeptFileHandles;
  private readonly sysfsPrefix: string;
  private readonly agents: AgentPool;
  private readonly privilegedAgents: AgentPool;
  private readonly jobAgents: AgentPool;
  readonly files: HostFiles;
  readonly privileged: HostPrivileged;

  constructor(paths: Partial<HostPaths> = {}, name = 'local', options: LocalHostOptions = {}) {
    this.name = name;
    this.paths = { ...DEFAULT_PATHS, ...paths };
    const secrets = options.secrets ?? (() => NO_SECRETS);
    const socket = options.agentSocket;
    // Behind the socket one agent serves every local client, so each connection is told this
    // exporter's secrets first; a child agent gets them on its command line.
    const launch: Pick<AgentPoolOptions, 'launch' | 'prepare'> =
      socket === undefined
        ? { launch: () => launchLocalAgent(secrets) }
        : {
            launch: () => connectAgentSocket(socket, LOCAL_AGENTS.startTimeoutMs),
            prepare: (connection) => sendSecrets(connection, secrets(), LOCAL_AGENTS.startTimeoutMs),
          };
    // Pools of their own, so a long copy never keeps a kill waiting, nor a long job either.
    this.agents = new AgentPool({ ...LOCAL_AGENTS, hostName: name, ...launch });
    this.privilegedAgents = new AgentPool({ ...LOCAL_AGENTS, hostName: name, ...launch });
    this.jobAgents = new AgentPool({ ...JOB_AGENTS, hostName: name, ...launch });
    this.files = new AgentFiles(this.agents, socket === undefined ? undefined : options.filesUser);
    this.privileged = new AgentPrivileged(this.privilegedAgents, this.jobAgents, this.name);
    this.keptFiles = new KeptFileHandles(this.paths.procfs, options.keptFiles ?? {});
    this.sysfsPrefix = this.paths.sysfs.endsWith('/') ? this.paths.sysfs : `${this.paths.sysfs}/`;
  }

  /** Ends the idle file agents (the next request starts new ones, e.g. with new secrets). */
  recycleAgents(): void {
    this.agents.recycle();
    this.privilegedAgents.recycle();
    this.jobAgents.recycle();
  }

  async readFile(path: string): Promise<string> {
    const now = Date.now();
    this.keptFiles.begin(now);
    return this.readWhole(path, now);
  }

  /** adjtimex(2) read-only, answered by an agent (its `adjtimex` verb: perl can make the call, Node cannot). */
  async adjtimex(): Promise<string> {
    const answer = await this.agents.use((agent) => agent.request('adjtimex', [], ADJTIMEX_TIMEOUT_MS));
    return answer.toString('utf8');
  }

  async readFiles(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const out = new Map<string, ReadResult>();
    const now = Date.now();
    this.keptFiles.begin(now);
    for (const path of paths) {
      try {
        out.set(path, { ok: true, text: this.readWhole(path, now) });
      } catch (error) {
        out.set(path, { ok: false, error: error as Error });
      }
    }
    return out;
  }

  /** Call keptFiles.begin(now) once before a batch of these. */
  private readWhole(path: string, now: number): string {
    if (this.keptFiles.covers(path)) return this.keptFiles.read(path, undefined, now);
    return readSmallFileSync(path, path.startsWith(this.sysfsPrefix) ? SYSFS_SHORT_READ_IS_LAST : 0);
  }

  async readFileHeads(paths: readonly string[], maxBytes: number): Promise<Map<string, ReadResult>> {
    const out = new Map<string, ReadResult>();
    const now = Date.now();
    this.keptFiles.begin(now);
    for (const path of paths) {
      try {
        const text = this.keptFiles.covers(path)
          ? this.keptFiles.read(path, maxBytes, now)
          : readFileHeadSync(path, maxBytes);
        out.set(path, { ok: true, text });
      } catch (error) {
        out.set(path, { ok: false, error: error as Error });
      }
    }
    return out;
  }

  async statMany(paths: readonly string[]): Promise<Map<string, StatResult>> {
    const out = new Map<string, StatResult>();
    for (const path of paths) {
      try {
        // Synchronous for the same reason as the reads above: a few µs each on /proc.
        const s = fs.statSync(path);
        out.set(path, {
          ok: true,
          stat: {
            type: entryType(s),
            size: s.size,
            mode: s.mode & 0o7777,
            uid: s.uid,
            gid: s.gid,
            mtimeMs: s.mtimeMs,
          },
        });
      } catch (error) {
        out.set(path, { ok: false, error: error as Error });
      }
    }
    return out;
  }

  async listDir(path: string): Promise<DirEntry[]> {
    const entries = fs.readdirSync(path, { withFileTypes: true });
    return entries.map((d) => ({ name: d.name, type: entryType(d) }));
  }

  async readLink(path: string): Promise<string> {
    return fs.readlinkSync(path);
  }

  async statfs(path: string, options: { canHang?: boolean } = {}): Promise<FsUsage> {
    // Through the thread pool unless the caller knows better: statfs on a dead network mount can
    // hang, and must not take the event loop with it. On a local file system it takes a few µs,
    // a tenth of the thread pool's round trip.
    const s = options.canHang === false ? fs.statfsSync(path) : await fs.promises.statfs(path);
    return {
      size: s.blocks * s.bsize,
      free: s.bfree * s.bsize,
      avail: s.bavail * s.bsize,
      files: s.files,
      filesFree: s.ffree,
    };
  }

  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const [file, ...args] = argv;
    if (!file) return Promise.reject(new HyperionError('bad-request', 'Empty argument vector'));
    if (options.signal?.aborted) return Promise.reject(stoppedError(file));
    // spawn reports a missing working directory as ENOENT of the program: say which it is.
    if (options.cwd !== undefined && !isDirectory(options.cwd)) {
      return Promise.reject(
        new HyperionError(
          'not-found',
          `working directory ${options.cwd} does not exist on host ${this.name}`,
        ),
      );
    }
    const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    return new Promise((resolve, reject) => {
      // detached: the program leads a process group of its own, so a kill reaches everything it
      // started (a shell's children hold our pipes open and would outlive a kill of the shell).
      const child = spawn(file, args, {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const stdout = new OutputTail(max);
      const stderr = new OutputTail(max);
      child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));

      let killedFor: 'timeout' | 'abort' | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const kill = (why: 'timeout' | 'abort') => {
        if (killedFor) return;
        killedFor = why;
        killGroup(child);
        // A process that left the group (setsid) may still hold the pipes: stop waiting for them.
        graceTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, KILL_GRACE_MS);
      };
      const timer = options.timeoutMs ? setTimeout(() => kill('timeout'), options.timeoutMs) : undefined;
      const onAbort = () => kill('abort');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let settled = false;
      const settle = () => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        options.signal?.removeEventListener('abort', onAbort);
        return true;
      };

      child.once('error', (error: NodeJS.ErrnoException) => {
        if (!settle()) return;
        killGroup(child);
        if (error.code === 'ENOENT') {
          reject(new HyperionError('unsupported', `${file} is not installed on host ${this.name}`));
        } else {
          reject(
            new HyperionError('unavailable', `cannot run ${file} on host ${this.name}: ${error.message}`),
          );
        }
      });
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        if (!settle()) return;
        if (killedFor === 'abort') {
          reject(stoppedError(file));
        } else if (killedFor === 'timeout' && options.onTimeout !== 'resolve') {
          reject(new HyperionError('timeout', `${file} did not finish within ${options.timeoutMs} ms`));
        } else {
          resolve({
            stdout: stdout.text(),
            stderr: stderr.text(),
            code,
            signal,
            ...(killedFor === 'timeout' ? { timedOut: true } : {}),
            ...(stdout.truncated || stderr.truncated ? { truncated: true } : {}),
          });
        }
      });
      if (options.input !== undefined) {
        child.stdin!.on('error', () => {}); // EPIPE: the program exited without reading it all
        child.stdin!.end(options.input);
      }
    });
  }
}
