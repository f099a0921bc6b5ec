/**
 * Coalesces the reads that callers make in one turn of the event loop into one request to the
 * host. The collectors run concurrently, so the first reads of a whole scrape (/proc/stat,
 * meminfo, loadavg, the /proc listing…) leave in one round trip, the reads that depend on them
 * in the next: a probe takes three or four round trips whatever its number of files.
 *
 * A path made only of plain characters can share a request: an error line is matched to it by
 * name. Any other path gets a request of its own, where every error line is its own.
 *
 * Read-ahead: scrapes repeat. The kernel files a burst of reads asked for only in its second and
 * third round trips last time (each CPU's frequency, each process's stat, the sensors of each
 * hwmon chip, the mount points' statfs) are read in the first round trip of the next burst too,
 * and handed out when asked for, moments later. A probe then takes one or two round trips. Only
 * /proc and /sys are read ahead — files nobody writes through the exporter — and an answer not
 * taken within two seconds is dropped.
 */
import { performance } from 'node:perf_hooks';
import type { DirEntry, FileEntry, FileStat, ReadResult, StatResult } from '../host.js';
import { HyperionError, errorMessage } from '../../util/errors.js';
import { errnoError, toolError } from './errno.js';
import {
  attribute,
  baseName,
  entryTypeOf,
  missingTool,
  parseFindRecords,
  parseNulList,
  parseStatfsRecords,
  splitParts,
  stderrSections,
  type FindRecord,
  type StatfsRecord,
} from './parse.js';
import type { FastAnswer, FastOp } from './perl-reader.js';
import {
  batchRequest,
  batchSections,
  statfsRequest,
  type BatchPlan,
  type FindKind,
  type Marks,
} from './script.js';

import type { WorkerResponse } from './worker.js';

type FsUsageRecord = StatfsRecord;

/** Paths that may share a request: nothing a tool would quote or escape in its messages. */
const PLAIN_PATH = /^\/[A-Za-z0-9._@%+=:,/-]*$/;
/** A request's shell text stays below this; more paths make more requests. */
const MAX_REQUEST_BYTES = 512 * 1024;
/** Kernel files, which may be read a little ahead of being asked for. */
const READ_AHEAD_PATH = /^\/(proc|sys)\//;
const READ_AHEAD_TTL_MS = 2000;
const MAX_LEARNED = 8192;
/** Reads this long after a scrape started are its later round trips; later ones are not learned. */
const BURST_LEARN_MS = 5000;
/**
 * The start of each scrape (a burst of reads: two to four dependent round trips), told by the
 * caller (/probe). Batchers read ahead at a start and learn from the round trips that follow.
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

/** Answers read ahead, by op key, until taken or stale. */
class ReadAhead {
  private readonly entries = new Map<string, { at: number; promise: Promise<unknown> }>();

