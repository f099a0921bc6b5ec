/**
 * A remote host's reads (Host.readFile, readFiles, statMany, listDir, statfs, now…) through its
 * agent, in as few round trips as the reads' dependencies allow. The collectors run
 * concurrently, so the reads asked for in one turn of the event loop leave together: one
 * request per verb (read-many, heads, stat-many…), all of them written at once and answered in
 * order (AgentConnection.pipeline), so the first reads of a whole scrape cost one round trip and
 * the reads that depend on them the next.
 *
 * Read-ahead: scrapes repeat. The kernel files a burst of reads asked for only in its later
 * round trips last time (each CPU's frequency, each process's stat, each hwmon chip's sensors,
 * the mount points' statfs) are asked for in the first round trip of the next burst too, and
 * handed out when asked for, moments later: a probe then takes one or two round trips. Only
 * /proc and /sys are read ahead — files nobody writes through the exporter — and statfs; an
 * answer not taken within two seconds is dropped.
 */
import { performance } from 'node:perf_hooks';
import type { DirEntry, EntryType, FileStat, FsUsage, ReadResult, StatResult } from '../host.js';
import { HyperionError } from '../../util/errors.js';
import { errnoError, type AgentRequest } from './connection.js';
import type { AnswerFrame } from './protocol.js';

/** One path's answer in a many-path verb: its bytes, or the errno name of its failure. */
export type Item = { ok: true; data: Buffer } | { ok: false; code: string };

/** Splits a many-path answer (STATUS \0 LENGTH \0 BYTES, repeated) into `count` items. */
export function parseItems(rest: Buffer, count: number): Item[] {
  const items: Item[] = [];
  let at = 0;
  const field = (): string => {
    const end = rest.indexOf(0, at);
    if (end < 0) throw new Error('an agent answer cut short');
    const text = rest.toString('latin1', at, end);
    at = end + 1;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const status = field();
    const length = Number(field());
    if (!Number.isSafeInteger(length) || length < 0 || at + length > rest.length)
      throw new Error('an agent answer with a malformed item length');
    items.push(
      status === 'ok' ? { ok: true, data: rest.subarray(at, at + length) } : { ok: false, code: status },
    );
    at += length;
  }
  if (at !== rest.length) throw new Error('an agent answer with more items than asked for');
  return items;
}

const TYPES: Record<string, EntryType> = { f: 'file', d: 'dir', l: 'symlink' };

/** Kernel files, which may be read a little ahead of being asked for. */
const READ_AHEAD_PATH = /^\/(proc|sys)\//;
const READ_AHEAD_TTL_MS = 2000;
const MAX_LEARNED = 8192;
/** Reads this long after a scrape started are its later round trips; later ones are not learned. */
const BURST_LEARN_MS = 5000;
/** The paths of one request stay well below the agent's 1 MiB request limit. */
const MAX_REQUEST_BYTES = 512 * 1024;

/**
 * The start of each scrape (a burst of reads: two to four dependent round trips), told by the
 * caller (/probe). The batcher reads ahead at a start and learns from the round trips that follow.
 */
export class Bursts {
  private readonly listeners = new Set<() => void>();
  private active = 0;

  onStart(listener: () => void): void {
    this.listeners.add(listener);
  }

  /**
   * A scrape begins; call the function returned when it ends. Probes arriving while one runs
   * share its collection (CollectorRegistry): they are part of its burst, not new ones.
   */
  start(): () => void {
    this.active += 1;
    if (this.active === 1) for (const listener of this.listeners) listener();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active -= 1;
    };
  }
}

type Kind = 'read' | 'head' | 'stat' | 'list' | 'readlink' | 'statfs' | 'now' | 'adjtimex';
type Resolver = { resolve(value: unknown): void; reject(error: Error): void };
interface Spec {
  kind: Kind;
  path: string;
  maxBytes: number;
}
interface Op extends Spec {
  key: string;
  waiters: Resolver[];
}

const VERB: Record<Kind, string> = {
  read: 'read-many',
  head: 'heads',
  stat: 'stat-many',
  list: 'list-many',
  readlink: 'readlink-many',
  statfs: 'statfs-many',
  now: 'now',
  adjtimex: 'adjtimex',
};

const keyOf = (s: Spec) => `${s.kind}\0${s.maxBytes}\0${s.path}`;

function readAheadable(s: Spec): boolean {
  return s.kind === 'statfs' || (s.kind !== 'readlink' && READ_AHEAD_PATH.test(s.path));
}

/** Answers read ahead, by op key, until taken or stale. */
class ReadAhead {
  private readonly entries = new Map<string, { at: number; promise: Promise<unknown> }>();

