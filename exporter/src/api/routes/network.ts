/** Network: interfaces with rates, connections with their processes, and a per-peer summary. */
import { z } from 'zod';
import { LOOPBACK_GUARDS, protectionOf, requestSources } from '../../managers/firewall/lockout.js';
import {
  CONNECTION_PROTOCOLS,
  CONNECTION_STATES,
  type ConnectionFilter,
  type ConnectionSummary,
  type PeerSummary,
} from '../../managers/network/connections.js';
import { hostNetwork, parseAddress, parseNetwork, unmapV4, type IpNetwork } from '../../util/ip.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { hostParams, queryInt } from '../schemas.js';

/** "established,time_wait" or repeated state=…&state=…: both are natural in a query string. */
const stateList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s !== ''))
  .pipe(
    z
      .array(
        z.enum(CONNECTION_STATES, {
          error: (issue) =>
            `"${String(issue.input)}" is not a connection state (${CONNECTION_STATES.join(', ')})`,
        }),
      )
      .max(16),
  )
  .describe(`Connection states, comma-separated: ${CONNECTION_STATES.join(', ')}`);

/** An address ("192.0.2.7", "2001:db8::1") or a network ("10.0.0.0/8"). */
export const addressFilter = z
  .string()
  .max(64)
  .regex(/^[0-9A-Fa-f:./]+$/, 'an IP address or a network like 10.0.0.0/8')
  .transform((v, ctx): IpNetwork => {
    if (v.includes('/')) {
      const net = parseNetwork(v);
      if (net) return net;
    } else {
      const a = parseAddress(v);
      if (a) return hostNetwork(unmapV4(a));
    }
    ctx.issues.push({
      code: 'custom',
      input: v,
      message: `"${v}" is not an IP address or a network like 10.0.0.0/8`,
    });
    return z.NEVER;
  });

const filterQuery = {
  protocol: z.enum(CONNECTION_PROTOCOLS).optional(),
  state: stateList.optional(),
  port: queryInt(1, 65535).optional().describe('Local or remote port'),
  remote: addressFilter.optional().describe('Remote address, or a network containing it'),
};

function filterOf(q: {
  protocol?: ConnectionFilter['protocol'];
  state?: string[];
  port?: number;
  remote?: IpNetwork;
}): ConnectionFilter {
  return {
    ...(q.protocol ? { protocol: q.protocol } : {}),
    ...(q.state ? { state: q.state } : {}),
    ...(q.port !== undefined ? { port: q.port } : {}),
    ...(q.remote ? { remote: q.remote } : {}),
  };
}

/**
 * GET /hosts/{host}/network/connections/summary: each peer also says why a block of it would be
 * refused (loopback, a management address, the address this request came from), so a client
 * offers no one-click block that the firewall route would answer with a 409.
 */
export interface GuardedConnectionSummary extends ConnectionSummary {
  peers: (PeerSummary & { protected: string | null })[];
}

export function networkRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/network/interfaces',
      summary: 'Interfaces: addresses, MAC, MTU, speed, state, counters and current rates',
      tag: 'network',
      role: 'viewer',
      params: hostParams,
      async handler({ host }) {
        return { body: await deps.managers.network(host).interfaces.list() };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/network/connections',
      summary:
        'TCP and UDP sockets with the process holding each; filter by protocol, state, port, remote address',
      tag: 'network',
      role: 'viewer',
      params: hostParams,
      query: z
        .object({
          ...filterQuery,
          offset: queryInt(0, 10_000_000).default(0),
          limit: queryInt(1, 100_000).default(1000),
        })
        .strict(),
      async handler({ host, query }) {
        const { offset, limit, ...filter } = query;
        return {
          body: await deps.managers.network(host).connections.list({ ...filterOf(filter), offset, limit }),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/network/connections/summary',
      summary: 'Connections grouped by remote address: count, states, the local ports each peer uses',
      tag: 'network',
      role: 'viewer',
      params: hostParams,
      query: z.object(filterQuery).strict(),
      async handler({ host, query, req }) {
        const summary = await deps.managers.network(host).connections.summary(filterOf(query));
        const guards = [
          ...LOOPBACK_GUARDS,
          ...deps.firewall.management,
          ...requestSources(
            req.socket.remoteAddress,
            req.headers['x-forwarded-for'],
            req.headers['x-real-ip'],
          ),
        ];
        const body: GuardedConnectionSummary = {
          ...summary,
          peers: summary.peers.map((p) => ({ ...p, protected: protectionOf(p.remoteAddress, guards) })),
        };
        return { body };
      },
    }),
  ];
}
