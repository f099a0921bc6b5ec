/** Mounts every route of the control API under /api/v1, plus its OpenAPI document. */
import { Router } from 'express';
import type { ApiDeps } from './deps.js';
import { createApiMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { createHandler } from './pipeline.js';
import { expressPath, type Route } from './route.js';
import { HyperionError } from '../util/errors.js';
import { sendProblem } from '../server/problem.js';

export const API_PREFIX = '/api/v1';

/**
 * The control API's router, for /api/v1. Routes with an alias outside /api/v1 (/-/reload) are
 * added to `aliases`, a router mounted at the root, with the very same handler.
 */
export function createApiRouter(deps: ApiDeps, routes: readonly Route[], aliases?: Router): Router {
  const router = Router();
  const metrics = createApiMetrics(deps.metrics);
  const openapi = JSON.stringify(buildOpenApi(routes));

  // The document is public: it describes the rules, it grants nothing.
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  for (const route of routes) {
    const handler = createHandler(route, deps, metrics);
    router[route.method](expressPath(route.path), handler);
    if (route.alias !== undefined) aliases?.[route.method](route.alias, handler);
  }
  router.use((req, res) => {
    metrics.requests.inc({ route: 'unmatched', method: req.method, code: '404' });
    sendProblem(res, new HyperionError('not-found', `no API route ${req.method} ${API_PREFIX}${req.path}`));
  });
  return router;
}
