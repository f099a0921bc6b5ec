/**
 * /etc/group, per group(5): "name:password:gid:members". Only the gid → name map is kept, which
 * is what a file listing shows. Groups that exist only in LDAP or another NSS source are not in
 * this file; callers show those as the numeric gid, as ls does.
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export function parseGroup(text: string, skipped: SkipReporter = ignoreSkipped): Map<number, string> {
  const groups = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    const name = parts[0] ?? '';
    // "+name" / "-name" are NIS compatibility entries, not groups.
    if (parts.length < 3 || name === '' || name.startsWith('+') || name.startsWith('-')) {
      skipped(line, 'not a group entry');
      continue;
    }
    const gidText = parts[2] ?? '';
    if (!/^\d+$/.test(gidText)) {
      skipped(line, 'malformed gid');
      continue;
    }
    const gid = Number(gidText);
    // getgrgid() returns the first entry for a gid; later duplicates lose.
    if (!groups.has(gid)) groups.set(gid, name);
  }
  return groups;
}
