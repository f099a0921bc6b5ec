/**
 * Firewall: list the blocks, block an address, a network or a port (for a while or until
 * removed), and remove a block — on any host, in Hyperion's own nftables table.
 */
import dns from 'node:dns/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Request } from 'express';
import { z } from 'zod';
import type { Host } from '../../hosts/host.js';
import {
  parseSourceAddress,
  requestSources,
  type AddressGuard,
  type PortGuard,
} from '../../managers/firewall/lockout.js';
import {
  BLOCK_ID,
  PROTOCOLS,
  REASON_MAX,
  durationSchema,
  type BlockTarget,
} from '../../managers/firewall/model.js';
import { hasRole } from '../../security/roles.js';
import { HyperionError } from '../../util/errors.js';
import { formatAddress, hostNetwork, parseAddress, parseNetwork, type IpAddress } from '../../util/ip.js';
import type { ApiDeps } from '../deps.js';
import { LOCAL_HOST } from '../../hosts/host-registry.js';
import { defineRoute, type Route } from '../route.js';
import { hostName, hostParams } from '../schemas.js';

const address = z
  .string()
  .max(64)
  .refine((v) => parseAddress(v) !== undefined, 'not an IPv4 or IPv6 address (a network goes in "cidr")')
  .describe('One IPv4 or IPv6 address');

const cidr = z
  .string()
  .max(64)
  .superRefine((v, ctx) => {
    const net = parseNetwork(v);
    if (!net) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a network like 203.0.113.0/24 or 2001:db8::/32`,
      });
    } else if (net.hostBitsSet) {
      const fixed = `${formatAddress({ family: net.family, value: net.network })}/${net.prefix}`;
      ctx.addIssue({
        code: 'custom',
        message: `${v} has bits set after the /${net.prefix} prefix; did you mean ${fixed}?`,
      });
    }
  })
  .describe('An IPv4 or IPv6 network in CIDR notation');

const blockBody = z
  .object({
    address: address.optional(),
    cidr: cidr.optional(),
    port: z.number().int().min(1).max(65535).optional(),
    protocol: z.enum(PROTOCOLS).optional().describe('With port: tcp or udp'),
    duration: durationSchema.optional(),
    reason: z
      .string()
      .min(1)
      .max(REASON_MAX)
      .regex(/^[^\p{Cc}]+$/u, 'a reason is one line of text without control characters'),
    confirm: z
      .boolean()
      .optional()
      .describe('Admin only: yes, block a protected port (SSH, the exporter’s own)'),
  })
  .strict()
  .superRefine((b, ctx) => {
    const given = [b.address, b.cidr, b.port].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of "address", "cidr", or "port" with "protocol"',
      });
    } else if (b.port !== undefined && b.protocol === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['protocol'],
        message: 'a port block needs "protocol": "tcp" or "udp"',
      });
    } else if (b.port === undefined && b.protocol !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['protocol'], message: '"protocol" goes with "port" only' });
    }
  });

/** The body of POST /hosts/{host}/firewall/blocks as a client writes it (the Grafana plugin sends this). */
export type BlockBody = z.input<typeof blockBody>;

const idParams = z
  .object({
    host: hostName,
    id: z.string().regex(BLOCK_ID, 'a block id is 12 hexadecimal digits').describe('Block id'),
  })
  .strict();

/**
 * The ports whose loss would cut the host off: the exporter's own API port (local host: the
 * port this request arrived on), the configured SSH ports, and any port sshd listens on.
 */
async function protectedPorts(deps: ApiDeps, host: Host, req: Request): Promise<PortGuard[]> {
  const guards: PortGuard[] = [];
  if (host.name === LOCAL_HOST && req.socket.localPort) {
    guards.push({ port: req.socket.localPort, protocol: 'tcp', why: 'the port of this exporter’s API' });
  }
  for (const port of deps.config.firewall.sshPorts) {
    guards.push({ port, protocol: 'tcp', why: 'an SSH port (firewall.sshPorts)' });
  }
  try {
    for (const l of await deps.managers.network(host).connections.listeningPorts(['sshd'])) {
      guards.push({ port: l.port, protocol: 'tcp', why: `the port sshd listens on` });
    }
  } catch (error) {
    // Without /proc/net the configured ports still protect; the listing is a bonus.
    deps.log.debug({ err: error, host: host.name }, 'firewall: cannot list sshd ports');
  }
  return guards;
}

/**
 * On an SSH host, the address that host sees this exporter connect from ($SSH_CONNECTION, which
 * sshd sets in every session: right through NAT). Blocking it would cut the exporter off the
 * host, and with it the only way to lift the block. When it cannot be told, no address block is
 * made: a guess could be the lockout itself.
 */
async function exporterSource(host: Host): Promise<AddressGuard[]> {
  if (host.name === LOCAL_HOST) return [];
  let peer: string | undefined;
  try {
    const r = await host.run(['printenv', 'SSH_CONNECTION'], { timeoutMs: 10_000 });
    peer = r.code === 0 ? r.stdout.trim().split(/\s+/)[0] : undefined;
  } catch {
    peer = undefined;
  }
  const address = peer === undefined ? undefined : parseSourceAddress(peer);
  if (!address) {
    throw new HyperionError(
      'unavailable',
      `cannot tell which address host ${host.name} sees this exporter connect from ($SSH_CONNECTION), so no address is blocked there: it could be the exporter's own`,
    );
  }
  return [{ network: hostNetwork(address), why: `the address this exporter reaches host ${host.name} from` }];
}

