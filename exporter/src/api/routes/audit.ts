import { z } from 'zod';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';
import { paging } from '../schemas.js';

const auditQuery = z
  .object({
    actor: z.string().max(200).optional(),
    action: z.string().max(100).optional(),
    host: z.string().max(100).optional(),
    result: z.enum(['ok', 'refused', 'failed']).optional(),
    since: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time; records at or after it'),
    until: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time; records at or before it'),
    ...paging,
  })
  .strict();

export function auditRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      summary: 'The audit log, newest first, with filters and paging',
      tag: 'audit',
      // Who did what is itself sensitive: operators and admins only.
      role: 'operator',
      query: auditQuery,
      async handler({ query }) {
        const { since, until, ...rest } = query;
        return {
          body: deps.audit.query({
            ...rest,
            ...(since ? { since: new Date(since) } : {}),
            ...(until ? { until: new Date(until) } : {}),
          }),
        };
      },
    }),
  ];
}
