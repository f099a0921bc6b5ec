/** The audit log, newest first: filters, and paging by cursor (the log is never read whole). */
import { z } from 'zod';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';
import { queryInt } from '../schemas.js';

const auditQuery = z
  .object({
    actor: z.string().max(200).optional().describe('The actor’s name or key, exactly'),
    action: z.string().max(100).optional().describe('The action, exactly (e.g. process.signal)'),
    host: z.string().max(100).optional(),
    result: z.enum(['ok', 'refused', 'failed']).optional(),
    search: z.string().min(1).max(200).optional().describe('Text anywhere in a record (case-insensitive)'),
    since: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time; records at or after it'),
    until: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time; records at or before it'),
    cursor: z
      .string()
      .regex(/^\d{1,20}:\d{1,15}$/, 'a cursor is what nextCursor said')
      .optional()
      .describe('Where the previous page ended (its nextCursor): the next, older, page'),
    offset: queryInt(0, 100_000).default(0).describe('Matching records to skip first'),
    limit: queryInt(1, 1000).default(100),
  })
  .strict();

export function auditRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      summary:
        'The audit log, newest first, filtered; a page ends with nextCursor for the next (older) page, across rotated files',
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
