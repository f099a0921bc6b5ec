/**
 * IPv4 and IPv6 addresses and prefixes as numbers, so that "is this address inside that
 * network" and "do these two networks overlap" are arithmetic rather than string games.
 * Used by the connection filters and by the firewall (anti-lockout, overlapping blocks, and
 * comparing what nft lists with what Hyperion wants). Pure: no I/O.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

/** A network: the address with its host bits cleared, and the prefix length. */
export interface IpNetwork {
  family: IpFamily;
  network: bigint;
  prefix: number;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: "010" is octal to inet_aton and decimal to others — refuse the ambiguity.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string, last: boolean): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (const [i, part] of parts.entries()) {
      if (last && i === parts.length - 1 && part.includes('.')) {
        // An embedded IPv4 address (::ffff:192.0.2.1) stands for the last two groups.
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return undefined;
      out.push(parseInt(part, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses a literal address (no zone id, no brackets); undefined when it is not one. */
export function parseAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

export interface ParsedNetwork extends IpNetwork {
  /** True when the text had bits set below the prefix ("10.1.2.3/8"): usually a typo. */
  hostBitsSet: boolean;
}

/** Parses "address/prefix"; undefined when it is not one. */
export function parseNetwork(text: string): ParsedNetwork | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > BITS[address.family]) return undefined;
  const network = address.value & mask(address.family, prefix);
  return { family: address.family, network, prefix, hostBitsSet: network !== address.value };
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** The one-address network of an address (/32 or /128). */
export function hostNetwork(address: IpAddress): IpNetwork {
  return { family: address.family, network: address.value, prefix: BITS[address.family] };
}

export function isHostNetwork(net: IpNetwork): boolean {
  return net.prefix === BITS[net.family];
}

export function networkContains(net: IpNetwork, address: IpAddress): boolean {
  return net.family === address.family && (address.value & mask(net.family, net.prefix)) === net.network;
}

/** Two aligned networks overlap exactly when one contains the other's first address. */
export function networksOverlap(a: IpNetwork, b: IpNetwork): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, shorter);
  return (a.network & m) === (b.network & m);
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * ::ffff:a.b.c.d is how an IPv6 socket shows an IPv4 peer. The peer's real address is the
 * IPv4 one: that is what a firewall rule must match and what a user searches for.
 */
export function unmapV4(address: IpAddress): IpAddress {
  if (address.family === 6 && address.value >> 32n === V4_MAPPED_PREFIX >> 32n) {
    return { family: 4, value: address.value & 0xffffffffn };
  }
  return address;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatAddress(address: IpAddress): string {
  return address.family === 4 ? formatIpv4(address.value) : formatIpv6(address.value);
}

/** "10.0.0.0/8"; a one-address network is written as the bare address (as nft lists it). */
export function formatNetwork(net: IpNetwork): string {
  const address = formatAddress({ family: net.family, value: net.network });
  return isHostNetwork(net) ? address : `${address}/${net.prefix}`;
}

/** Loopback networks: the host talking to itself, never a remote attacker. */
export const LOOPBACK: readonly IpNetwork[] = [
  { family: 4, network: 0x7f000000n, prefix: 8 },
  { family: 6, network: 1n, prefix: 128 },
];
