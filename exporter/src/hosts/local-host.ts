/**
 * The machine the exporter runs on. This is the only module that touches the file system of
 * the host or spawns programs (enforced by the lint configuration).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { HyperionError } from '../util/errors.js';
import type {
  DirEntry,
  EntryType,
  FsUsage,
  Host,
  FileEntry,
  HostPaths,
  ReadStreamOptions,
  ReadResult,
  RunOptions,
  StatResult,
  RunResult,
} from './host.js';

const DEFAULT_PATHS: HostPaths = { procfs: '/proc', sysfs: '/sys', rootfs: '/' };
const DEFAULT_MAX_OUTPUT = 1 << 20;

/**
 * Files under /proc and /sys are tiny and generated on read. Reading them synchronously into one
 * reused buffer costs about 10 µs each, against 30–100 µs for fs.promises.readFile, whose
 * open/stat/read/close each make a trip through libuv's thread pool. The event loop is blocked
 * for microseconds, which is the better trade for a scrape that reads hundreds of them.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

function readSmallFileSync(path: string): string {
  const fd = fs.openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, length);
        scratch = bigger;
      }
      // procfs files must be read sequentially from the current position (no pread offsets).
      const n = fs.readSync(fd, scratch, length, scratch.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return scratch.toString('utf8', 0, length);
  } finally {
    fs.closeSync(fd);
  }
}

/** One read(2) of at most maxBytes: the whole file for procfs files generated in one piece. */
function readFileHeadSync(path: string, maxBytes: number): string {
  if (scratch.length < maxBytes) scratch = Buffer.allocUnsafe(maxBytes);
  const fd = fs.openSync(path, 'r');
  try {
    const n = fs.readSync(fd, scratch, 0, maxBytes, null);
    return scratch.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function entryType(dirent: fs.Dirent | fs.Stats): EntryType {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'dir';
  if (dirent.isSymbolicLink()) return 'symlink';
  return 'other';
}

export class LocalHost implements Host {
  readonly name: string;
  readonly paths: HostPaths;

  constructor(paths: Partial<HostPaths> = {}, name = 'local') {
    this.name = name;
    this.paths = { ...DEFAULT_PATHS, ...paths };
  }

  async readFile(path: string): Promise<string> {
    return readSmallFileSync(path);
  }

  async readFiles(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const out = new Map<string, ReadResult>();
    for (const path of paths) {
      try {
        out.set(path, { ok: true, text: readSmallFileSync(path) });
      } catch (error) {
        out.set(path, { ok: false, error: error as Error });
      }
    }
    return out;
  }

  async readFileHeads(paths: readonly string[], maxBytes: number): Promise<Map<string, ReadResult>> {
    const out = new Map<string, ReadResult>();
    for (const path of paths) {
      try {
        out.set(path, { ok: true, text: readFileHeadSync(path, maxBytes) });
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
          stat: { type: entryType(s), size: s.size, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtimeMs: s.mtimeMs },
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

  async statfs(path: string): Promise<FsUsage> {
    // Asynchronous on purpose: statfs on a dead network mount can hang, and must not take the
    // event loop with it.
    const s = await fs.promises.statfs(path);
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
    const maxBuffer = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    return new Promise((resolve, reject) => {
      const child = execFile(
        file,
        args,
        {
          cwd: options.cwd,
          env: options.env ? { ...process.env, ...options.env } : process.env,
          timeout: options.timeoutMs ?? 0,
          killSignal: 'SIGKILL',
          maxBuffer,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          const err = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: string }) | null;
          if (err && err.code === 'ENOENT') {
            reject(new HyperionError('unsupported', `${file} is not installed on host ${this.name}`));
            return;
          }
          if (err && err.killed && options.timeoutMs) {
            reject(new HyperionError('timeout', `${file} did not finish within ${options.timeoutMs} ms`));
            return;
          }
          resolve({
            stdout,
            stderr,
            code: child.exitCode,
            signal: child.signalCode ?? null,
          });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  async lstat(path: string): Promise<FileEntry> {
    const s = await fs.promises.lstat(path);
    return this.entry(path.slice(path.lastIndexOf('/') + 1), path, s);
  }

  async listDirDetailed(path: string): Promise<FileEntry[]> {
    const names = await fs.promises.readdir(path);
    // Stat in bounded parallel batches: one at a time is slow on a 10 000-entry directory, all at
    // once queues thousands of requests on libuv's four threads.
    const out: FileEntry[] = [];
    for (let i = 0; i < names.length; i += 256) {
      const batch = names.slice(i, i + 256);
      const stats = await Promise.all(
        batch.map((name) => {
          const full = `${path === '/' ? '' : path}/${name}`;
          return fs.promises.lstat(full).then(
            (st) => this.entry(name, full, st),
            () => undefined, // removed between readdir and lstat
          );
        }),
      );
      for (const e of stats) if (e) out.push(e);
    }
    return out;
  }

  private async entry(name: string, full: string, s: fs.Stats): Promise<FileEntry> {
    const type = entryType(s);
    const entry: FileEntry = { name, type, size: s.size, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtimeMs: s.mtimeMs };
    if (type === 'symlink') entry.linkTarget = await fs.promises.readlink(full).catch(() => '');
    return entry;
  }

  async realpath(path: string): Promise<string> {
    return fs.promises.realpath(path);
  }

  async createReadStream(path: string, options: ReadStreamOptions = {}): Promise<NodeJS.ReadableStream> {
    // Open first so a missing file rejects here, not as a stream error after headers were sent.
    const handle = await fs.promises.open(path, 'r');
    return handle.createReadStream({ start: options.start, end: options.end, autoClose: true });
  }

  async createWriteStream(path: string, mode = 0o644): Promise<NodeJS.WritableStream> {
    const handle = await fs.promises.open(path, 'wx', mode);
    return handle.createWriteStream({ autoClose: true, flush: true });
  }

  async writeFile(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
    await fs.promises.writeFile(path, data, { mode, flush: true });
  }

  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    await fs.promises.mkdir(path, { recursive: options.recursive ?? false, mode: options.mode ?? 0o755 });
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.promises.rename(from, to);
  }

  async copy(from: string, to: string, options: { recursive?: boolean } = {}): Promise<void> {
    await fs.promises.cp(from, to, {
      recursive: options.recursive ?? false,
      preserveTimestamps: true,
      errorOnExist: true,
      force: false,
      verbatimSymlinks: true,
    });
  }

  async remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const s = await fs.promises.lstat(path);
    if (s.isDirectory()) {
      if (options.recursive) await fs.promises.rm(path, { recursive: true });
      else await fs.promises.rmdir(path);
    } else {
      await fs.promises.unlink(path);
    }
  }
}
