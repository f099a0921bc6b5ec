/**
 * The audit log: one JSON line per mutating request (and per read of a file's contents),
 * allowed or refused, on disk before the reply leaves (docs/architecture.md, idea 4).
 *
 * It cannot be flooded: requests without a valid token never reach it (pipeline.ts counts them
 * in a metric instead); every field is validated and length-capped before it is written; an
 * actor's refused requests beyond a steady rate are counted, not written (the next record
 * written for that actor says how many were left out); and the log rotates by size, keeping a
 * bounded number of files. Reads page backwards from the newest record without reading the log
 * into memory, and each page reads a bounded number of bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Counter, type Registry } from 'prom-client';
import type { DataDir } from '../storage/data-dir.js';
import { HyperionError } from '../util/errors.js';
import type { FactorUse } from './second-factor.js';

export type AuditResult = 'ok' | 'refused' | 'failed';

export const AUDIT_FILE = 'audit.jsonl';

export interface AuditRecord {
  time: string;
  /** The token's name or the Grafana login. */
  actor: string | null;
  /** The actor's identity key (token:… or grafana:org:user). */
  actorKey: string | null;
  tokenName: string | null;
  role: string | null;
  viaGrafana: boolean;
  host: string | null;
  action: string;
  target: string | null;
  args: unknown;
  /** True when a second factor was in force for this action (a code, or an elevation). */
  otpUsed: boolean;
  secondFactor: FactorUse | null;
  result: AuditResult;
  status: number;
  error: string | null;
  remoteAddress: string | null;
  /** Refused requests of this actor left out of the log since its previous record. */
  suppressed?: number;
}

export interface AuditSettings {
  /** The current file is rotated when it grows past this size. */
  maxFileBytes: number;
  /** Files kept in all, the current one included; the oldest is deleted. */
  maxFiles: number;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  host?: string;
  result?: AuditResult;
  /** Case-insensitive text anywhere in the record. */
  search?: string;
  since?: Date;
  until?: Date;
  /** Where the previous page ended (its nextCursor). */
  cursor?: string;
  /** Matching records to skip first (after the cursor). */
  offset: number;
  limit: number;
}

export interface AuditPage {
  items: AuditRecord[];
  /** Pass as `cursor` for the next (older) page; null when the log has nothing older. */
  nextCursor: string | null;
}

const CAPS = { name: 128, host: 128, target: 512, error: 1000, address: 64, argsJson: 8192 } as const;
/** Bytes one page may read before it answers with what it found (and a cursor to go on). */
const SCAN_BUDGET_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
/** Refused requests an actor may have written per minute, on average (burst: the whole bucket). */
const REFUSALS_PER_MINUTE = 60;
const REFUSAL_BURST = 120;

function cap(value: string | null, max: number): string | null {
  if (value === null) return null;
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}

function capArgs(args: unknown): unknown {
  const json = JSON.stringify(args ?? null);
  return json.length <= CAPS.argsJson ? args : { truncated: true, bytes: json.length };
}

/** A record as it may be written: every free-text field bounded. */
function bounded(record: AuditRecord): AuditRecord {
  return {
    ...record,
    actor: cap(record.actor, CAPS.name),
    actorKey: cap(record.actorKey, CAPS.name),
    tokenName: cap(record.tokenName, CAPS.name),
    host: cap(record.host, CAPS.host),
    target: cap(record.target, CAPS.target),
    args: capArgs(record.args),
    error: cap(record.error, CAPS.error),
    remoteAddress: cap(record.remoteAddress, CAPS.address),
  };
}

/** Token buckets per actor for refused records. */
class RefusalLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; suppressed: number }>();

  constructor(private readonly now: () => number) {}

  /** Whether a refused record of `key` is written; the count left out before it when it is. */
  take(key: string): { write: boolean; suppressed: number } {
    const at = this.now();
    const b = this.buckets.get(key) ?? { tokens: REFUSAL_BURST, at, suppressed: 0 };
    b.tokens = Math.min(REFUSAL_BURST, b.tokens + ((at - b.at) / 60_000) * REFUSALS_PER_MINUTE);
    b.at = at;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.prune(at);
    if (b.tokens < 1) {
      b.suppressed += 1;
      return { write: false, suppressed: 0 };
    }
    b.tokens -= 1;
    const suppressed = b.suppressed;
    b.suppressed = 0;
    return { write: true, suppressed };
  }

  /** Any record written for the actor reports what was left out before it. */
  flush(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const n = b.suppressed;
    b.suppressed = 0;
    return n;
  }

  private prune(at: number): void {
    for (const [key, b] of this.buckets)
      if (b.suppressed === 0 && at - b.at > 10 * 60_000) this.buckets.delete(key);
  }
}