/** How long resolving an inventory host's name may hold up a block. */
const RESOLVE_TIMEOUT_MS = 3000;

/** The addresses a name resolves to, as the SSH connection resolves it; none if it does not. */
async function resolveAddresses(name: string): Promise<IpAddress[]> {
  const literal = parseSourceAddress(name);
  if (literal) return [literal];
  // getaddrinfo cannot be cancelled: a slow resolver is outwaited, not stopped.
  const timeout = delay(RESOLVE_TIMEOUT_MS, [], { ref: false });
  const found = dns.lookup(name, { all: true }).then(
    (all) => all.flatMap(({ address }) => parseSourceAddress(address) ?? []),
    () => [], // a name that does not resolve now is reached by no connection to cut
  );
  return Promise.race([found, timeout]);
}

/**
 * On the exporter's own host, the addresses of the SSH hosts it supervises. The table drops
 * every packet from a blocked address, the answers on the exporter's own SSH connection too:
 * the host would go dark in Grafana, with every action on it. Removing it from the inventory
 * first says that is what is meant.
 */
async function inventoryAddresses(deps: ApiDeps, host: Host): Promise<AddressGuard[]> {
  if (host.name !== LOCAL_HOST) return [];
  const perHost = await Promise.all(
    deps.inventory.views().map(async (h) =>
      (await resolveAddresses(h.address)).map((a) => ({
        network: hostNetwork(a),
        why: `the address of host ${h.name}, which this exporter reaches over SSH (remove ${h.name} from the inventory to block it)`,
      })),
    ),
  );
  return perHost.flat();
}

export function firewallRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/firewall',
      summary: 'Blocks (reason, actor, created, expires, remaining) and whether the kernel enforces them',
      tag: 'firewall',
      role: 'viewer',
      params: hostParams,
      async handler({ host }) {
        return { body: await deps.firewall.manager(host).view() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/firewall/blocks',
      summary: 'Block an address, a network or a port, for a duration or until removed',
      tag: 'firewall',
      role: 'operator',
      action: 'firewall.block',
      params: hostParams,
      body: blockBody,
      async authorize({ host, body, actor, req, setAuditTarget }) {
        const target: BlockTarget =
          body.address !== undefined
            ? { kind: 'address', address: body.address }
            : body.cidr !== undefined
              ? { kind: 'cidr', cidr: body.cidr }
              : { kind: 'port', port: body.port!, protocol: body.protocol! };
        setAuditTarget(body.address ?? body.cidr ?? `${body.protocol}/${body.port}`);
        const request = {
          target,
          reason: body.reason,
          ...(body.duration === undefined ? {} : { durationSeconds: body.duration }),
        };
        const context = {
          actor: actor.name,
          isAdmin: hasRole(actor.role, 'admin'),
          sources: [
            ...requestSources(
              req.socket.remoteAddress,
              req.headers['x-forwarded-for'],
              req.headers['x-real-ip'],
            ),
            ...(target.kind === 'port' ? [] : await exporterSource(host)),
            ...(target.kind === 'port' ? [] : await inventoryAddresses(deps, host)),
          ],
          protectedPorts: target.kind === 'port' ? await protectedPorts(deps, host, req) : [],
          confirm: body.confirm === true,
        };
        // Anti-lockout and protected ports are refused here, before any code is spent.
        deps.firewall.manager(host).checkBlock(request, context);
        return { request, context };
      },
      async handler({ host, plan }) {
        return { status: 201, body: await deps.firewall.manager(host).block(plan.request, plan.context) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/hosts/{host}/firewall/blocks/{id}',
      summary: 'Remove a block',
      tag: 'firewall',
      role: 'operator',
      action: 'firewall.unblock',
      params: idParams,
      async authorize({ host, params, setAuditTarget }) {
        setAuditTarget(params.id);
        if (!deps.firewall.manager(host).holds(params.id))
          throw new HyperionError('not-found', `no block ${params.id} on host ${host.name}`);
      },
      async handler({ host, params }) {
        return { body: await deps.firewall.manager(host).unblock(params.id) };
      },
    }),
  ];
}
