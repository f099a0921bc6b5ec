/**
 * /etc/passwd, per passwd(5): "name:password:uid:gid:gecos:home:shell". Only the uid → name map
 * is kept, which is what the process list needs. Users that exist only in LDAP or another NSS
 * source are not in this file; callers show those as the numeric uid, as ps does.
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export function parsePasswd(text: string, skipped: SkipReporter = ignoreSkipped): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    const name = parts[0] ?? '';
    // "+name" / "-name" are NIS compatibility entries, not users.
    if (parts.length < 4 || name === '' || name.startsWith('+') || name.startsWith('-')) {
      skipped(line, 'not a passwd entry');
      continue;
    }
    const uidText = parts[2] ?? '';
    if (!/^\d+$/.test(uidText)) {
      skipped(line, 'malformed uid');
      continue;
    }
    const uid = Number(uidText);
    // getpwuid() returns the first entry for a uid; later duplicates (aliases like "toor") lose.
    if (!users.has(uid)) users.set(uid, name);
  }
  return users;
}
