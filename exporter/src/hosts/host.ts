/**
 * The one abstraction every collector and manager is written against (docs/architecture.md, idea 1).
 * LocalHost implements it with Node's APIs; a remote implementation does the same over SSH,
 * so a feature written once works on every host. Paths are absolute paths *on that host*;
 * the procfs/sysfs/rootfs prefixes are resolved by the caller through `paths`.
 */
export interface HostPaths {
  /** Where the host's procfs is mounted, normally /proc (node_exporter's --path.procfs). */
  procfs: string;
  /** Where the host's sysfs is mounted, normally /sys. */
  sysfs: string;
  /** Where the host's root file system is visible, normally / (set when running in a container). */
  rootfs: string;
}

export interface RunOptions {
  /**
   * Kill the program after this many milliseconds (SIGKILL) and reject with a timeout error
   * (or resolve, see onTimeout). The kill reaches every process the program started in its
   * process group (a shell script's children too), so pipes close and run() returns on time.
   */
  timeoutMs?: number;
  /**
   * 'reject' (default): a timeout is an error. 'resolve': a timeout is a result — run() resolves
   * with the output so far, `timedOut: true` and the kill signal, as a job's history wants it.
   */
  onTimeout?: 'reject' | 'resolve';
  /** Aborting kills the program like a timeout and rejects (the exporter is shutting down). */
  signal?: AbortSignal;
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  /**
   * Keep at most this many bytes of each of stdout and stderr: the tail is kept and the
   * program runs on (it is not killed for printing much).
   */
  maxOutputBytes?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when the program was ended by a signal. */
  code: number | null;
  signal: string | null;
  /** True when the program was killed for outliving timeoutMs (only with onTimeout: 'resolve'). */
  timedOut?: boolean;
  /** True when stdout or stderr was longer than maxOutputBytes and only its tail was kept. */
  truncated?: boolean;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface DirEntry {
  name: string;
  type: EntryType;
}

export interface FsUsage {
  /** Total size in bytes. */
  size: number;
  /** Bytes free, including those reserved for root. */
  free: number;
  /** Bytes available to unprivileged users. */
  avail: number;
  files: number;
  filesFree: number;
}

/** The result of one path in a batch read: its text, or the error reading it raised. */
export type ReadResult = { ok: true; text: string } | { ok: false; error: Error };

/** What stat(2) says about one path (symlinks followed), trimmed to what managers use. */
export interface FileStat {
  type: EntryType;
  size: number;
  /** Permission bits and set-id/sticky bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

/** The result of one path in a batch stat: its metadata, or the error stat raised (ENOENT, EACCES…). */
export type StatResult = { ok: true; stat: FileStat } | { ok: false; error: Error };

/** One entry of a detailed directory listing: lstat(2) of the entry (symlinks not followed). */
export interface FileEntry {
  name: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** For symlinks: where the link points (readlink), as written in the link. */
  linkTarget?: string;
}

export interface ReadRange {
  /** First byte to read (inclusive), for HTTP Range requests. */
  start?: number;
  /** Last byte to read (inclusive). */
  end?: number;
}

/**
 * File access for the files API, through the host's agents (hosts/agent/). Every call names the
 * root — its canonical path — that the path must stay inside; paths are absolute on the host.
 * Whatever the caller checked before, the agent decides again on what it opened: inside the
 * root, not a secret of the exporter, not on a pseudo file system, of the right type. Its
 * refusals are AgentRefusal errors, failed system calls errors with an errno `code`.
 */
export interface HostFiles {
  /** The canonical path (every link resolved); it must lie inside the root. */
  realpath(root: string, path: string): Promise<string>;
  /** lstat(2) of one entry (a link as a link, with its target). */
  lstat(root: string, path: string): Promise<FileEntry>;
  /** stat(2) following links, for what a link inside the root points to. */
  stat(root: string, path: string): Promise<FileEntry>;
  /** Every entry of a directory with its lstat data. */
  list(root: string, path: string): Promise<FileEntry[]>;
  /** Opens a regular file and streams its bytes; `entry` describes what was opened. */
  read(
    root: string,
    path: string,
    range?: ReadRange,
  ): Promise<{ entry: FileEntry; stream: NodeJS.ReadableStream }>;
  /** Creates a new file (never an existing one); ending the stream syncs and closes it. */
  create(root: string, path: string, mode: number): Promise<NodeJS.WritableStream>;
  mkdir(root: string, path: string, options?: { parents?: boolean; mode?: number }): Promise<void>;
  /** rename(2) of the entry itself; EXDEV across file systems. */
  rename(fromRoot: string, from: string, toRoot: string, to: string): Promise<void>;
  /** Copies a file or (recursive) a directory tree to a new name, keeping modes and times. */
  copy(
    fromRoot: string,
    from: string,
    toRoot: string,
    to: string,
    options?: { recursive?: boolean },
  ): Promise<void>;
  /** Removes an entry (a link, not its target); a directory's contents only when recursive. */
  remove(root: string, path: string, options?: { recursive?: boolean }): Promise<void>;
  /**
   * From now on, the verbs on files below `root` (a canonical path) are done as `user` — its
   * uid, gid and groups — so the operating system's permissions apply. Absent: the host's
   * agents act as whoever they run as.
   */
  actAs?(root: string, user: string): void;
  /** The same verbs, all done as `user` whatever the root (resolving a root's own directory). */
  as?(user: string): HostFiles;
}

/** A job's run as the agent makes it (see HostPrivileged.job). */
export interface JobRun {
  argv: readonly string[];
  /** The user it runs as (its uid, gid, groups, home and shell). */
  user: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Aborting kills the run's whole process group. */
  signal?: AbortSignal;
}

/**
 * What only root may do on a host, as the typed verbs of the host's root agent: each argument is
 * checked again by the agent, failures are errno names (an Error with `code`) or refusals
 * (AgentRefusal), programs' results are exit status and output. Every host has one: managers
 * reach privileged work through nothing else.
 */
export interface HostPrivileged {
  /** kill(2) with a signal named as kill(1) names it (TERM); ESRCH, EPERM as `code`. PID 1 is refused. */
  signal(pid: number, signal: string): Promise<void>;
  /** setpriority(2) of each thread id: the ids that failed, with their errno names. */
  renice(nice: number, ids: readonly number[]): Promise<{ id: number; code: string }[]>;
  /** systemctl VERB --no-ask-password -- UNIT. */
  systemctl(verb: string, unit: string, timeoutMs: number): Promise<RunResult>;
  /** systemctl list-units|list-unit-files|list-timers|show with fixed options (no secret properties). */
  systemctlQuery(args: readonly string[], timeoutMs: number): Promise<RunResult>;
  /** journalctl --unit=UNIT --lines=N --output=json. */
  journal(unit: string, lines: number, timeoutMs: number): Promise<RunResult>;
  /**
   * The last `lines` lines of a log file below /var/log, read as root (opened without following
   * a link; ENOENT, or a refusal when it leads out of /var/log or is not a regular file);
   * `truncated`: the lines asked for reach further back than the agent reads (4 MiB).
   */
  logTail(path: string, lines: number): Promise<{ text: string; truncated: boolean }>;
  /** A SysV script's verb (service NAME VERB; status runs the script itself). */
  service(name: string, verb: string, timeoutMs: number): Promise<RunResult>;
  /** update-rc.d NAME defaults|enable|disable. */
  updateRcd(name: string, action: string, timeoutMs: number): Promise<RunResult>;
  /** nft -j list table FAMILY TABLE. */
  nftList(family: string, table: string, timeoutMs: number): Promise<RunResult>;
  /** nft -j -f - with the libnftables JSON transaction on its stdin. */
  nftApply(ruleset: string, timeoutMs: number): Promise<RunResult>;
  /** A job's run as its user; a timeout is a result (timedOut), a program that cannot start an error. */
  job(run: JobRun): Promise<RunResult>;
  /** Another user's process: its cwd and executable (null: unreadable) and its descriptor count. */
  processLinks(pid: number): Promise<{ cwd: string | null; exe: string | null; fds: number | null }>;
  /** Every process's socket descriptors, as (pid, socket inode) pairs. */
  socketInodes(): Promise<{ pid: number; inode: number }[]>;
}

export interface Host {
  /** The inventory name: "local" for the machine the exporter runs on. */
  readonly name: string;
  readonly paths: HostPaths;

