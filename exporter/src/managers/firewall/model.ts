/**
 * What the firewall holds: blocks of an address, a network or a port, each with who asked,
 * why, when, and until when. This is the desired state persisted in the data directory; the
 * nftables table is made to match it (firewall.ts), never the other way round.
 */
import { z } from 'zod';
import {
  formatAddress,
  hostNetwork,
  parseAddress,
  parseNetwork,
  unmapV4,
  type IpFamily,
  type IpNetwork,
} from '../../util/ip.js';

export const BLOCK_KINDS = ['address', 'cidr', 'port'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];
export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** 12 hex digits: short enough to type, 48 random bits so ids never collide in practice. */
export const BLOCK_ID = /^[0-9a-f]{12}$/;
export const REASON_MAX = 200;
export const DURATION_MAX_SECONDS = 366 * 24 * 3600;
/**
 * Blocks per host. Each is one set element of at most ~200 bytes of JSON, and a rebuild sends
 * them all in one transaction to the host's root agent, which takes a request of at most 4 MiB.
 */
export const MAX_BLOCKS = 4096;

export const blockSchema = z
  .object({
    id: z.string().regex(BLOCK_ID),
    kind: z.enum(BLOCK_KINDS),
    /** For address and cidr blocks: canonical text ("192.0.2.1", "2001:db8::/32"). */
    target: z.string().min(1).max(64).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    protocol: z.enum(PROTOCOLS).optional(),
    reason: z.string().max(REASON_MAX),
    actor: z.string().max(128),
    createdAt: z.iso.datetime(),
    /** null: until someone removes it. */
    expiresAt: z.iso.datetime().nullable(),
  })
  .strict();

export type Block = z.infer<typeof blockSchema>;

export const stateSchema = z.object({ version: z.literal(1), blocks: z.array(blockSchema) }).strict();
export type FirewallState = z.infer<typeof stateSchema>;

/** What a caller asks for, already validated at the API edge. */
export type BlockTarget =
  | { kind: 'address'; address: string }
  | { kind: 'cidr'; cidr: string }
  | { kind: 'port'; port: number; protocol: Protocol };

export interface BlockRequest {
  target: BlockTarget;
  /** Seconds; undefined blocks until removed. */
  durationSeconds?: number;
  reason: string;
}

/** The network an address or cidr block covers (IPv4-mapped IPv6 becomes the IPv4 address). */
export function networkOf(block: Pick<Block, 'kind' | 'target'>): IpNetwork | undefined {
  if (block.target === undefined) return undefined;
  if (block.kind === 'address') {
    const a = parseAddress(block.target);
    return a && hostNetwork(unmapV4(a));
  }
  if (block.kind === 'cidr') return parseNetwork(block.target);
  return undefined;
}

export function familyOf(block: Block): IpFamily | undefined {
  return networkOf(block)?.family;
}

/**
 * The canonical text of an address or network as a block stores it: RFC 5952 for IPv6, and an
 * IPv4-mapped IPv6 address (or network) as the IPv4 one, which is what a packet will carry.
 */
export function canonicalTarget(target: BlockTarget): string | undefined {
  if (target.kind === 'address') {
    const a = parseAddress(target.address);
    return a && formatAddress(unmapV4(a));
  }
  if (target.kind === 'cidr') {
    const n = parseNetwork(target.cidr);
    if (!n) return undefined;
    const a = unmapV4({ family: n.family, value: n.network });
    // ::ffff:0:0/96 and longer are IPv4 networks written the IPv6 way.
    const prefix = a.family === 4 && n.family === 6 ? n.prefix - 96 : n.prefix;
    return `${formatAddress(a)}/${prefix}`;
  }
  return undefined;
}

/** How a person names a block: "192.0.2.1", "10.0.0.0/8", "tcp/8080". */
export function describeBlock(block: Pick<Block, 'kind' | 'target' | 'port' | 'protocol'>): string {
  return block.kind === 'port' ? `${block.protocol}/${block.port}` : (block.target ?? '?');
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "90s", "15m", "12h", "7d", "2w", or a number of seconds; the output is seconds. */
export const durationSchema = z
  .union([
    z.number().int().min(1).max(DURATION_MAX_SECONDS),
    z
      .string()
      .regex(
        /^[1-9]\d{0,6}[smhdw]$/,
        'a duration is a number of seconds, or like "90s", "15m", "12h", "7d", "2w"',
      )
      .transform((v) => Number(v.slice(0, -1)) * UNITS[v.slice(-1)]!)
      .pipe(
        z
          .number()
          .max(
            DURATION_MAX_SECONDS,
            'a block lasts at most 366 days; omit the duration to block until removed',
          ),
      ),
  ])
  .describe('How long the block lasts: seconds, or "90s", "15m", "12h", "7d", "2w"; absent: until removed');
