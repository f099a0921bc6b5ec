/**
 * Which processes hold which sockets. The kernel does not say it in /proc/net/*; each socket
 * has an inode, and every open descriptor of a process is a link in /proc/<pid>/fd reading
 * "socket:[<inode>]" — the same walk `ss -p` and `netstat -p` do.
 *
 * Only the inodes asked for are looked up, and the walk reads links only (no stat): with a few
 * hundred processes that is a few thousand readlink calls, some milliseconds on a local host.
 * A process whose descriptors cannot be read (another user's, when not root) is skipped, so
 * its sockets show no owner rather than failing the listing.
 */
import type { Host, HostPrivileged } from '../../hosts/host.js';
import { under } from '../../util/paths.js';

export interface SocketOwner {
  pid: number;
  /** The process name (/proc/<pid>/comm). */
  name: string;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;
/** Processes read at once: enough to overlap the round trips of a remote host, bounded for its channel. */
const BATCH = 32;

async function socketsOf(host: Host, pid: string, wanted: ReadonlySet<number>): Promise<number[]> {
  const dir = under(host.paths.procfs, pid, 'fd');
  let entries;
  try {
    entries = await host.listDir(dir);
  } catch {
    return []; // ended, or not ours to read
  }
  const links = await Promise.all(entries.map((e) => host.readLink(`${dir}/${e.name}`).catch(() => '')));
  const found: number[] = [];
  for (const link of links) {
    const m = SOCKET_LINK.exec(link);
    if (m && wanted.has(Number(m[1]))) found.push(Number(m[1]));
  }
  return found;
}

/** The wanted sockets of each process, walked by the exporter itself (what its user may read). */
async function walk(host: Host, inodes: ReadonlySet<number>): Promise<Map<number, number[]>> {
  const pids = (await host.listDir(host.paths.procfs))
    .map((e) => e.name)
    .filter((n) => /^\d+$/.test(n))
    .sort((a, b) => Number(a) - Number(b));
  const byPid = new Map<number, number[]>();
  for (let i = 0; i < pids.length; i += BATCH) {
    const batch = pids.slice(i, i + BATCH);
    const results = await Promise.all(batch.map((pid) => socketsOf(host, pid, inodes)));
    results.forEach((found, j) => {
      if (found.length > 0) byPid.set(Number(batch[j]), found);
    });
  }
  return byPid;
}

/** The same, walked by the host's root agent: every process's descriptors, in one request. */
async function agentWalk(
  privileged: HostPrivileged,
  inodes: ReadonlySet<number>,
): Promise<Map<number, number[]>> {
  const byPid = new Map<number, number[]>();
  for (const { pid, inode } of await privileged.socketInodes()) {
    if (inodes.has(inode)) byPid.set(pid, [...(byPid.get(pid) ?? []), inode]);
  }
  return new Map([...byPid].sort(([a], [b]) => a - b));
}

/** Owners of each wanted socket inode, lowest pid first; inodes nobody holds are absent. */
export async function findSocketOwners(
  host: Host,
  inodes: ReadonlySet<number>,
): Promise<Map<number, SocketOwner[]>> {
  const owners = new Map<number, SocketOwner[]>();
  if (inodes.size === 0) return owners;
  const byPid =
    host.paths.procfs === '/proc' ? await agentWalk(host.privileged, inodes) : await walk(host, inodes);
  const commPaths = [...byPid.keys()].map((pid) => under(host.paths.procfs, String(pid), 'comm'));
  const comms = await host.readFiles(commPaths);
  for (const [pid, found] of byPid) {
    const comm = comms.get(under(host.paths.procfs, String(pid), 'comm'));
    const owner = { pid, name: comm?.ok ? comm.text.replace(/\n$/, '') : '' };
    for (const inode of new Set(found)) owners.set(inode, [...(owners.get(inode) ?? []), owner]);
  }
  return owners;
}
