/**
 * /proc/net/tcp, tcp6, udp and udp6: one socket per line after a header.
 *
 *    sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode …
 *     0: 0100007F:A295 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 298120 …
 *
 * Addresses are the kernel's in-memory words printed with %08X, so on a little-endian machine
 * (x86, arm64: every host Hyperion targets) each 32-bit word reads byte-reversed; ports are
 * plain hexadecimal. A socket no process holds any more (TIME_WAIT) has inode 0.
 */
import type { IpAddress, IpFamily } from '../util/ip.js';
import { fields, ignoreSkipped, type SkipReporter } from './skip.js';

export interface SocketEntry {
  localAddress: IpAddress;
  localPort: number;
  remoteAddress: IpAddress;
  remotePort: number;
  /** The kernel's state number (include/net/tcp_states.h); UDP uses 1 (connected) and 7. */
  state: number;
  txQueue: number;
  rxQueue: number;
  uid: number;
  inode: number;
}

/** TCP states by number, named as node_exporter's tcpstat collector names them. */
export const TCP_STATE_NAMES: Readonly<Record<number, string>> = {
  1: 'established',
  2: 'syn_sent',
  3: 'syn_recv',
  4: 'fin_wait1',
  5: 'fin_wait2',
  6: 'time_wait',
  7: 'close',
  8: 'close_wait',
  9: 'last_ack',
  10: 'listen',
  11: 'closing',
  12: 'new_syn_recv',
};

/**
 * UDP has no connection states: a socket is either connected to one peer (1) or not (7, which
 * `ss` shows as UNCONN — a bound server socket or a client using sendto()).
 */
export const UDP_STATE_NAMES: Readonly<Record<number, string>> = { 1: 'established', 7: 'unconn' };

/** One 32-bit word as printed by the kernel, read back in network order. */
function word(hex: string, littleEndian: boolean): bigint {
  const n = parseInt(hex, 16);
  const value = littleEndian
    ? ((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)
    : n;
  return BigInt(value >>> 0);
}

function address(hex: string, family: IpFamily, littleEndian: boolean): IpAddress | undefined {
  const expected = family === 4 ? 8 : 32;
  if (hex.length !== expected || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  let value = 0n;
  for (let i = 0; i < hex.length; i += 8) value = (value << 32n) | word(hex.slice(i, i + 8), littleEndian);
  return { family, value };
}

function endpoint(
  text: string | undefined,
  family: IpFamily,
  littleEndian: boolean,
): { address: IpAddress; port: number } | undefined {
  if (text === undefined) return undefined;
  const colon = text.indexOf(':');
  const addr = address(text.slice(0, colon), family, littleEndian);
  const port = parseInt(text.slice(colon + 1), 16);
  if (colon < 0 || !addr || !/^[0-9A-Fa-f]{4}$/.test(text.slice(colon + 1))) return undefined;
  return { address: addr, port };
}

export interface SocketParseOptions {
  /** false only for a big-endian host (s390x, some MIPS), whose words print in network order. */
  littleEndian?: boolean;
  skipped?: SkipReporter;
}

export function parseProcNetSockets(
  text: string,
  family: IpFamily,
  options: SocketParseOptions = {},
): SocketEntry[] {
  const littleEndian = options.littleEndian ?? true;
  const skipped = options.skipped ?? ignoreSkipped;
  const out: SocketEntry[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = fields(line);
    const local = endpoint(f[1], family, littleEndian);
    const remote = endpoint(f[2], family, littleEndian);
    const [tx, rx] = (f[4] ?? '').split(':');
    const state = parseInt(f[3] ?? '', 16);
    const uid = Number(f[7]);
    const inode = Number(f[9]);
    if (!local || !remote || !Number.isInteger(state) || !Number.isInteger(uid) || !Number.isInteger(inode)) {
      skipped(line, 'malformed socket line');
      continue;
    }
    out.push({
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state,
      txQueue: parseInt(tx ?? '', 16) || 0,
      rxQueue: parseInt(rx ?? '', 16) || 0,
      uid,
      inode,
    });
  }
  return out;
}

/**
 * Sockets per state number, without decoding addresses: what the connections metric needs,
 * cheap enough for a host with a hundred thousand sockets.
 */
export function countSocketStates(text: string): Map<number, number> {
  const counts = new Map<number, number>();
  let start = text.indexOf('\n') + 1;
  while (start > 0 && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const state = parseInt(fields(text.slice(start, end))[3] ?? '', 16);
    if (Number.isInteger(state)) counts.set(state, (counts.get(state) ?? 0) + 1);
    start = end + 1;
  }
  return counts;
}
