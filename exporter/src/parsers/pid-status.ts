/**
 * /proc/<pid>/status, per proc(5): "Key:\tvalue" lines. Only the identity fields are kept. The
 * process list does not read this file (it is large and slow to generate); actions do, to tell
 * a process from one of its threads: /proc/<tid> exists for every thread, but only a process has
 * Tgid equal to its own Pid, and a signal sent to a thread id reaches its whole process.
 */
import { fields, ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

export interface PidStatus {
  name: string;
  /** Thread group id: the pid of the process this task belongs to. */
  tgid: number;
  pid: number;
  ppid: number;
  /** Real, effective, saved and file-system uid, in that order. */
  uids: number[];
  gids: number[];
  threads: number;
}

export function parsePidStatus(text: string, skipped: SkipReporter = ignoreSkipped): PidStatus {
  const out: PidStatus = { name: '', tgid: NaN, pid: NaN, ppid: NaN, uids: [], gids: [], threads: NaN };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) {
      skipped(line, 'no key');
      continue;
    }
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    switch (key) {
      case 'Name':
        // The name is the only value that may contain spaces; only the separating tab is dropped.
        out.name = value.replace(/^\t/, '');
        break;
      case 'Tgid':
        out.tgid = toNumber(value.trim());
        break;
      case 'Pid':
        out.pid = toNumber(value.trim());
        break;
      case 'PPid':
        out.ppid = toNumber(value.trim());
        break;
      case 'Uid':
        out.uids = fields(value).map(toNumber);
        break;
      case 'Gid':
        out.gids = fields(value).map(toNumber);
        break;
      case 'Threads':
        out.threads = toNumber(value.trim());
        break;
      default:
        break;
    }
  }
  if (Number.isNaN(out.pid) || Number.isNaN(out.tgid))
    throw new Error('malformed /proc/<pid>/status: no Pid/Tgid');
  return out;
}