  expect(key: string): Resolver {
    let resolver!: Resolver;
    const promise = new Promise<unknown>((resolve, reject) => {
      resolver = { resolve, reject };
    });
    promise.catch(() => undefined); // an answer nobody takes must not be an unhandled rejection
    this.entries.set(key, { at: performance.now(), promise });
    return resolver;
  }

  take(key: string): Promise<unknown> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    return performance.now() - entry.at <= READ_AHEAD_TTL_MS ? entry.promise : undefined;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Sends requests to one agent in one round trip; answers in order. */
export type SendRequests = (requests: AgentRequest[]) => Promise<AnswerFrame[]>;

export class ReadBatcher {
  private pending = new Map<string, Op>();
  private scheduled = false;
  /** Ops of this burst's later round trips: next burst's read-ahead. */
  private later = new Map<string, Spec>();
  private readonly ahead = new ReadAhead();
  private firstOfBurst = false;
  private burstStarted = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: SendRequests,
    /** The error an answer frame that is not `ok` stands for (AgentConnection.failure). */
    private readonly failure: (frame: AnswerFrame) => Error,
    private readonly hostName: string,
    bursts: Bursts,
  ) {
    bursts.onStart(() => this.startBurst());
  }

  read(path: string): Promise<ReadResult> {
    return this.enqueue({ kind: 'read', path, maxBytes: 0 }) as Promise<ReadResult>;
  }

  head(path: string, maxBytes: number): Promise<ReadResult> {
    return this.enqueue({
      kind: 'head',
      path,
      maxBytes: Math.max(0, Math.floor(maxBytes)),
    }) as Promise<ReadResult>;
  }

  stat(path: string): Promise<StatResult> {
    return this.enqueue({ kind: 'stat', path, maxBytes: 0 }) as Promise<StatResult>;
  }

  list(path: string): Promise<DirEntry[]> {
    return this.enqueue({ kind: 'list', path, maxBytes: 0 }) as Promise<DirEntry[]>;
  }

  readlink(path: string): Promise<string> {
    return this.enqueue({ kind: 'readlink', path, maxBytes: 0 }) as Promise<string>;
  }

  statfs(path: string): Promise<FsUsage> {
    return this.enqueue({ kind: 'statfs', path, maxBytes: 0 }) as Promise<FsUsage>;
  }

  /** The host's clock, seconds since the epoch, read with the other reads of its turn. */
  now(): Promise<number> {
    return this.enqueue({ kind: 'now', path: '', maxBytes: 0 }) as Promise<number>;
  }

  /** adjtimex(2) read-only: the line parsers/adjtimex.ts reads. */
  adjtimex(): Promise<string> {
    return this.enqueue({ kind: 'adjtimex', path: '', maxBytes: 0 }) as Promise<string>;
  }

  private enqueue(spec: Spec): Promise<unknown> {
    const key = keyOf(spec);
    const early = readAheadable(spec) ? this.ahead.take(key) : undefined;
    if (early) {
      if (this.later.size < MAX_LEARNED) this.later.set(key, spec); // asked again: ahead next time too
      return early;
    }
    return new Promise((resolve, reject) => this.add(key, spec, { resolve, reject }));
  }

  private add(key: string, spec: Spec, waiter: Resolver): void {
    let op = this.pending.get(key);
    if (!op) {
      op = { ...spec, key, waiters: [] };
      this.pending.set(key, op);
    }
    op.waiters.push(waiter);
    if (!this.scheduled) {
      this.scheduled = true;
      // After the current turn: every collector that is ready to read has asked by then.
      setImmediate(() => this.flush());
    }
  }

  /** A burst starts: what its predecessor read later is read now, ahead. */
  private startBurst(): void {
    this.firstOfBurst = true;
    this.burstStarted = performance.now();
    this.ahead.clear();
    const learned = [...this.later];
    this.later = new Map();
    for (const [key, spec] of learned)
      if (!this.pending.has(key)) this.add(key, spec, this.ahead.expect(key));
  }

  private flush(): void {
    this.scheduled = false;
    const first = this.firstOfBurst;
    this.firstOfBurst = false;
    const ops = [...this.pending.values()];
    this.pending = new Map();
    if (!first && performance.now() - this.burstStarted < BURST_LEARN_MS) {
      for (const op of ops)
        if (this.later.size < MAX_LEARNED && readAheadable(op)) this.later.set(op.key, op);
    }
    // statfs too, although it can hang on a dead network mount: the agent's time limit ends it,
    // and a probe waiting on it fails at its deadline whichever agent it waited on. One agent per
    // turn is what a first scrape of a hundred hosts can afford to start.
    if (ops.length > 0) void this.execute(ops);
  }

