import { hasRole } from '../../security/roles.js';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';

export function hostRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/hosts',
      summary:
        'The hosts this exporter can act on: local, and the SSH inventory with key and connection state',
      tag: 'hosts',
      role: 'viewer',
      async handler({ actor }) {
        // The local host, then every inventory host, approved or not, with its details.
        const local = deps.hosts.list().filter((h) => h.kind === 'local');
        return { body: { items: [...local, ...deps.inventory.views(hasRole(actor.role, 'admin'))] } };
      },
    }),
  ];
}
