/** Services: list, inspect with logs, and start/stop/restart/reload/enable/disable — on any host. */
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import {
  SERVICE_NAME_PATTERN,
  SERVICE_NAME_RULE,
  SERVICE_STATES,
  SERVICE_VERBS,
  type ServiceVerb,
} from '../../managers/services/index.js';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';
import { hostName, paging, queryInt } from '../schemas.js';

const serviceName = z
  .string()
  .regex(new RegExp(SERVICE_NAME_PATTERN), SERVICE_NAME_RULE)
  .describe('Service name: "ssh" or "ssh.service" on systemd, the init script\'s name on SysV');

const serviceParams = z.object({ host: hostName, name: serviceName }).strict();

/** "failed,running" or repeated state=failed&state=running, as for processes. */
const stateList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).filter((s) => s !== ''))
  .pipe(z.array(z.enum(SERVICE_STATES)).max(16))
  .describe('Load, active, sub or enabled state to keep (active, failed, running, enabled…)');

const listQuery = z
  .object({
    state: stateList.optional(),
    name: z.string().min(1).max(255).optional().describe('Substring of the service name (case-insensitive)'),
    search: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Substring of the name or the description (case-insensitive)'),
    offset: paging.offset,
    limit: queryInt(1, 100_000).optional(),
  })
  .strict();

const detailQuery = z
  .object({ lines: queryInt(0, 10_000).optional().describe('How many of the latest log lines to include') })
  .strict();

const SUMMARIES: Record<ServiceVerb, string> = {
  start: 'Start a service; answers the state read back afterwards',
  stop: 'Stop a service; answers the state read back afterwards',
  restart: 'Restart a service; answers the state read back afterwards',
  reload: 'Reload a service’s configuration; answers the state read back afterwards',
  enable: 'Enable a service at boot; answers the state read back afterwards',
  disable: 'Disable a service at boot; answers the state read back afterwards',
};

/** The action's own limit stays below the API's, so a slow action gets its own clear message. */
function actionTimeoutMs(config: Config): number {
  const api = config.api.requestTimeoutSeconds * 1000;
  return Math.max(1000, Math.min(config.services.actionTimeoutSeconds * 1000, api - 2000));
}

export function serviceRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/services',
      summary: 'The services of a host with their states, filtered by state and name',
      tag: 'services',
      role: 'viewer',
      params: z.object({ host: hostName }).strict(),
      query: listQuery,
      async handler({ host, query }) {
        return { body: await deps.managers.services(host).list(query) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/services/{name}',
      summary: 'One service: its state, properties and latest log lines',
      tag: 'services',
      role: 'viewer',
      params: serviceParams,
      query: detailQuery,
      async handler({ host, params, query }) {
        const lines = query.lines ?? deps.config.services.defaultLogLines;
        return { body: await deps.managers.services(host).get(params.name, lines) };
      },
    }),
    ...SERVICE_VERBS.map((verb) =>
      defineRoute({
        method: 'post',
        path: `/hosts/{host}/services/{name}/${verb}`,
        summary: `${SUMMARIES[verb]}. Operators act on the units services.operatorUnits allows; protected services, the system's own units and the exporter's own need admin`,
        tag: 'services',
        role: 'operator',
        action: `service.${verb}`,
        params: serviceParams,
        async authorize({ host, params, requireRole }) {
          const why = await deps.managers.services(host).adminReason(params.name, {
            protectedUnits: deps.config.services.protected,
            operatorUnits: deps.config.services.operatorUnits,
          });
          if (why !== null) requireRole('admin', why);
        },
        async handler({ host, params }) {
          const manager = deps.managers.services(host);
          return { body: await manager.act(params.name, verb, actionTimeoutMs(deps.config)) };
        },
      }),
    ),
  ];
}