interface LogFile {
  path: string;
  ino: number;
  size: number;
}

export class AuditLog {
  private readonly file: string;
  private fd: number;
  private size: number;
  private readonly actions: Counter<'action' | 'result'>;
  private readonly suppressedTotal: Counter;
  private readonly refusals: RefusalLimiter;

  constructor(
    dir: DataDir,
    private settings: AuditSettings,
    metrics: Registry,
    now: () => number = Date.now,
  ) {
    this.file = dir.path(AUDIT_FILE);
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
    this.refusals = new RefusalLimiter(now);
    this.actions = new Counter({
      name: 'hyperion_actions_total',
      help: 'Audited API requests by action and result (ok, refused, failed).',
      labelNames: ['action', 'result'],
      registers: [metrics],
    });
    this.suppressedTotal = new Counter({
      name: 'hyperion_audit_suppressed_total',
      help: 'Refused requests left out of the audit log because one actor sent too many of them.',
      registers: [metrics],
    });
  }

  /**
   * A reloaded configuration: the next rotation follows the new size and count. With fewer
   * files than before, the oldest rotated ones beyond the new count stay on disk, unread.
   */
  reconfigure(settings: AuditSettings): void {
    this.settings = settings;
  }

  /** Writes the record (fsynced) unless it is a refusal over its actor's rate. */
  append(record: AuditRecord): void {
    this.actions.inc({ action: record.action, result: record.result });
    const key = record.actorKey ?? 'unknown';
    let suppressed = 0;
    if (record.result === 'refused') {
      const taken = this.refusals.take(key);
      if (!taken.write) {
        this.suppressedTotal.inc();
        return;
      }
      suppressed = taken.suppressed;
    } else {
      suppressed = this.refusals.flush(key);
    }
    const line = `${JSON.stringify(bounded(suppressed > 0 ? { ...record, suppressed } : record))}\n`;
    if (this.size > 0 && this.size + Buffer.byteLength(line) > this.settings.maxFileBytes) this.rotate();
    // One write per line: O_APPEND makes each write land whole at the end, even when another
    // process (the CLI) appends at the same time; fdatasync puts it on disk before we answer.
    this.size += fs.writeSync(this.fd, line);
    fs.fdatasyncSync(this.fd);
  }

  /** audit.jsonl → .1 → .2 …; the oldest beyond maxFiles is deleted. */
  private rotate(): void {
    fs.closeSync(this.fd);
    const rotated = (n: number) => `${this.file}.${n}`;
    fs.rmSync(rotated(this.settings.maxFiles - 1), { force: true });
    for (let n = this.settings.maxFiles - 2; n >= 1; n -= 1) {
      if (fs.existsSync(rotated(n))) fs.renameSync(rotated(n), rotated(n + 1));
    }
    if (this.settings.maxFiles > 1) fs.renameSync(this.file, rotated(1));
    else fs.rmSync(this.file, { force: true });
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = 0;
    // The renames are durable only once the directory is.
    const dirFd = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }

  /** The log's files, newest first, with their inodes (a rotation renames, the inode stays). */
  private files(): LogFile[] {
    const out: LogFile[] = [];
    for (let n = 0; n < this.settings.maxFiles; n += 1) {
      const p = n === 0 ? this.file : `${this.file}.${n}`;
      try {
        const s = fs.statSync(p);
        out.push({ path: p, ino: s.ino, size: s.size });
      } catch {
        if (n > 0) break;
      }
    }
    return out;
  }

