/** Every route of the control API. A module adding routes adds one line here. */
import type { ApiDeps } from '../deps.js';
import type { Route } from '../route.js';
import { auditRoutes } from './audit.js';
import { authRoutes } from './auth.js';
import { hostRoutes } from './hosts.js';
import { processRoutes } from './processes.js';
import { tokenRoutes } from './tokens.js';

export function allRoutes(deps: ApiDeps): Route[] {
  return [
    ...authRoutes(deps),
    ...hostRoutes(deps),
    ...tokenRoutes(deps),
    ...auditRoutes(deps),
    ...processRoutes(deps),
  ];
}
