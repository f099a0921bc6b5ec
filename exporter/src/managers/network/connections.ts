/**
 * The host's TCP and UDP sockets (IPv4 and IPv6) from /proc/net/{tcp,tcp6,udp,udp6}, with the
 * process holding each, filtered on the server; and the same sockets summed up per remote
 * address — the view for spotting one peer with too many connections.
 *
 * /proc/net/* describes the network namespace of whoever reads it: for the local host, the
 * exporter's own (run it in the host's namespace to see the host's sockets).
 */
import type { Host } from '../../hosts/host.js';
import {
  TCP_STATE_NAMES,
  UDP_STATE_NAMES,
  parseProcNetSockets,
  type SocketEntry,
} from '../../parsers/proc-net-sockets.js';
import { HyperionError } from '../../util/errors.js';
import { formatAddress, networkContains, unmapV4, type IpFamily, type IpNetwork } from '../../util/ip.js';
import { under } from '../../util/paths.js';
import { findSocketOwners, type SocketOwner } from './socket-owners.js';

export const CONNECTION_PROTOCOLS = ['tcp', 'udp'] as const;
export type ConnectionProtocol = (typeof CONNECTION_PROTOCOLS)[number];

/** Every state name a connection can have: TCP's, and UDP's "unconn". */
export const CONNECTION_STATES = [
  ...new Set([...Object.values(TCP_STATE_NAMES), ...Object.values(UDP_STATE_NAMES)]),
] as [string, ...string[]];

export interface Connection {
  protocol: ConnectionProtocol;
  family: 'ipv4' | 'ipv6';
  state: string;
  /** IPv4-mapped IPv6 addresses are shown as the IPv4 address they stand for. */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  rxQueueBytes: number;
  txQueueBytes: number;
  uid: number;
  /** 0 for a socket no process holds any more (TIME_WAIT). */
  inode: number;
  /** The process holding the socket (the lowest pid when several share it); null when unknown. */
  pid: number | null;
  process: string | null;
  /** Every process holding it, when more than one does (a forking server's listening socket). */
  owners?: SocketOwner[];
}

export interface ConnectionFilter {
  protocol?: ConnectionProtocol;
  state?: readonly string[];
  /** Matches the local or the remote port. */
  port?: number;
  /** The remote address, or a network containing it. */
  remote?: IpNetwork;
}

export interface ConnectionQuery extends ConnectionFilter {
  offset?: number;
  limit?: number;
}

export interface ConnectionPage {
  total: number;
  offset: number;
  limit: number;
  items: Connection[];
}

export interface PeerSummary {
  remoteAddress: string;
  connections: number;
  states: Record<string, number>;
  /** The host's own ports this peer talks to (the services it uses), ascending. */
  localPorts: number[];
  /** How many distinct ports the peer uses on its side. */
  remotePortCount: number;
  protocols: ConnectionProtocol[];
}

export interface ConnectionSummary {
  /** Connections with a remote end (listening and unconnected sockets have none). */
  connections: number;
  peers: PeerSummary[];
}

const FILES: { file: string; protocol: ConnectionProtocol; family: IpFamily }[] = [
  { file: 'net/tcp', protocol: 'tcp', family: 4 },
  { file: 'net/tcp6', protocol: 'tcp', family: 6 },
  { file: 'net/udp', protocol: 'udp', family: 4 },
  { file: 'net/udp6', protocol: 'udp', family: 6 },
];

const LOCAL_PORTS_SHOWN = 32;

interface Socket {
  entry: SocketEntry;
  protocol: ConnectionProtocol;
  family: IpFamily;
  state: string;
}

export class ConnectionManager {
  constructor(private readonly host: Host) {}

  async list(query: ConnectionQuery = {}): Promise<ConnectionPage> {
    const matched = (await this.sockets()).filter((s) => matches(s, query));
    matched.sort(compareSockets);
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 1000;
    const page = matched.slice(offset, offset + limit);
    // Owners are looked up for the page only: the walk of /proc/*/fd is the costly part.
    const owners = await findSocketOwners(
      this.host,
      new Set(page.map((s) => s.entry.inode).filter((i) => i !== 0)),
    );
    return { total: matched.length, offset, limit, items: page.map((s) => toConnection(s, owners)) };
  }

