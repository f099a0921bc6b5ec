/**
 * Pure parsers for what a worker answers (script.ts): the parts of a batch's stdout, the
 * sections of its stderr and whose error each line is, and find(1)'s and stat(1)'s
 * NUL-separated records. Functions of their input only, tested on captured answers.
 */
import type { EntryType } from '../host.js';
import { FIND_FIELDS, type FindKind } from './script.js';

/** stdout cut at each separator; undefined when there are not exactly `expected` of them. */
export function splitParts(stdout: Buffer, separator: Buffer, expected: number): Buffer[] | undefined {
  const parts: Buffer[] = [];
  let from = 0;
  for (;;) {
    const at = stdout.indexOf(separator, from);
    if (at < 0) break;
    parts.push(stdout.subarray(from, at));
    from = at + separator.length;
    if (parts.length > expected) return undefined;
  }
  parts.push(stdout.subarray(from));
  return parts.length === expected + 1 ? parts : undefined;
}

/**
 * stderr lines grouped by the section marker ("<mark> <seq> <section>") that precedes them.
 * The worker prints each marker on a line of its own, after a newline.
 */
export function stderrSections(stderr: string, mark: string, seq: number): Map<string, string[]> {
  const prefix = `${mark} ${seq} `;
  const sections = new Map<string, string[]>();
  let current = '';
  for (const line of stderr.split('\n')) {
    if (line.startsWith(prefix)) {
      current = line.slice(prefix.length);
      if (!sections.has(current)) sections.set(current, []);
      continue;
    }
    if (line === '') continue;
    const list = sections.get(current) ?? [];
    list.push(line);
    sections.set(current, list);
  }
  return sections;
}

/**
 * The path a tool's error line is about, among `candidates`. GNU tools (LC_ALL=C) write
 * `cat: /p: msg`, `head: cannot open '/p' for reading: msg`, `find: '/p': msg`, `stat: cannot
 * read file system information for '/p': msg`: a quoted path, or the text between the tool's
 * name and the strerror text. A section about a single path needs no parsing at all.
 */
export function attribute(line: string, candidates: ReadonlySet<string>): string | undefined {
  const token = pathToken(line);
  if (token !== undefined && candidates.has(token)) return token;
  if (candidates.size !== 1) return undefined;
  // One path in the section: the line is about it, unless it names something inside it (find
  // reports an entry of a listed directory that vanished while it read, e.g. /proc/<pid>).
  const only = candidates.values().next().value!;
  const inside = only.endsWith('/') ? only : `${only}/`;
  return token !== undefined && token.startsWith(inside) ? undefined : only;
}

/** The quoted path of an error line, or the text between the tool's name and the strerror. */
function pathToken(line: string): string | undefined {
  const quoted = /'([^']*)'/.exec(line);
  if (quoted) return quoted[1];
  const first = line.indexOf(': ');
  const last = line.lastIndexOf(': ');
  return first >= 0 && last > first ? line.slice(first + 2, last) : undefined;
}

/** "sh: 1: find: not found" (dash), "sh: find: command not found" (bash): a missing tool. */
export function missingTool(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const match = /(?:^|: )([\w.-]+): (?:command )?not found$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export interface FindRecord {
  kind: FindKind;
  /** The starting point as given (%H or %p). */
  start: string;
  /** 0 for the starting point, 1 for an entry of a listed directory. */
  depth: number;
  /** find's %y letter. */
  typeLetter: string;
  name: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  linkTarget: string;
  /** The device the entry is on (lstat only): a rename across devices fails with EXDEV. */
  device: number;
}

const KIND_BY_TAG = new Map(Object.entries(FIND_FIELDS).map(([kind, f]) => [f.tag, kind as FindKind]));

/** find -printf records (script.ts findCommand); a torn or unknown record ends the parse. */
export function parseFindRecords(buf: Buffer): FindRecord[] {
  const fields = buf.toString('utf8').split('\0');
  const out: FindRecord[] = [];
  let i = 0;
  while (i < fields.length) {
    const kind = KIND_BY_TAG.get(fields[i]!);
    if (kind === undefined) break;
    const count = FIND_FIELDS[kind].fields;
    if (i + count > fields.length) break;
    const f = fields.slice(i, i + count);
    i += count;
    switch (kind) {
      case 'names':
        out.push(record(kind, f[1]!, Number(f[2]), f[3]!, f[4]!));
        break;
      case 'details':
        out.push({
          ...record(kind, f[1]!, Number(f[2]), f[3]!, f[10]!),
          size: Number(f[4]),
          mode: parseInt(f[5]!, 8),
          uid: Number(f[6]),
          gid: Number(f[7]),
          mtimeMs: Number(f[8]) * 1000,
          linkTarget: f[9]!,
        });
        break;
      case 'stat':
      case 'lstat':
        out.push({
          ...record(kind, f[1]!, 0, f[2]!, baseName(f[1]!)),
          size: Number(f[3]),
          mode: parseInt(f[4]!, 8),
          uid: Number(f[5]),
          gid: Number(f[6]),
          mtimeMs: Number(f[7]) * 1000,
          linkTarget: kind === 'lstat' ? f[8]! : '',
          device: kind === 'lstat' ? Number(f[9]) : 0,
        });
        break;
    }
  }
  return out;
}

function record(kind: FindKind, start: string, depth: number, typeLetter: string, name: string): FindRecord {
  return {
    kind,
    start,
    depth,
    typeLetter,
    name,
    size: 0,
    mode: 0,
    uid: 0,
    gid: 0,
    mtimeMs: 0,
    linkTarget: '',
    device: 0,
  };
}

export function baseName(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** find's %y: f, d, l, and b/c/p/s/D for the rest. */
export function entryTypeOf(letter: string): EntryType {
  if (letter === 'f') return 'file';
  if (letter === 'd') return 'dir';
  if (letter === 'l') return 'symlink';
  return 'other';
}

export interface StatfsRecord {
  path: string;
  /** Fundamental block size (f_frsize): the unit of the block counts. */
  blockSize: number;
  blocks: number;
  blocksFree: number;
  blocksAvail: number;
  files: number;
  filesFree: number;
}

/** stat -f --printf records (script.ts statfsRequest). */
export function parseStatfsRecords(buf: Buffer): StatfsRecord[] {
  const fields = buf.toString('utf8').split('\0');
  const out: StatfsRecord[] = [];
  for (let i = 0; i + 8 <= fields.length && fields[i] === 'F'; i += 8) {
    const f = fields.slice(i, i + 8).map((v, j) => (j <= 1 ? v : Number(v)));
    out.push({
      path: f[1] as string,
      blockSize: f[2] as number,
      blocks: f[3] as number,
      blocksFree: f[4] as number,
      blocksAvail: f[5] as number,
      files: f[6] as number,
      filesFree: f[7] as number,
    });
  }
  return out;
}

/** realpath -z output: one NUL-terminated path per success, in the order asked. */
export function parseNulList(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  if (text === '') return [];
  return text.replace(/\0$/, '').split('\0');
}
