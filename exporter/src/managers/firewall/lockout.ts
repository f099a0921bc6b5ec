/**
 * Anti-lockout: the blocks Hyperion refuses because they would cut off the people and tools
 * that manage the host — the address the request came from, loopback, the management networks
 * of the configuration — and the ports it refuses unless an admin insists (SSH, the exporter's
 * own). Pure: the caller says which addresses and ports those are.
 */
import { HyperionError } from '../../util/errors.js';
import {
  LOOPBACK,
  formatNetwork,
  hostNetwork,
  networksOverlap,
  parseAddress,
  unmapV4,
  type IpAddress,
  type IpNetwork,
} from '../../util/ip.js';
import type { Protocol } from './model.js';

export interface AddressGuard {
  network: IpNetwork;
  /** Why it may not be blocked, completing "it is …". */
  why: string;
}

export interface PortGuard {
  port: number;
  protocol: Protocol;
  /** Why it is protected, completing "it is …". */
  why: string;
}

export const LOOPBACK_GUARDS: readonly AddressGuard[] = LOOPBACK.map((network) => ({
  network,
  why: 'loopback, how the host talks to itself',
}));

/**
 * One address as a proxy header or a socket gives it: "192.0.2.1", "::ffff:192.0.2.1",
 * "[2001:db8::1]:443", "192.0.2.1:5000", "fe80::1%eth0". Undefined for anything else (a header
 * can hold garbage: it is then simply not an address to protect).
 */
export function parseSourceAddress(text: string): IpAddress | undefined {
  let t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracketed) t = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(t)) t = t.slice(0, t.lastIndexOf(':'));
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  const a = parseAddress(t);
  return a && unmapV4(a);
}

/**
 * The addresses "the request came from". Directly, that is the socket's peer. Through Grafana's
 * plugin proxy (or any reverse proxy) the peer is the proxy — blocking it cuts the proxy off —
 * and the person's own address is in X-Forwarded-For / X-Real-IP. Every one of them is
 * protected. Those headers are whatever the client sent, but they are only ever used to refuse
 * more: forging them can make one's own request fail, never let a block through.
 */
export function requestSources(
  remoteAddress: string | undefined,
  forwardedFor: unknown,
  realIp: unknown,
): AddressGuard[] {
  const guards: AddressGuard[] = [];
  const peer = remoteAddress === undefined ? undefined : parseSourceAddress(remoteAddress);
  if (peer) guards.push({ network: hostNetwork(peer), why: 'the address this request came from' });
  const headerValues = (v: unknown): string[] =>
    (Array.isArray(v) ? v : [v])
      .filter((x): x is string => typeof x === 'string')
      .flatMap((x) => x.split(','));
  for (const entry of [...headerValues(forwardedFor), ...headerValues(realIp)].slice(0, 32)) {
    const a = parseSourceAddress(entry);
    if (a)
      guards.push({
        network: hostNetwork(a),
        why: 'the address this request was forwarded for (X-Forwarded-For)',
      });
  }
  return guards;
}

/** Why `address` may not be blocked (the first guard covering it), or null when nothing protects it. */
export function protectionOf(address: string, guards: readonly AddressGuard[]): string | null {
  const parsed = parseSourceAddress(address);
  if (!parsed) return null;
  const target = hostNetwork(parsed);
  const guard = guards.find((g) => networksOverlap(target, g.network));
  return guard ? `it is ${guard.why}` : null;
}

/** Refuses (409) a block of `target` that covers any guarded address or network. */
export function checkAddressBlock(target: IpNetwork, guards: readonly AddressGuard[]): void {
  for (const g of guards) {
    if (!networksOverlap(target, g.network)) continue;
    const guarded = formatNetwork(g.network);
    const what = formatNetwork(target);
    const covers = what === guarded ? '' : ` covers ${guarded}, which`;
    throw new HyperionError(
      'conflict',
      `Refusing to block ${what}: it${covers} is ${g.why}. Blocking it would lock out the way this host is managed.`,
      { extra: { protected: guarded } },
    );
  }
}

/**
 * A protected port may be blocked only with confirm: true (and then only by an admin, which the
 * caller enforces with the returned guard). Undefined when the port is not protected.
 */
export function checkPortBlock(
  port: number,
  protocol: Protocol,
  guards: readonly PortGuard[],
  confirm: boolean,
): PortGuard | undefined {
  const guard = guards.find((g) => g.port === port && g.protocol === protocol);
  if (guard && !confirm) {
    throw new HyperionError(
      'conflict',
      `Refusing to block ${protocol.toUpperCase()} port ${port}: it is ${guard.why}, and blocking it can lock everyone out of this host. An admin can do it anyway with "confirm": true.`,
      { extra: { protected: `${protocol}/${port}` } },
    );
  }
  return guard;
}
