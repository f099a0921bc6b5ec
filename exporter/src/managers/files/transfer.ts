/**
 * Moving and copying. Every item of a request is resolved and checked before the first one is
 * touched, so a conflict anywhere changes nothing. A copy is made under a temporary name in the
 * destination directory and renamed into place, so a copy that fails half-way leaves nothing;
 * a move is a rename(2), and across file systems (EXDEV) the same copy followed by removing
 * the source.
 */
import { randomBytes } from 'node:crypto';
import type { FileEntry, Host } from '../../hosts/host.js';
import { HyperionError } from '../../util/errors.js';
import { isInside, joinPath, type EntryRef } from './containment.js';
import { describe, errnoOf } from './fs-errors.js';

export const COPY_TEMP_PREFIX = '.hyperion-copy-';

/** One item, resolved: where the source is on the host and where it goes. */
export interface TransferPlan {
  /** The canonical paths of the source's and the destination's roots. */
  sourceRoot: string;
  destinationRoot: string;
  /** The source's path on the host (the link itself when moving a link). */
  source: string;
  sourceEntry: FileEntry;
  destination: EntryRef;
  /** "data:/a" → "data:/b", for messages. */
  fromText: string;
  toText: string;
}

/** The checks that must all pass before anything moves. */
export function checkPlans(plans: readonly TransferPlan[], overwrite: boolean, verb: 'move' | 'copy'): void {
  const seen = new Set<string>();
  for (const p of plans) {
    if (seen.has(p.destination.path)) {
      throw new HyperionError('bad-request', `two items would ${verb} to ${p.toText}`);
    }
    seen.add(p.destination.path);
    if (p.source === p.destination.path) {
      throw new HyperionError('bad-request', `${p.fromText}: source and destination are the same`);
    }
    if (p.sourceEntry.type === 'dir' && isInside(p.source, p.destination.parent)) {
      throw new HyperionError(
        'bad-request',
        `cannot ${verb} the directory ${p.fromText} into itself (${p.toText})`,
      );
    }
    const existing = p.destination.entry;
    if (!existing) continue;
    if (!overwrite) {
      throw new HyperionError('conflict', `${p.toText} already exists; overwrite=true replaces a file`);
    }
    if (existing.type === 'dir') {
      throw new HyperionError('conflict', `${p.toText} is a directory; a directory is never replaced`);
    }
    if (p.sourceEntry.type === 'dir') {
      throw new HyperionError('conflict', `${p.toText} exists; a directory cannot replace a file`);
    }
  }
}

/** Copies `source` to a temporary name beside `destination`, then renames it into place. */
export async function copyInto(host: Host, plan: TransferPlan): Promise<void> {
  const temp = joinPath(plan.destination.parent, [`${COPY_TEMP_PREFIX}${randomBytes(8).toString('hex')}`]);
  const files = host.files;
  try {
    await files.copy(plan.sourceRoot, plan.source, plan.destinationRoot, temp, {
      recursive: plan.sourceEntry.type === 'dir',
    });
    await files.rename(plan.destinationRoot, temp, plan.destinationRoot, plan.destination.path);
  } catch (error) {
    await files.remove(plan.destinationRoot, temp, { recursive: true }).catch(() => undefined);
    throw error;
  }
}

export async function moveOne(host: Host, plan: TransferPlan): Promise<void> {
  try {
    await host.files.rename(plan.sourceRoot, plan.source, plan.destinationRoot, plan.destination.path);
    return;
  } catch (error) {
    if (errnoOf(error) !== 'EXDEV') throw error;
  }
  // Another file system: copy whole first, and only then remove the source.
  await describe(copyInto(host, plan), `copying ${plan.fromText} to ${plan.toText}`);
  await describe(
    host.files.remove(plan.sourceRoot, plan.source, { recursive: plan.sourceEntry.type === 'dir' }),
    `${plan.fromText} was copied to ${plan.toText} but removing the original`,
  );
}
