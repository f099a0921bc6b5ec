/** Processes: list, inspect, signal, renice — on any host. */
import { z } from 'zod';
import { NICE_MAX, NICE_MIN, SIGNALS, SORT_KEYS, reniceNeedsAdmin } from '../../managers/processes.js';
import { processNeedsAdmin, type UnitPolicy } from '../../managers/services/policy.js';
import { sameService } from '../../managers/services/names.js';
import type { Host } from '../../hosts/host.js';
import { LOCAL_HOST } from '../../hosts/host-registry.js';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';
import { hostName, paging, queryInt } from '../schemas.js';

const pidParams = z
  .object({
    host: hostName,
    // Digits only: Number() would also read "1e3", " 12" or "0x10" as a pid.
    pid: z
      .string()
      .regex(/^[1-9]\d{0,6}$/, 'a PID is a positive integer')
      .transform(Number)
      .pipe(z.number().max(2 ** 22))
      .describe('Process id'),
  })
  .strict();

/** "R,S" or repeated state=R&state=S: both are natural in a query string. */
const stateList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).filter((s) => s !== ''))
  .pipe(z.array(z.string().regex(/^[A-Za-z]$/, 'a state is one letter (R, S, D, Z, T, I…)')).max(16));

const listQuery = z
  .object({
    sort: z.enum(SORT_KEYS).default('pid'),
    order: z.enum(['asc', 'desc']).default('asc'),
    user: z.string().max(64).optional().describe('User name or numeric uid'),
    search: z.string().max(256).optional().describe('Substring of the name or command line'),
    state: stateList.optional(),
    tree: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true')
      .describe('Nest children under their parents'),
    offset: paging.offset,
    limit: queryInt(1, 100_000).optional(),
  })
  .strict();

export function processRoutes(deps: ApiDeps): Route[] {
  // Read at each request: a reloaded configuration's services policy applies at once.
  const policy = (): UnitPolicy => ({
    protectedUnits: deps.config.services.protected,
    operatorUnits: deps.config.services.operatorUnits,
  });
  /**
   * The checks of a signal or renice that depend on the process: it must be one an action may
   * touch at all, and one of a protected unit, of the system's own machinery or of the exporter's
   * own unit needs admin.
   */
  async function checkTarget(
    host: Host,
    pid: number,
    action: string,
    requireRole: (role: 'admin', why: string) => void,
  ): Promise<void> {
    const { unit } = await deps.managers.processes(host).actionTarget(pid, action);
    const why = processNeedsAdmin(unit, policy());
    if (why !== null) requireRole('admin', `${action} PID ${pid}: ${why}`);
    if (host.name === LOCAL_HOST && unit !== null) {
      const own = await deps.managers.services(host).ownUnit();
      if (own !== null && sameService(own, unit) && !unit.endsWith('.scope')) {
        requireRole(
          'admin',
          `${action} PID ${pid}: the process belongs to ${unit}, the unit the exporter itself runs in`,
        );
      }
    }
  }

  return [
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/processes',
      summary: 'The process table: sort, filter, page, or as a tree',
      tag: 'processes',
      role: 'viewer',
      params: z.object({ host: hostName }).strict(),
      query: listQuery,
      async handler({ host, query }) {
        const { tree, ...q } = query;
        const manager = deps.managers.processes(host);
        return { body: tree ? await manager.tree(q) : await manager.list(q) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/processes/{pid}',
      summary: 'One process, with open files, working directory, executable and unit',
      tag: 'processes',
      role: 'viewer',
      params: pidParams,
      async handler({ host, params }) {
        return { body: await deps.managers.processes(host).get(params.pid) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/processes/{pid}/signal',
      summary: 'Send a signal (TERM, KILL, HUP, INT, QUIT, STOP, CONT, USR1, USR2)',
      tag: 'processes',
      role: 'operator',
      action: 'process.signal',
      params: pidParams,
      body: z.object({ signal: z.enum(SIGNALS) }).strict(),
      async authorize({ host, params, body, requireRole }) {
        await checkTarget(host, params.pid, `send SIG${body.signal} to`, requireRole);
      },
      async handler({ host, params, body }) {
        return { body: await deps.managers.processes(host).signal(params.pid, body.signal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/processes/{pid}/renice',
      summary: `Change the nice value (${NICE_MIN}..${NICE_MAX}); below 0 needs admin`,
      tag: 'processes',
      role: 'operator',
      action: 'process.renice',
      params: pidParams,
      body: z.object({ nice: z.number().int().min(NICE_MIN).max(NICE_MAX) }).strict(),
      async authorize({ host, params, body, requireRole }) {
        if (reniceNeedsAdmin(body.nice))
          requireRole('admin', 'raising a process above normal priority (nice < 0)');
        await checkTarget(host, params.pid, 'renice', requireRole);
      },
      async handler({ host, params, body }) {
        return { body: await deps.managers.processes(host).renice(params.pid, body.nice) };
      },
    }),
  ];
}
