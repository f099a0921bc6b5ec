/**
 * The one abstraction every collector and manager is written against (DESIGN.md, idea 1).
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
  /** Kill the program after this many milliseconds (SIGKILL) and reject with a timeout error. */
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  /** Keep at most this many bytes of each of stdout and stderr (the tail is kept). */
  maxOutputBytes?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when the program was ended by a signal. */
  code: number | null;
  signal: string | null;
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

export interface Host {
  /** The inventory name: "local" for the machine the exporter runs on. */
  readonly name: string;
  readonly paths: HostPaths;

  /** Read a whole (small) text file. Rejects with an errno-style error (ENOENT...) when absent. */
  readFile(path: string): Promise<string>;
  /**
   * Read many small files in one go. Remote hosts answer in a single round trip, which is what
   * makes scraping a host over SSH affordable; a missing file is an entry with ok=false.
   */
  readFiles(paths: readonly string[]): Promise<Map<string, ReadResult>>;
  listDir(path: string): Promise<DirEntry[]>;
  readLink(path: string): Promise<string>;
  statfs(path: string): Promise<FsUsage>;
  /** Run a program with an argument vector. Never a shell string (DESIGN.md, idea 5). */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}
