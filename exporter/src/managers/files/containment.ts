/**
 * Containment: every path is resolved on the host — symlinks included — and refused unless its
 * canonical form lies inside the canonical root. Paths reaching here have been checked by
 * names.ts (no "..", no control characters, no empty segments), so the only way out of a root
 * is a symbolic link, and realpath(3) shows where each one leads.
 *
 * Three ways to look at a path, one per kind of operation:
 *  - resolveExisting: what the path shows, every link followed (list, download, read, write
 *    into, copy from). A link that leads outside the root is refused.
 *  - resolveTarget: a path that may not exist yet (upload, mkdir -p): its deepest existing
 *    ancestor must be inside, and the first missing name must not even be a dangling link —
 *    creating "through" one would create its target, wherever that is.
 *  - resolveEntry: the directory entry itself (delete, move, rename): the parent is resolved,
 *    the last name is not followed, so removing a link removes the link, never its target.
 *
 * These checks give clear answers; they are not what keeps a path inside its root. The host's
 * file agent (hosts/agent/) decides again on what it opens — inside the root, not one of the
 * exporter's secrets (a hard link to one included), not on a kernel file system — so a
 * directory swapped for a link after this resolution changes nothing.
 */
import { isAgentRefusal } from '../../hosts/agent/connection.js';
import type { FileEntry, Host } from '../../hosts/host.js';
import { HyperionError } from '../../util/errors.js';
import { errnoOf, fsError } from './fs-errors.js';
import { display } from './names.js';

export interface RootHandle {
  name: string;
  /** The root's canonical path (realpath), the boundary every path is checked against. */
  real: string;
}

export interface Existing {
  /** Canonical path: every symlink resolved. */
  real: string;
  /** lstat of `real` (never a symlink, since it is canonical). */
  entry: FileEntry;
}

export interface Target {
  /** The path as it is, when it exists. */
  existing: Existing | undefined;
  /** Canonical path of the deepest existing directory (the parent when only the name is missing). */
  base: string;
  /** The names still to create below `base`, the last one being the target's own. */
  missing: string[];
}

export interface EntryRef {
  /** Canonical path of the parent directory. */
  parent: string;
  name: string;
  /** parent + name: the entry itself, not followed if it is a symlink. */
  path: string;
  /** lstat of the entry, or undefined when there is none. */
  entry: FileEntry | undefined;
}

export function joinPath(base: string, names: readonly string[]): string {
  if (names.length === 0) return base;
  return `${base === '/' ? '' : base}/${names.join('/')}`;
}

export function isInside(rootReal: string, candidate: string): boolean {
  if (rootReal === '/') return candidate.startsWith('/');
  return candidate === rootReal || candidate.startsWith(`${rootReal}/`);
}

function outside(root: RootHandle, segments: readonly string[]): HyperionError {
  return new HyperionError(
    'bad-request',
    `${display(root.name, segments)} leads outside root "${root.name}" through a symbolic link; refused`,
  );
}

function assertInside(root: RootHandle, real: string, segments: readonly string[]): void {
  if (!isInside(root.real, real)) throw outside(root, segments);
}

async function lstatOrUndefined(
  host: Host,
  root: RootHandle,
  path: string,
  what: string,
): Promise<FileEntry | undefined> {
  try {
    return await host.files.lstat(root.real, path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw fsError(error, what);
  }
}

export async function resolveExisting(
  host: Host,
  root: RootHandle,
  segments: readonly string[],
): Promise<Existing> {
  const what = display(root.name, segments);
  let real: string;
  try {
    real = await host.files.realpath(root.real, joinPath(root.real, segments));
  } catch (error) {
    if (isAgentRefusal(error) && error.reason === 'outside-root') throw outside(root, segments);
    throw fsError(error, what);
  }
  assertInside(root, real, segments);
  try {
    return { real, entry: await host.files.lstat(root.real, real) };
  } catch (error) {
    throw fsError(error, what);
  }
}

export async function resolveTarget(
  host: Host,
  root: RootHandle,
  segments: readonly string[],
): Promise<Target> {
  try {
    const existing = await resolveExisting(host, root, segments);
    return { existing, base: existing.real, missing: [] };
  } catch (error) {
    if (!(error instanceof HyperionError && error.type === 'not-found')) throw error;
  }
  // Walk up to the deepest ancestor that exists. The root itself exists (the caller resolved it).
  let depth = segments.length - 1;
  let base: Existing | undefined;
  for (; depth >= 0; depth -= 1) {
    try {
      base = await resolveExisting(host, root, segments.slice(0, depth));
      break;
    } catch (error) {
      if (!(error instanceof HyperionError && error.type === 'not-found')) throw error;
    }
  }
  if (!base) throw new HyperionError('not-found', `root "${root.name}" does not exist on this host`);
  const above = segments.slice(0, depth);
  if (base.entry.type !== 'dir') {
    throw new HyperionError('conflict', `${display(root.name, above)} is not a directory`);
  }
  const next = segments[depth]!;
  const link = await lstatOrUndefined(host, root, joinPath(base.real, [next]), display(root.name, segments));
  if (link) {
    // realpath said missing but lstat sees it: a dangling or looping symbolic link.
    throw new HyperionError(
      'bad-request',
      `${display(root.name, [...above, next])} is a symbolic link that leads nowhere; refused (delete it first)`,
    );
  }
  return { existing: undefined, base: base.real, missing: segments.slice(depth) };
}

export async function resolveEntry(
  host: Host,
  root: RootHandle,
  segments: readonly string[],
): Promise<EntryRef> {
  if (segments.length === 0)
    throw new HyperionError('bad-request', `the root "${root.name}" itself cannot be changed`);
  const parentSegments = segments.slice(0, -1);
  const parent = await resolveExisting(host, root, parentSegments);
  if (parent.entry.type !== 'dir') {
    throw new HyperionError('conflict', `${display(root.name, parentSegments)} is not a directory`);
  }
  const name = segments[segments.length - 1]!;
  const path = joinPath(parent.real, [name]);
  return {
    parent: parent.real,
    name,
    path,
    entry: await lstatOrUndefined(host, root, path, display(root.name, segments)),
  };
}