  private async execute(ops: Op[]): Promise<void> {
    const groups = group(ops);
    let answers: AnswerFrame[];
    try {
      answers = await this.send(groups.map((g) => g.request));
    } catch (error) {
      for (const op of ops) for (const w of op.waiters) w.reject(error as Error);
      return;
    }
    groups.forEach((g, i) => this.settle(g.ops, answers[i]!));
  }

  private settle(ops: Op[], frame: AnswerFrame): void {
    if (frame.status !== 'ok') {
      const error = this.failure(frame);
      for (const op of ops) for (const w of op.waiters) w.reject(error);
      return;
    }
    if (ops[0]!.kind === 'now' || ops[0]!.kind === 'adjtimex') {
      const text = frame.rest.toString('utf8');
      const value = ops[0]!.kind === 'now' ? Number(text) : text;
      for (const w of ops[0]!.waiters) {
        if (typeof value === 'number' && !Number.isFinite(value))
          w.reject(
            new HyperionError('unavailable', `host ${this.hostName}: its clock read "${text.slice(0, 40)}"`),
          );
        else w.resolve(value);
      }
      return;
    }
    let items: Item[];
    try {
      items = parseItems(frame.rest, ops.length);
    } catch (error) {
      const broken = new HyperionError('unavailable', `host ${this.hostName}: ${(error as Error).message}`);
      for (const op of ops) for (const w of op.waiters) w.reject(broken);
      return;
    }
    ops.forEach((op, i) => {
      const item = items[i]!;
      let outcome: { value: unknown } | { error: Error };
      try {
        outcome = { value: this.value(op, item) };
      } catch (error) {
        outcome = { error: error as Error };
      }
      for (const w of op.waiters) {
        if ('value' in outcome) w.resolve(outcome.value);
        else w.reject(outcome.error);
      }
    });
  }

  /** An item as the Host interface gives it; throws the errno error where the interface rejects. */
  private value(op: Op, item: Item): unknown {
    const error = item.ok
      ? undefined
      : errnoError(item.code, `${item.code}: ${op.path} on host ${this.hostName}`, op.path);
    switch (op.kind) {
      case 'read':
      case 'head':
        return item.ok ? { ok: true, text: item.data.toString('utf8') } : { ok: false, error };
      case 'stat':
        return item.ok ? { ok: true, stat: parseStat(item.data.toString('utf8')) } : { ok: false, error };
      default:
        if (!item.ok) throw error!;
    }
    const text = item.data.toString('utf8');
    if (op.kind === 'readlink') return text;
    if (op.kind === 'list') {
      if (text === '') return [];
      return text
        .slice(0, -1)
        .split('\0')
        .map((e): DirEntry => ({ name: e.slice(1), type: TYPES[e.charAt(0)] ?? 'other' }));
    }
    const [bsize, blocks, bfree, bavail, files, ffree] = text.split(' ').map(Number) as number[];
    return {
      size: blocks! * bsize!,
      free: bfree! * bsize!,
      avail: bavail! * bsize!,
      files: files!,
      filesFree: ffree!,
    } satisfies FsUsage;
  }
}

function parseStat(text: string): FileStat {
  const [type, size, mode, uid, gid, mtimeMs] = text.split(' ');
  return {
    type: TYPES[type ?? ''] ?? 'other',
    size: Number(size),
    mode: Number(mode),
    uid: Number(uid),
    gid: Number(gid),
    mtimeMs: Number(mtimeMs),
  };
}

/** One request per verb (and per size of heads), split where its paths would make it too large. */
function group(ops: Op[]): { request: AgentRequest; ops: Op[] }[] {
  const byVerb = new Map<string, Op[]>();
  for (const op of ops) {
    const key = `${op.kind}\0${op.kind === 'head' ? op.maxBytes : ''}`;
    byVerb.set(key, [...(byVerb.get(key) ?? []), op]);
  }
  const out: { request: AgentRequest; ops: Op[] }[] = [];
  for (const list of byVerb.values()) {
    const { kind, maxBytes } = list[0]!;
    const verb = VERB[kind];
    if (kind === 'now' || kind === 'adjtimex') {
      out.push({ request: { verb, args: [] }, ops: [list[0]!] });
      continue;
    }
    const lead = kind === 'head' ? [String(maxBytes)] : [];
    let current: Op[] = [];
    let size = 0;
    for (const op of list) {
      if (size + op.path.length + 1 > MAX_REQUEST_BYTES && current.length > 0) {
        out.push({ request: { verb, args: [...lead, ...current.map((o) => o.path)] }, ops: current });
        current = [];
        size = 0;
      }
      current.push(op);
      size += Buffer.byteLength(op.path) + 1;
    }
    out.push({ request: { verb, args: [...lead, ...current.map((o) => o.path)] }, ops: current });
  }
  return out;
}