  /**
   * The host's own clock in seconds since the epoch, where it differs from the exporter's (a
   * remote host reads it in the same round trip as the scrape's files). Absent: Date.now().
   */
  now?(): Promise<number>;

  /**
   * adjtimex(2) in read-only mode: the kernel's clock discipline (offset, frequency, maximum
   * error, sync status), which no file in /proc or /sys publishes, and Node.js has no binding
   * for: perl can make any system call, so the agent answers (its `adjtimex` verb), in the line
   * parsers/adjtimex.ts reads. Absent where a host cannot answer.
   */
  adjtimex?(): Promise<string>;

  /** Read a whole (small) text file. Rejects with an errno-style error (ENOENT...) when absent. */
  readFile(path: string): Promise<string>;
  /**
   * Read many small files in one go. Remote hosts answer in a single round trip, which is what
   * makes scraping a host over SSH affordable; a missing file is an entry with ok=false.
   */
  readFiles(paths: readonly string[]): Promise<Map<string, ReadResult>>;
  /**
   * Like readFiles, but each file is read with one read of at most `maxBytes` (a remote host: the
   * agent's `heads`). Only for files the kernel generates in one piece, such as /proc/<pid>/stat and
   * /proc/<pid>/cmdline: a file produced in chunks (/proc/<pid>/maps, mountinfo) may come back
   * short. It saves the final read that only confirms end-of-file, which is a third of the cost
   * when a process listing reads thousands of tiny files.
   */
  readFileHeads(paths: readonly string[], maxBytes: number): Promise<Map<string, ReadResult>>;
  /**
   * stat(2) many paths in one go (a remote host: the agent's `stat-many`). The process list
   * takes each process's user from the owner of its /proc/<pid> directory this way, which is
   * cheaper than reading and parsing /proc/<pid>/status. A missing path is an entry with ok=false.
   */
  statMany(paths: readonly string[]): Promise<Map<string, StatResult>>;
  listDir(path: string): Promise<DirEntry[]>;
  readLink(path: string): Promise<string>;
  /**
   * statfs(2). `canHang: false` says the file system is local (a block device or memory), so the
   * call cannot hang on a dead server: LocalHost may then answer synchronously.
   */
  statfs(path: string, options?: { canHang?: boolean }): Promise<FsUsage>;
  /** Run a program with an argument vector. Never a shell string (docs/architecture.md, idea 5). */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;

  /** The files API's access to this host (see HostFiles). */
  readonly files: HostFiles;

  /** The host's root agent: every privileged action goes through it (see HostPrivileged). */
  readonly privileged: HostPrivileged;
}