  query(q: AuditQuery): AuditPage {
    const files = this.files();
    let start = 0;
    let end = files[0]?.size ?? 0;
    if (q.cursor !== undefined) {
      const match = /^(\d+):(\d+)$/.exec(q.cursor);
      const index = match ? files.findIndex((f) => f.ino === Number(match[1])) : -1;
      if (!match || index < 0) {
        throw new HyperionError(
          'not-found',
          'this cursor points into a part of the audit log that has been rotated away; start again from the newest records',
          { field: 'query/cursor' },
        );
      }
      start = index;
      end = Math.min(Number(match[2]), files[index]!.size);
    }
    const search = q.search?.toLowerCase();
    const items: AuditRecord[] = [];
    let skip = q.offset;
    let budget = SCAN_BUDGET_BYTES;
    for (let i = start; i < files.length; i += 1) {
      const file = files[i]!;
      const from = i === start ? end : file.size;
      const reader = new BackwardLines(file.path, from);
      try {
        for (let line = reader.next(); line !== undefined; line = reader.next()) {
          if (search !== undefined && !line.text.toLowerCase().includes(search)) continue;
          let record: AuditRecord;
          try {
            record = JSON.parse(line.text) as AuditRecord;
          } catch {
            continue; // a line torn by a crash mid-write (only ever the last one)
          }
          const time = Date.parse(record.time);
          if (q.since && time < q.since.getTime()) return { items, nextCursor: null };
          if (!matches(record, q, time)) continue;
          if (skip > 0) {
            skip -= 1;
            continue;
          }
          items.push(record);
          if (items.length >= q.limit) return { items, nextCursor: `${file.ino}:${line.start}` };
          if (reader.bytesRead > budget) return { items, nextCursor: `${file.ino}:${line.start}` };
        }
        budget -= reader.bytesRead;
      } finally {
        reader.close();
      }
    }
    return { items, nextCursor: null };
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function matches(r: AuditRecord, q: AuditQuery, time: number): boolean {
  if (q.actor !== undefined && r.actor !== q.actor && r.actorKey !== q.actor) return false;
  if (q.action !== undefined && r.action !== q.action) return false;
  if (q.host !== undefined && r.host !== q.host) return false;
  if (q.result !== undefined && r.result !== q.result) return false;
  if (q.until && time > q.until.getTime()) return false;
  return true;
}

/** Reads a file's lines from `end` towards its beginning, a chunk at a time. */
class BackwardLines {
  private readonly fd: number;
  private position: number;
  private carry = Buffer.alloc(0);
  private pending: { text: string; start: number }[] = [];
  bytesRead = 0;

  constructor(file: string, end: number) {
    this.fd = fs.openSync(file, 'r');
    this.position = end;
  }

  /** The next line going backwards with the offset it starts at; undefined at the beginning. */
  next(): { text: string; start: number } | undefined {
    while (this.pending.length === 0) {
      if (this.position === 0) {
        if (this.carry.length === 0) return undefined;
        const text = this.carry.toString('utf8');
        this.carry = Buffer.alloc(0);
        if (text !== '') return { text, start: 0 };
        return undefined;
      }
      const length = Math.min(CHUNK_BYTES, this.position);
      const chunk = Buffer.alloc(length);
      this.position -= length;
      fs.readSync(this.fd, chunk, 0, length, this.position);
      this.bytesRead += length;
      const data = Buffer.concat([chunk, this.carry]);
      // Everything after the first newline is whole lines (the part before may continue further back).
      const first = data.indexOf(0x0a);
      if (first < 0 && this.position > 0) {
        this.carry = data;
        continue;
      }
      const headEnd = first < 0 ? data.length : first;
      const base = this.position;
      const lines: { text: string; start: number }[] = [];
      let lineStart = headEnd + 1;
      for (let i = lineStart; i < data.length; i += 1) {
        if (data[i] === 0x0a) {
          if (i > lineStart)
            lines.push({ text: data.toString('utf8', lineStart, i), start: base + lineStart });
          lineStart = i + 1;
        }
      }
      // A last line without its newline (torn by a crash) is skipped, as a reader would.
      this.pending = lines.reverse();
      this.carry = data.subarray(0, headEnd);
      if (this.position === 0 && first >= 0) {
        // The head is the file's first line.
        if (headEnd > 0) this.pending.push({ text: data.toString('utf8', 0, headEnd), start: 0 });
        this.carry = Buffer.alloc(0);
      }
    }
    return this.pending.shift();
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