  /** A promise for `key` that `settle` resolves or rejects later. */
  expect(key: string): Resolver<unknown> {
    let resolver!: Resolver<unknown>;
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

  has(key: string): boolean {
    return this.entries.has(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

type Resolver<T> = { resolve(value: T): void; reject(error: Error): void };

type OpKey = string;

interface Op {
  key: OpKey;
  kind: 'read' | 'head' | 'find' | 'realpath' | 'clock' | 'adjtimex';
  path: string;
  maxBytes: number;
  find?: FindKind;
  waiters: Resolver<unknown>[];
}

export interface FindAnswer {
  /** The starting point itself (stat, lstat; depth 0 of a listing). */
  self: FindRecord;
  /** A listing's entries. */
  entries: FindRecord[];
}

/** Runs a request on some worker of the host (the pool decides which). */
export type Send = (build: (marks: Marks, seq: number) => string) => Promise<{
  response: WorkerResponse;
  marks: Marks;
  seq: number;
}>;

type OpSpec = Omit<Op, 'key' | 'waiters'>;

function keyOf(spec: OpSpec): OpKey {
  return `${spec.kind}\0${spec.find ?? ''}\0${spec.maxBytes}\0${spec.path}`;
}

function readAheadable(spec: OpSpec): boolean {
  if (!READ_AHEAD_PATH.test(spec.path)) return false;
  return spec.kind === 'read' || spec.kind === 'head' || (spec.kind === 'find' && spec.find === 'names');
}

/**
 * The fast path for whole reads, heads and listings (perl-reader.ts); undefined when the host
 * has none, and the ops then take the shell path.
 */
export type FastRead = (ops: FastOp[]) => Promise<FastAnswer[] | undefined>;

function fastOf(op: Op): FastOp | undefined {
  if (op.kind === 'read') return { kind: 'r', maxBytes: 0, path: op.path };
  if (op.kind === 'head') return { kind: 'h', maxBytes: op.maxBytes, path: op.path };
  if (op.kind === 'find' && op.find === 'names') return { kind: 'l', maxBytes: 0, path: op.path };
  if (op.kind === 'adjtimex') return { kind: 't', maxBytes: 0, path: '' };
  return undefined;
}

/** Only the perl reader can make a system call: without it, adjtimex fails (no program per scrape). */
function withoutPerl(ops: Op[], hostName: string): Op[] {
  const error = new HyperionError(
    'unsupported',
    `host ${hostName} has no perl: reading its kernel clock state (adjtimex) needs it`,
  );
  for (const op of ops) if (op.kind === 'adjtimex') rejectAll(op, error);
  return ops.filter((op) => op.kind !== 'adjtimex');
}

export class Batcher {
  private pending = new Map<OpKey, Op>();
  private scheduled = false;
  /** Ops of this burst's later round trips: next burst's read-ahead. */
  private later = new Map<OpKey, OpSpec>();
  private readonly ahead = new ReadAhead();
  private firstOfBurst = false;
  private burstStarted = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: Send,
    private readonly hostName: string,
    bursts: Bursts = new Bursts(),
    private readonly fast?: FastRead,
  ) {
    bursts.onStart(() => this.startBurst());
  }

  read(path: string): Promise<ReadResult> {
    return this.enqueue({ kind: 'read', path, maxBytes: 0 }) as Promise<ReadResult>;
  }

  head(path: string, maxBytes: number): Promise<ReadResult> {
    return this.enqueue({ kind: 'head', path, maxBytes }) as Promise<ReadResult>;
  }

  find(kind: FindKind, path: string): Promise<FindAnswer> {
    return this.enqueue({ kind: 'find', find: kind, path, maxBytes: 0 }) as Promise<FindAnswer>;
  }

  realpath(path: string): Promise<string> {
    return this.enqueue({ kind: 'realpath', path, maxBytes: 0 }) as Promise<string>;
  }

  /** adjtimex(2) read-only, by the perl reader, in the same round trip as other reads. */
  adjtimex(): Promise<string> {
    return this.enqueue({ kind: 'adjtimex', path: '', maxBytes: 0 }) as Promise<string>;
  }

  /** The host's clock in seconds since the epoch, read in the same round trip as other reads. */
  clock(): Promise<number> {
    return this.enqueue({ kind: 'clock', path: '', maxBytes: 0 }) as Promise<number>;
  }

  private enqueue(spec: OpSpec): Promise<unknown> {
    const key = keyOf(spec);
    const early = readAheadable(spec) ? this.ahead.take(key) : undefined;
    if (early) {
      if (this.later.size < MAX_LEARNED) this.later.set(key, spec); // asked again: read ahead next time too
      return early;
    }
    return new Promise((resolve, reject) => {
      this.add(key, spec, { resolve, reject });
    });
  }

  private add(key: OpKey, spec: OpSpec, waiter: Resolver<unknown>): void {
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
    const learned = [...this.later.entries()];
    this.later = new Map();
    for (const [key, spec] of learned) {
      if (!this.pending.has(key)) this.add(key, spec, this.ahead.expect(key));
    }
  }

  private flush(): void {
    this.scheduled = false;
    const first = this.firstOfBurst;
    this.firstOfBurst = false;
    const ops = [...this.pending.values()];
    this.pending = new Map();
    if (!first && performance.now() - this.burstStarted < BURST_LEARN_MS) {
      for (const op of ops) {
        if (this.later.size < MAX_LEARNED && readAheadable(op)) this.later.set(op.key, op);
      }
    }
    const fast = this.fast ? ops.filter((op) => fastOf(op) !== undefined) : [];
    const slow = fast.length > 0 ? ops.filter((op) => fastOf(op) === undefined) : ops;
    if (fast.length > 0) void this.executeFast(fast);
    for (const group of plan(withoutPerl(slow, this.hostName))) void this.execute(group);
  }

  private async executeFast(ops: Op[]): Promise<void> {
    let answers: FastAnswer[] | undefined;
    try {
      answers = await this.fast!(ops.map((op) => fastOf(op)!));
    } catch (error) {
      for (const op of ops) rejectAll(op, error as Error);
      return;
    }
    if (!answers) {
      for (const group of plan(withoutPerl(ops, this.hostName))) void this.execute(group);
      return;
    }
    ops.forEach((op, i) => answerFast(op, answers[i]!, this.hostName));
  }

  private async execute(ops: Op[]): Promise<void> {
    const built = buildPlan(ops);
    try {
      const { response, marks, seq } = await this.send((m, s) => batchRequest(m, s, built.plan));
      settle(ops, built, response, marks, seq, this.hostName);
    } catch (error) {
      for (const op of ops) for (const w of op.waiters) w.reject(error as Error);
    }
  }
}

/** Groups ops into requests: plain paths together up to the size limit, odd ones alone. */
function plan(ops: Op[]): Op[][] {
  const groups: Op[][] = [];
  let current: Op[] = [];
  let size = 0;
  let clockTaken = false;
  for (const op of ops) {
    if (op.kind === 'clock') {
      if (!clockTaken) current.push(op);
      clockTaken = true;
      continue;
    }
    if (!PLAIN_PATH.test(op.path)) {
      groups.push([op]);
      continue;
    }
    const cost = op.path.length + 12;
    if (size + cost > MAX_REQUEST_BYTES && current.length > 0) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(op);
    size += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

interface Built {
  plan: BatchPlan;
  /** Ops answered by cat: reads, and heads too small to hold the separator (cut here). */
  readOps: Op[];
  headGroups: { maxBytes: number; ops: Op[] }[];
  findGroups: { kind: FindKind; ops: Op[] }[];
  realpathOps: Op[];
  clockOps: Op[];
}

function buildPlan(ops: Op[]): Built {
  const readOps: Op[] = [];
  const heads = new Map<number, Op[]>();
  const finds = new Map<FindKind, Op[]>();
  const realpathOps: Op[] = [];
  const clockOps: Op[] = [];
  for (const op of ops) {
    if (op.kind === 'clock') clockOps.push(op);
    else if (op.kind === 'read') readOps.push(op);
    else if (op.kind === 'realpath') realpathOps.push(op);
    else if (op.kind === 'find') finds.set(op.find!, [...(finds.get(op.find!) ?? []), op]);
    // Kernel files under /proc and /sys are small (a process's stat is 300 bytes): one cat for
    // them and the reads saves head(1)'s fork, and they are cut to size here. Elsewhere head -c
    // keeps a big file from crossing the wire; it must return the separator file whole.
    else if (op.maxBytes < 128 || (op.maxBytes <= 64 * 1024 && READ_AHEAD_PATH.test(op.path)))
      readOps.push(op);
    else heads.set(op.maxBytes, [...(heads.get(op.maxBytes) ?? []), op]);
  }
  const headGroups = [...heads].map(([maxBytes, list]) => ({ maxBytes, ops: list }));
  const findGroups = [...finds].map(([kind, list]) => ({ kind, ops: list }));
  return {
    plan: {
      clock: clockOps.length > 0,
      reads: readOps.map((o) => o.path),
      heads: headGroups.map((g) => ({ maxBytes: g.maxBytes, paths: g.ops.map((o) => o.path) })),
      finds: findGroups.map((g) => ({ kind: g.kind, paths: g.ops.map((o) => o.path) })),
      realpaths: realpathOps.map((o) => o.path),
    },
    readOps,
    headGroups,
    findGroups,
    realpathOps,
    clockOps,
  };
}

function resolveAll(op: Op, value: unknown): void {
  for (const w of op.waiters) w.resolve(value);
}

function rejectAll(op: Op, error: Error): void {
  for (const w of op.waiters) w.reject(error);
}

/** Errors per path of one stderr section; a missing tool fails the whole section. */
function sectionErrors(
  lines: readonly string[],
  paths: readonly string[],
  hostName: string,
): { errors: Map<string, Error>; missing?: string } {
  const missing = missingTool(lines);
  const candidates = new Set(paths);
  const errors = new Map<string, Error>();
  for (const line of lines) {
    const path = attribute(line, candidates);
    if (path !== undefined && !errors.has(path)) errors.set(path, toolError(line, path, hostName));
  }
  return missing === undefined ? { errors } : { errors, missing };
}

function settle(
  ops: Op[],
  built: Built,
  response: WorkerResponse,
  marks: Marks,
  seq: number,
  hostName: string,
): void {
  const { plan } = built;
  const sections = stderrSections(response.stderr, marks.mark, seq);
  const lines = (name: string) => sections.get(name) ?? [];
  const separator = Buffer.from(marks.separator);
  const headCount = plan.heads.reduce((n, g) => n + g.paths.length, 0);
  const expected = (plan.clock ? 1 : 0) + plan.reads.length + headCount + (plan.realpaths.length > 0 ? 1 : 0);
  const parts = splitParts(response.stdout, separator, expected);
  if (!parts) {
    const missing = batchSections(plan)
      .map((s) => missingTool(lines(s)))
      .find((m) => m !== undefined);
    const error = missing
      ? new HyperionError(
          'unsupported',
          `${missing} is not installed on host ${hostName}; reading files needs it`,
        )
      : new HyperionError(
          'unavailable',
          `host ${hostName} answered a batch of reads in an unexpected shape: ${response.stderr.slice(0, 300)}`,
        );
    for (const op of ops) rejectAll(op, error);
    return;
  }
  let next = 0;
  if (plan.clock) {
    const text = parts[next++]!.toString('utf8').trim();
    const seconds = Number(text);
    for (const op of built.clockOps) {
      if (/^\d+(\.\d+)?$/.test(text) && Number.isFinite(seconds)) resolveAll(op, seconds);
      else
        rejectAll(
          op,
          new HyperionError('unsupported', `host ${hostName}: date +%s.%N printed "${text.slice(0, 40)}"`),
        );
    }
  }
  const readErrors = sectionErrors(lines('reads'), plan.reads, hostName);
  for (const op of built.readOps) {
    const part = parts[next++]!;
    answerRead(op, part, readErrors, hostName);
  }
  built.headGroups.forEach((group, i) => {
    const errors = sectionErrors(lines(`heads${i}`), plan.heads[i]!.paths, hostName);
    for (const op of group.ops) answerRead(op, parts[next++]!, errors, hostName);
  });
  const records = parseFindRecords(parts[next++]!);
  built.findGroups.forEach((group, i) => {
    const errors = sectionErrors(lines(`find${i}`), plan.finds[i]!.paths, hostName);
    answerFinds(group.kind, group.ops, records, errors, hostName);
  });
  if (plan.realpaths.length > 0) {
    const errors = sectionErrors(lines('realpaths'), plan.realpaths, hostName);
    const resolved = parseNulList(parts[next++]!);
    let k = 0;
    for (const op of built.realpathOps) {
      const error = errors.errors.get(op.path);
      if (errors.missing) rejectAll(op, missingError(errors.missing, hostName));
      else if (error) rejectAll(op, error);
      else if (k < resolved.length) resolveAll(op, resolved[k++]);
      else
        rejectAll(
          op,
          errnoError('EIO', `realpath gave no answer for ${op.path} on host ${hostName}`, op.path),
        );
    }
  }
}

function answerFast(op: Op, answer: FastAnswer, hostName: string): void {
  if (op.kind === 'adjtimex') {
    if (answer.ok) resolveAll(op, answer.data.toString('utf8'));
    else rejectAll(op, errnoError(answer.code, `${answer.code}: adjtimex on host ${hostName}`, ''));
    return;
  }
  if (op.kind === 'find') {
    if (!answer.ok) {
      rejectAll(op, errnoError(answer.code, `${answer.code}: ${op.path} on host ${hostName}`, op.path));
      return;
    }
    const base = {
      kind: 'names' as const,
      start: op.path,
      size: 0,
      mode: 0,
      uid: 0,
      gid: 0,
      mtimeMs: 0,
      linkTarget: '',
      device: 0,
    };
    const entries: FindRecord[] = [];
    const text = answer.data.toString('utf8');
    for (const item of text === '' ? [] : text.replace(/\0$/, '').split('\0')) {
      entries.push({ ...base, depth: 1, typeLetter: item.charAt(0), name: item.slice(1) });
    }
    resolveAll(op, {
      self: { ...base, depth: 0, typeLetter: 'd', name: baseName(op.path) },
      entries,
    } satisfies FindAnswer);
    return;
  }
  if (answer.ok) resolveAll(op, { ok: true, text: answer.data.toString('utf8') } satisfies ReadResult);
  else {
    const error = errnoError(answer.code, `${answer.code}: ${op.path} on host ${hostName}`, op.path);
    resolveAll(op, { ok: false, error } satisfies ReadResult);
  }
}

function missingError(tool: string, hostName: string): HyperionError {
  return new HyperionError('unsupported', `${tool} is not installed on host ${hostName}`);
}

function answerRead(
  op: Op,
  part: Buffer,
  errors: { errors: Map<string, Error>; missing?: string },
  hostName: string,
): void {
  if (errors.missing) {
    rejectAll(op, missingError(errors.missing, hostName));
    return;
  }
  const error = errors.errors.get(op.path);
  // A read that failed half-way (the process ended) is a failure, as it is locally.
  if (error) resolveAll(op, { ok: false, error } satisfies ReadResult);
  else {
    const bytes = op.kind === 'head' && part.length > op.maxBytes ? part.subarray(0, op.maxBytes) : part;
    resolveAll(op, { ok: true, text: bytes.toString('utf8') } satisfies ReadResult);
  }
}

function answerFinds(
  kind: FindKind,
  ops: Op[],
  records: FindRecord[],
  errors: { errors: Map<string, Error>; missing?: string },
  hostName: string,
): void {
  const byStart = new Map<string, FindAnswer>();
  for (const r of records) {
    if (r.kind !== kind) continue;
    let answer = byStart.get(r.start);
    if (r.depth === 0) {
      if (!answer) byStart.set(r.start, { self: r, entries: [] });
      continue;
    }
    if (!answer) {
      answer = { self: r, entries: [] };
      byStart.set(r.start, answer);
    }
    answer.entries.push(r);
  }
  for (const op of ops) {
    if (errors.missing) {
      rejectAll(op, missingError(errors.missing, hostName));
      continue;
    }
    const error = errors.errors.get(op.path);
    const answer = byStart.get(op.path);
    if (error) rejectAll(op, error);
    else if (!answer || answer.self.depth !== 0)
      rejectAll(
        op,
        errnoError('ENOENT', `No such file or directory: ${op.path} on host ${hostName}`, op.path),
      );
    else resolveAll(op, answer);
  }
}

// --- Turning find answers into the Host interface's shapes -----------------------------------

function notFound(path: string, hostName: string): Error {
  return errnoError('ENOENT', `No such file or directory: ${path} on host ${hostName}`, path);
}

/** A listing's answer as readdir would give it (ENOTDIR for a file, ENOENT for a dangling link). */
export function toDirEntries(answer: FindAnswer, path: string, hostName: string): DirEntry[] {
  checkDirectory(answer, path, hostName);
  return answer.entries.map((r) => ({ name: r.name, type: entryTypeOf(r.typeLetter) }));
}

export function toFileEntries(answer: FindAnswer, path: string, hostName: string): FileEntry[] {
  checkDirectory(answer, path, hostName);
  return answer.entries.map((r) => toFileEntry(r, r.name));
}

function checkDirectory(answer: FindAnswer, path: string, hostName: string): void {
  const letter = answer.self.typeLetter;
  if (letter === 'l') throw notFound(path, hostName);
  if (letter !== 'd') throw errnoError('ENOTDIR', `Not a directory: ${path} on host ${hostName}`, path);
}

export function toFileEntry(r: FindRecord, name = baseName(r.start)): FileEntry {
  const type = entryTypeOf(r.typeLetter);
  const entry: FileEntry = {
    name,
    type,
    size: r.size,
    mode: r.mode & 0o7777,
    uid: r.uid,
    gid: r.gid,
    mtimeMs: r.mtimeMs,
  };
  if (type === 'symlink') entry.linkTarget = r.linkTarget;
  return entry;
}

/** stat(2) of a path: find -L reports a dangling symlink as a symlink; stat says ENOENT. */
export function toStatResult(
  answer: Promise<FindAnswer>,
  path: string,
  hostName: string,
): Promise<StatResult> {
  return answer.then(
    ({ self }): StatResult => {
      if (self.typeLetter === 'l') return { ok: false, error: notFound(path, hostName) };
      const stat: FileStat = {
        type: entryTypeOf(self.typeLetter),
        size: self.size,
        mode: self.mode & 0o7777,
        uid: self.uid,
        gid: self.gid,
        mtimeMs: self.mtimeMs,
      };
      return { ok: true, stat };
    },
    (error: unknown): StatResult => {
      if (error instanceof HyperionError) throw error; // the host, not the path, failed
      return { ok: false, error: error instanceof Error ? error : new Error(errorMessage(error)) };
    },
  );
}

// --- statfs -----------------------------------------------------------------------------------

/** Coalesces statfs calls (one per mount point in a scrape) into one `stat -f` per turn. */
export class StatfsBatcher {
  private pending = new Map<string, Resolver<FsUsageRecord>[]>();
  private scheduled = false;
  private later = new Set<string>();
  private readonly ahead = new ReadAhead();
  private burstStarted = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: Send,
    private readonly hostName: string,
    bursts: Bursts = new Bursts(),
  ) {
    bursts.onStart(() => this.startBurst());
  }

  statfs(path: string): Promise<FsUsageRecord> {
    const early = this.ahead.take(path);
    if (this.later.size < MAX_LEARNED && performance.now() - this.burstStarted < BURST_LEARN_MS)
      this.later.add(path);
    if (early) return early as Promise<FsUsageRecord>;
    return new Promise((resolve, reject) => this.add(path, { resolve, reject }));
  }

  private add(path: string, waiter: Resolver<FsUsageRecord>): void {
    const list = this.pending.get(path) ?? [];
    list.push(waiter);
    this.pending.set(path, list);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The mount points of the last burst, asked for at the start of this one. */
  private startBurst(): void {
    this.burstStarted = performance.now();
    this.ahead.clear();
    const learned = [...this.later];
    this.later = new Set();
    for (const path of learned) {
      if (!this.pending.has(path)) this.add(path, this.ahead.expect(path) as Resolver<FsUsageRecord>);
    }
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    const plain = [...pending.keys()].filter((p) => PLAIN_PATH.test(p));
    const odd = [...pending.keys()].filter((p) => !PLAIN_PATH.test(p));
    if (plain.length > 0) void this.execute(plain, pending);
    for (const path of odd) void this.execute([path], pending);
  }

  private async execute(paths: string[], pending: Map<string, Resolver<FsUsageRecord>[]>): Promise<void> {
    const waiters = (path: string) => pending.get(path) ?? [];
    try {
      const { response, marks, seq } = await this.send((m, s) => statfsRequest(m, s, paths));
      const errors = sectionErrors(
        stderrSections(response.stderr, marks.mark, seq).get('statfs') ?? [],
        paths,
        this.hostName,
      );
      const records = new Map(parseStatfsRecords(response.stdout).map((r) => [r.path, r]));
      for (const path of paths) {
        const record = records.get(path);
        const error = errors.missing
          ? missingError(errors.missing, this.hostName)
          : (errors.errors.get(path) ?? (record ? undefined : notFound(path, this.hostName)));
        for (const w of waiters(path)) {
          if (error) w.reject(error);
          else w.resolve(record!);
        }
      }
    } catch (error) {
      for (const path of paths) for (const w of waiters(path)) w.reject(error as Error);
    }
  }
}
