/**
 * How one file looks in an answer: what a file manager's row shows (name, type, size, mode as
 * ls prints it, owner and group names, modification time, where a link points), plus its path
 * inside the root so a client can act on it without composing paths itself.
 */
import type { EntryType, FileEntry } from '../../hosts/host.js';
import type { Identities } from './identities.js';

export interface FileInfo {
  name: string;
  /** Path inside the root, "" for the root itself; what every other route takes. */
  path: string;
  type: EntryType;
  /** Bytes (for a symlink: the length of its target text, as lstat says). */
  size: number;
  /** Permission bits in octal, e.g. "0755" ("4755" with set-uid). */
  mode: string;
  /** As ls -l prints them, e.g. "drwxr-xr-x". */
  permissions: string;
  uid: number;
  gid: number;
  /** User name, or null when the host does not know the uid. */
  owner: string | null;
  group: string | null;
  /** ISO 8601, UTC. */
  mtime: string;
  /** For symlinks: the link's text, exactly as written. */
  linkTarget?: string;
  /** For symlinks: what the link leads to ("broken" when nothing, or a loop). */
  targetType?: EntryType | 'broken';
}

const TYPE_CHAR: Record<EntryType, string> = { file: '-', dir: 'd', symlink: 'l', other: '?' };

/** ls -l's ten characters, set-id and sticky bits included (s/S, t/T). */
export function permissionString(type: EntryType, mode: number): string {
  const bit = (mask: number, char: string) => (mode & mask ? char : '-');
  const special = (exec: boolean, set: boolean, lower: string) =>
    set ? (exec ? lower : lower.toUpperCase()) : exec ? 'x' : '-';
  return (
    TYPE_CHAR[type] +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    special((mode & 0o100) !== 0, (mode & 0o4000) !== 0, 's') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    special((mode & 0o010) !== 0, (mode & 0o2000) !== 0, 's') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    special((mode & 0o001) !== 0, (mode & 0o1000) !== 0, 't')
  );
}

/**
 * A directory holds few distinct modes, and a listing of 10 000 entries would otherwise build
 * the same two strings 10 000 times: they are kept per (type, mode).
 */
const modeStrings = new Map<number, { mode: string; permissions: string }>();
const TYPE_INDEX: Record<EntryType, number> = { file: 0, dir: 1, symlink: 2, other: 3 };

function modeStringsOf(type: EntryType, mode: number): { mode: string; permissions: string } {
  const bits = mode & 0o7777;
  const key = TYPE_INDEX[type] * 0o10000 + bits;
  let strings = modeStrings.get(key);
  if (!strings) {
    strings = { mode: bits.toString(8).padStart(4, '0'), permissions: permissionString(type, bits) };
    modeStrings.set(key, strings);
  }
  return strings;
}

export function toFileInfo(
  entry: FileEntry,
  path: string,
  ids: Identities,
  targetType?: EntryType | 'broken',
): FileInfo {
  const info: FileInfo = {
    name: entry.name,
    path,
    type: entry.type,
    size: entry.size,
    ...modeStringsOf(entry.type, entry.mode),
    uid: entry.uid,
    gid: entry.gid,
    owner: ids.users.get(entry.uid) ?? null,
    group: ids.groups.get(entry.gid) ?? null,
    mtime: new Date(entry.mtimeMs).toISOString(),
  };
  if (entry.type === 'symlink') {
    info.linkTarget = entry.linkTarget ?? '';
    if (targetType) info.targetType = targetType;
  }
  return info;
}