  /** Connections grouped by remote address, most connections first. */
  async summary(filter: ConnectionFilter = {}): Promise<ConnectionSummary> {
    const peers = new Map<string, { p: PeerSummary; local: Set<number>; remote: Set<number> }>();
    let connections = 0;
    for (const s of await this.sockets()) {
      if (!matches(s, filter) || isUnspecified(s)) continue;
      connections += 1;
      const address = formatAddress(unmapV4(s.entry.remoteAddress));
      let peer = peers.get(address);
      if (!peer) {
        peer = {
          p: {
            remoteAddress: address,
            connections: 0,
            states: {},
            localPorts: [],
            remotePortCount: 0,
            protocols: [],
          },
          local: new Set(),
          remote: new Set(),
        };
        peers.set(address, peer);
      }
      peer.p.connections += 1;
      peer.p.states[s.state] = (peer.p.states[s.state] ?? 0) + 1;
      peer.local.add(s.entry.localPort);
      peer.remote.add(s.entry.remotePort);
      if (!peer.p.protocols.includes(s.protocol)) peer.p.protocols.push(s.protocol);
    }
    const out = [...peers.values()].map(({ p, local, remote }) => ({
      ...p,
      localPorts: [...local].sort((a, b) => a - b).slice(0, LOCAL_PORTS_SHOWN),
      remotePortCount: remote.size,
    }));
    out.sort((a, b) => b.connections - a.connections || a.remoteAddress.localeCompare(b.remoteAddress));
    return { connections, peers: out };
  }

  /** TCP ports on which a process with one of these names listens (e.g. sshd's). */
  async listeningPorts(processNames: readonly string[]): Promise<{ port: number; process: string }[]> {
    const listening = (await this.sockets()).filter((s) => s.protocol === 'tcp' && s.state === 'listen');
    const owners = await findSocketOwners(this.host, new Set(listening.map((s) => s.entry.inode)));
    const out = new Map<number, string>();
    for (const s of listening) {
      const owner = owners.get(s.entry.inode)?.find((o) => processNames.includes(o.name));
      if (owner) out.set(s.entry.localPort, owner.name);
    }
    return [...out].map(([port, process]) => ({ port, process }));
  }

  private async sockets(): Promise<Socket[]> {
    const paths = FILES.map((f) => under(this.host.paths.procfs, f.file));
    const files = await this.host.readFiles(paths);
    const out: Socket[] = [];
    let readable = 0;
    FILES.forEach((f, i) => {
      const r = files.get(paths[i]!);
      // A kernel without IPv6 has no tcp6/udp6: that is no error, just no such sockets.
      if (!r?.ok) return;
      readable += 1;
      const names = f.protocol === 'tcp' ? TCP_STATE_NAMES : UDP_STATE_NAMES;
      for (const entry of parseProcNetSockets(r.text, f.family)) {
        out.push({
          entry,
          protocol: f.protocol,
          family: f.family,
          state: names[entry.state] ?? `unknown_${entry.state}`,
        });
      }
    });
    if (readable === 0) {
      throw new HyperionError('unavailable', `host ${this.host.name}: cannot read ${paths.join(', ')}`);
    }
    return out;
  }
}

function isUnspecified(s: Socket): boolean {
  return s.entry.remoteAddress.value === 0n && s.entry.remotePort === 0;
}

function matches(s: Socket, f: ConnectionFilter): boolean {
  if (f.protocol && s.protocol !== f.protocol) return false;
  if (f.state && f.state.length > 0 && !f.state.includes(s.state)) return false;
  if (f.port !== undefined && s.entry.localPort !== f.port && s.entry.remotePort !== f.port) return false;
  if (f.remote && (isUnspecified(s) || !networkContains(f.remote, unmapV4(s.entry.remoteAddress))))
    return false;
  return true;
}

function compareSockets(a: Socket, b: Socket): number {
  return (
    a.protocol.localeCompare(b.protocol) ||
    a.entry.localPort - b.entry.localPort ||
    (a.entry.remoteAddress.value < b.entry.remoteAddress.value
      ? -1
      : a.entry.remoteAddress.value > b.entry.remoteAddress.value
        ? 1
        : 0) ||
    a.entry.remotePort - b.entry.remotePort ||
    a.entry.inode - b.entry.inode
  );
}

function toConnection(s: Socket, owners: Map<number, SocketOwner[]>): Connection {
  const held = s.entry.inode === 0 ? undefined : owners.get(s.entry.inode);
  return {
    protocol: s.protocol,
    family: s.family === 4 ? 'ipv4' : 'ipv6',
    state: s.state,
    localAddress: formatAddress(unmapV4(s.entry.localAddress)),
    localPort: s.entry.localPort,
    remoteAddress: formatAddress(unmapV4(s.entry.remoteAddress)),
    remotePort: s.entry.remotePort,
    rxQueueBytes: s.entry.rxQueue,
    txQueueBytes: s.entry.txQueue,
    uid: s.entry.uid,
    inode: s.entry.inode,
    pid: held?.[0]?.pid ?? null,
    process: held?.[0]?.name ?? null,
    ...(held && held.length > 1 ? { owners: held } : {}),
  };
}
