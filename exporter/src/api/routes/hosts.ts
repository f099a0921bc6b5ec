import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';

export function hostRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/hosts',
      summary: 'The hosts this exporter can act on',
      tag: 'hosts',
      role: 'viewer',
      async handler() {
        return { body: { items: deps.hosts.list() } };
      },
    }),
  ];
}
