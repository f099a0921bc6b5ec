/** The shapes the process manager returns, shared by its modules and the API layer above it. */

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Effective uid (the owner of /proc/<pid>). */
  uid: number;
  /** The uid's name from the host's /etc/passwd, or the uid as text when it has none (as ps does). */
  user: string;
  /** The kernel's command name (comm, at most 15 characters). */
  name: string;
  /** Arguments joined by spaces; "[name]" for kernel threads and zombies, which have none. */
  command: string;
  /** One letter: R running, S sleeping, D disk sleep, Z zombie, T stopped, t traced, I idle… */
  state: string;
  /** Recent CPU use; 100 is one CPU fully busy. See process-cpu.ts for the window. */
  cpuPercent: number;
  rssBytes: number;
  vszBytes: number;
  threads: number;
  nice: number;
  /** The kernel's priority as /proc/<pid>/stat field 18 and top's PR show it (20 + nice for normal tasks). */
  priority: number;
  /** ISO 8601, UTC, from the host's boot time plus the start ticks. */
  startTime: string;
  /** A kernel thread (PF_KTHREAD): it has no user space, so a signal or a nice value does nothing useful. */
  kernelThread: boolean;
}

export interface ProcessDetail extends ProcessInfo {
  /** Entries of /proc/<pid>/fd; null when the exporter may not look (another user's process). */
  openFiles: number | null;
  cwd: string | null;
  executable: string | null;
  /** The cgroup path systemd manages (unified hierarchy, or name=systemd on v1). */
  cgroup: string | null;
  /** The systemd unit the process belongs to, e.g. "ssh.service". */
  unit: string | null;
  /** Inside a user manager (user@1000.service), the user unit, e.g. "pipewire.service". */
  userUnit: string | null;
  /** The exporter's own process on this host, as in a listing. */
  exporterPid: number | null;
}

export interface ProcessNode extends ProcessInfo {
  children: ProcessNode[];
}

/** Every column of ProcessInfo can be sorted on. */
export const SORT_KEYS = [
  'pid',
  'ppid',
  'uid',
  'user',
  'name',
  'command',
  'state',
  'cpuPercent',
  'rssBytes',
  'vszBytes',
  'threads',
  'nice',
  'priority',
  'startTime',
] as const satisfies readonly (keyof ProcessInfo)[];
export type ProcessSortKey = (typeof SORT_KEYS)[number];

export interface ProcessQuery {
  /** Column to sort by; pid by default. Ties keep pid order in both directions. */
  sort?: ProcessSortKey;
  order?: 'asc' | 'desc';
  /** Exact user name, or a numeric uid. */
  user?: string;
  /** Case-insensitive substring of the name or the command line. */
  search?: string;
  /** State letters to keep (e.g. ['R', 'D']); all when absent or empty. */
  state?: readonly string[];
  offset?: number;
  /** Page size; everything from offset on when absent. */
  limit?: number;
}

export interface ProcessPage {
  /** Processes that matched the filters, before paging. */
  total: number;
  offset: number;
  limit: number | null;
  items: ProcessInfo[];
  /** The window the CPU % were measured over, in seconds. */
  cpuWindowSeconds: number;
  /**
   * The exporter's own process on this host (null on an SSH host, where it runs none): it and
   * PID 1 are refused every signal and renice, so a client need not offer them.
   */
  exporterPid: number | null;
}

export interface ProcessTreePage {
  /** Top-level nodes that matched (paging applies to them, each with its whole subtree). */
  total: number;
  /** Processes that matched, at every level. */
  processes: number;
  offset: number;
  limit: number | null;
  items: ProcessNode[];
  cpuWindowSeconds: number;
  /**
   * The exporter's own process on this host (null on an SSH host, where it runs none): it and
   * PID 1 are refused every signal and renice, so a client need not offer them.
   */
  exporterPid: number | null;
}
