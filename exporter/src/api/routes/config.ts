/** The configuration reload: POST /api/v1/config/reload, also at Prometheus' POST /-/reload. */
import { z } from 'zod';
import { RELOAD_PATH } from '../../server/web-gate.js';
import { HyperionError } from '../../util/errors.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';

const outcomeSchema = z.object({
  success: z.literal(true),
  changed: z.array(z.string()).describe('Blocks of the configuration file whose new values are now in force'),
  restartRequired: z
    .array(z.string())
    .describe('Blocks that changed in the file but keep their running values until a restart'),
  webConfig: z.enum(['none', 'unchanged', 'reloaded', 'failed']),
});

export function configRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/config/reload',
      alias: RELOAD_PATH,
      summary:
        'Reads the configuration file and the web configuration again, as SIGHUP does; an invalid file leaves the running configuration in force (409, with the reason)',
      tag: 'config',
      role: 'admin',
      action: 'config.reload',
      otp: false,
      response: outcomeSchema,
      async handler() {
        const outcome = await deps.reloader.reload('api');
        if (!outcome.success) {
          throw new HyperionError('conflict', `configuration not reloaded: ${outcome.error}`, {
            extra: {
              changed: outcome.changed,
              restartRequired: outcome.restartRequired,
              webConfig: outcome.webConfig,
            },
          });
        }
        return { body: outcome };
      },
    }),
  ];
}
