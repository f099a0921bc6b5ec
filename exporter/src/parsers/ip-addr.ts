/**
 * `ip -j addr show` (iproute2's JSON): every interface with its flags, MTU, MAC address and
 * IP addresses. iproute2 is the one place that lists IPv4 addresses without parsing
 * /proc/net/fib_trie, and its JSON output has been stable since iproute2 4.13 (2017).
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export interface IpAddrEntry {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefixLength: number;
  scope: string | null;
}

export interface IpLink {
  index: number;
  name: string;
  flags: string[];
  mtu: number | null;
  /** iproute2's operstate (UP, DOWN, UNKNOWN for loopback and tunnels, …), lower-cased. */
  operState: string | null;
  linkType: string | null;
  /** The hardware address; null for interfaces without one (tunnels). */
  mac: string | null;
  addresses: IpAddrEntry[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function addresses(v: unknown): IpAddrEntry[] {
  if (!Array.isArray(v)) return [];
  const out: IpAddrEntry[] = [];
  for (const a of v) {
    if (!isRecord(a)) continue;
    const family = a.family === 'inet' ? 'ipv4' : a.family === 'inet6' ? 'ipv6' : null;
    const local = str(a.local);
    const prefixLength = num(a.prefixlen);
    if (!family || !local || prefixLength === null) continue;
    out.push({ family, address: local, prefixLength, scope: str(a.scope) });
  }
  return out;
}

/** Parses the JSON array; an entry without a name or index is skipped and reported. */
export function parseIpAddr(text: string, skipped: SkipReporter = ignoreSkipped): IpLink[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('ip -j addr: expected a JSON array');
  const out: IpLink[] = [];
  for (const link of parsed) {
    if (!isRecord(link) || typeof link.ifname !== 'string' || num(link.ifindex) === null) {
      skipped(JSON.stringify(link).slice(0, 200), 'no interface name or index');
      continue;
    }
    const type = str(link.link_type);
    const mac = str(link.address);
    out.push({
      index: num(link.ifindex)!,
      name: link.ifname,
      flags: Array.isArray(link.flags) ? link.flags.filter((f): f is string => typeof f === 'string') : [],
      mtu: num(link.mtu),
      operState: str(link.operstate)?.toLowerCase() ?? null,
      linkType: type,
      // Only Ethernet-like links have a MAC; a tunnel's "address" is its IPv4 endpoint.
      mac: mac !== null && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac) ? mac.toLowerCase() : null,
      addresses: addresses(link.addr_info),
    });
  }
  return out;
}
