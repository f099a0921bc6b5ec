/** Token management over the API (admins). The CLI does the same on the data directory. */
import { z } from 'zod';
import { ROLES } from '../../security/roles.js';
import { TOKEN_NAME } from '../../security/tokens.js';
import { HyperionError } from '../../util/errors.js';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';

const tokenName = z.string().regex(TOKEN_NAME, 'token names are 1–64 letters, digits, ".", "_", "@" or "-"');

export function tokenRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/tokens',
      summary: 'List tokens (never their secrets)',
      tag: 'tokens',
      role: 'admin',
      async handler() {
        return { body: { items: deps.tokens.list() } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tokens',
      summary: 'Create a token; the secret is in this answer only',
      tag: 'tokens',
      role: 'admin',
      action: 'token.create',
      body: z
        .object({
          name: tokenName,
          role: z.enum(ROLES),
          grafana: z.boolean().default(false).describe('trust X-Grafana-Context on this token'),
        })
        .strict(),
      authorize({ body, setAuditTarget }) {
        setAuditTarget(body.name);
        if (deps.tokens.list().some((t) => t.name === body.name))
          throw new HyperionError('conflict', `a token named "${body.name}" already exists; revoke it first`);
      },
      async handler({ body }) {
        return { status: 201, body: deps.tokens.create(body.name, body.role, body.grafana) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/tokens/{name}',
      summary: 'Revoke a token',
      tag: 'tokens',
      role: 'admin',
      action: 'token.revoke',
      params: z.object({ name: tokenName }).strict(),
      authorize({ params }) {
        if (!deps.tokens.list().some((t) => t.name === params.name || t.id === params.name))
          throw new HyperionError('not-found', `no token named "${params.name}"`);
      },
      async handler({ params }) {
        return { body: deps.tokens.revoke(params.name) };
      },
    }),
  ];
}
