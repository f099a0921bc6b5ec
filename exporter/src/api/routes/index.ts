/** Every route of the control API. A module adding routes adds one line here. */
import type { ApiDeps } from '../deps.js';
import type { Route } from '../route.js';
import { auditRoutes } from './audit.js';
import { authRoutes } from './auth.js';
import { configRoutes } from './config.js';
import { fileRoutes } from './files.js';
import { firewallRoutes } from './firewall.js';
import { hostRoutes } from './hosts.js';
import { inventoryRoutes } from './inventory.js';
import { jobRoutes } from './jobs.js';
import { networkRoutes } from './network.js';
import { processRoutes } from './processes.js';
import { serviceRoutes } from './services.js';
import { tokenRoutes } from './tokens.js';

export function allRoutes(deps: ApiDeps): Route[] {
  return [
    ...authRoutes(deps),
    ...hostRoutes(deps),
    ...inventoryRoutes(deps),
    ...tokenRoutes(deps),
    ...auditRoutes(deps),
    ...processRoutes(deps),
    ...fileRoutes(deps),
    ...serviceRoutes(deps),
    ...networkRoutes(deps),
    ...firewallRoutes(deps),
    ...jobRoutes(deps),
    ...configRoutes(deps),
  ];
}
