/**
 * Entity tags for the text editor and for replacing files: a strong tag from the SHA-256 of the
 * content, so two saves a microsecond apart, or a file changed and changed back, compare by
 * what is in the file — not by a modification time that may not have moved.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Host } from '../../hosts/host.js';

export function newHash(): Hash {
  return createHash('sha256');
}

export function etagOf(hash: Hash): string {
  return `"${hash.digest('base64url')}"`;
}

export function etagOfBytes(bytes: Buffer): string {
  return etagOf(newHash().update(bytes));
}

/** Hashes a file on the host by streaming it (never holding it whole). */
export async function etagOfFile(host: Host, root: string, path: string): Promise<string> {
  const hash = newHash();
  const { stream } = await host.files.read(root, path);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return etagOf(hash);
}

/**
 * Whether an If-Match header (RFC 9110 §13.1.1) is satisfied by the current tag: "*" matches
 * any existing file; otherwise one of the listed tags must equal it, compared strongly (a weak
 * W/ tag never matches).
 */
export function ifMatchSatisfied(header: string, current: string | undefined): boolean {
  if (current === undefined) return false;
  if (header.trim() === '*') return true;
  return listedTags(header).includes(current);
}

function listedTags(header: string): string[] {
  return [...header.matchAll(/(W\/)?("[^"]*")/g)].filter((m) => m[1] === undefined).map((m) => m[2]!);
}
