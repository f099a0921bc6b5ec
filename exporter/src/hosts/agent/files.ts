/**
 * File access on a host, through its agents: the typed verbs of the protocol as the files
 * manager uses them. Every call names the root (its canonical path) the path must stay inside;
 * the agent checks that, and everything else it refuses, on what it opened.
 */
import type { Readable, Writable } from 'node:stream';
import { HyperionError } from '../../util/errors.js';
import type { EntryType, FileEntry, HostFiles, ReadRange } from '../host.js';
import { asUser } from './connection.js';
import type { AgentPool } from './pool.js';

/** Short operations (stat, list, mkdir, rename…) and how long they may take. */
const CALL_TIMEOUT_MS = 30_000;
/** Copies and recursive removals walk whole trees. */
const TREE_TIMEOUT_MS = 10 * 60_000;
/** A stream that makes no progress for this long ends (and its agent with it). */
const STREAM_IDLE_MS = 60_000;

const TYPES: Record<string, EntryType> = { f: 'file', d: 'dir', l: 'symlink' };
const FIELDS_PER_ENTRY = 8;

/** One entry as the agent writes it (8 fields from `at`). */
export function parseEntry(fields: readonly string[], at = 0): FileEntry {
  const [name, type, size, mode, uid, gid, mtime, target] = fields.slice(at, at + FIELDS_PER_ENTRY);
  const entry: FileEntry = {
    name: name ?? '',
    type: TYPES[type ?? ''] ?? 'other',
    size: Number(size),
    mode: Number(mode),
    uid: Number(uid),
    gid: Number(gid),
    mtimeMs: Number(mtime),
  };
  if (entry.type === 'symlink') entry.linkTarget = target ?? '';
  return entry;
}

export function parseEntries(fields: readonly string[]): FileEntry[] {
  const out: FileEntry[] = [];
  for (let at = 0; at + FIELDS_PER_ENTRY <= fields.length; at += FIELDS_PER_ENTRY)
    out.push(parseEntry(fields, at));
  return out;
}

export class AgentFiles implements HostFiles {
  /** The user each root's verbs are done as (canonical root path → user name). */
  private readonly users: Map<string, string> = new Map();

  /**
   * `defaultUser`: who the verbs of a root without a user of its own are done as — the
   * exporter's own user when the agent is root's (behind the socket); undefined when the agent
   * already runs as the exporter's user (its child process).
   */
  constructor(
    private readonly pool: AgentPool,
    private readonly defaultUser?: string,
    /** Set by as(): every verb is done as this user. */
    private readonly onlyUser?: string,
    users?: Map<string, string>,
  ) {
    if (users) this.users = users;
  }

  actAs(root: string, user: string): void {
    this.users.set(root, user);
  }

  as(user: string): AgentFiles {
    return new AgentFiles(this.pool, this.defaultUser, user, this.users);
  }

  private userOf(root: string): string | undefined {
    return this.onlyUser ?? this.users.get(root) ?? this.defaultUser;
  }

  /** A rename or copy between two roots is one agent call: both roots must act as one user. */
  private userOfBoth(fromRoot: string, toRoot: string): string | undefined {
    const user = this.userOf(fromRoot);
    if (user !== this.userOf(toRoot)) {
      throw new HyperionError(
        'conflict',
        `the roots at ${fromRoot} and ${toRoot} act as different users: move or copy through a download and an upload`,
      );
    }
    return user;
  }

  private call(verb: string, args: string[], timeoutMs = CALL_TIMEOUT_MS): Promise<string[]> {
    // Every file verb names its root first.
    const [sent, sentArgs] = asUser(this.userOf(args[0]!), verb, args);
    return this.pool.use((agent) => agent.call(sent, sentArgs, timeoutMs));
  }

  async realpath(root: string, path: string): Promise<string> {
    return (await this.call('realpath', [root, path]))[0]!;
  }

  async lstat(root: string, path: string): Promise<FileEntry> {
    return parseEntry(await this.call('lstat', [root, path]));
  }

  async stat(root: string, path: string): Promise<FileEntry> {
    return parseEntry(await this.call('stat', [root, path]));
  }

  async list(root: string, path: string): Promise<FileEntry[]> {
    return parseEntries(await this.call('list', [root, path]));
  }

  async read(
    root: string,
    path: string,
    range: ReadRange = {},
  ): Promise<{ entry: FileEntry; stream: Readable }> {
    const held = await this.pool.hold();
    try {
      const { fields, stream } = await held.connection.read(
        [root, path, String(range.start ?? 0), range.end === undefined ? '' : String(range.end)],
        STREAM_IDLE_MS,
        this.userOf(root),
      );
      stream.once('close', held.done);
      return { entry: parseEntry(fields), stream };
    } catch (error) {
      held.done();
      throw error;
    }
  }

  async create(root: string, path: string, mode: number): Promise<Writable> {
    const held = await this.pool.hold();
    try {
      const sink = await held.connection.write(
        [root, path, (mode & 0o777).toString(8)],
        STREAM_IDLE_MS,
        this.userOf(root),
      );
      sink.once('close', held.done);
      return sink;
    } catch (error) {
      held.done();
      throw error;
    }
  }

  async mkdir(root: string, path: string, options: { parents?: boolean; mode?: number } = {}): Promise<void> {
    const mode = ((options.mode ?? 0o755) & 0o7777).toString(8);
    await this.call('mkdir', [root, path, mode, options.parents ? '1' : '0']);
  }

  async rename(fromRoot: string, from: string, toRoot: string, to: string): Promise<void> {
    const user = this.userOfBoth(fromRoot, toRoot);
    await this.pool.use((agent) =>
      agent.call(...asUser(user, 'rename', [fromRoot, from, toRoot, to]), CALL_TIMEOUT_MS),
    );
  }

  async copy(
    fromRoot: string,
    from: string,
    toRoot: string,
    to: string,
    options: { recursive?: boolean } = {},
  ) {
    const user = this.userOfBoth(fromRoot, toRoot);
    const args = [fromRoot, from, toRoot, to, options.recursive ? '1' : '0'];
    await this.pool.use((agent) => agent.call(...asUser(user, 'copy', args), TREE_TIMEOUT_MS));
  }

  async remove(root: string, path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.call(
      'remove',
      [root, path, options.recursive ? '1' : '0'],
      options.recursive ? TREE_TIMEOUT_MS : CALL_TIMEOUT_MS,
    );
  }
}
