/**
 * Asks the exporter "who am I?" through each of the three proxy routes, as the saved settings
 * stand: each must reach the exporter, with a token of the matching role marked as a Grafana
 * token (or the audit log cannot name the Grafana user).
 */
import { getBackendSrv } from '@grafana/runtime';
import { Badge, Button, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import { HyperionClient, type FetchFn } from '../api/client';
import { toApiError } from '../api/errors';
import type { WhoAmI } from '../api/types';
import { TOKEN_FIELDS } from '../settings';

export interface RouteCheck {
  route: string;
  ok: boolean;
  message: string;
}

/** Why a route's answer is wrong, or undefined when it is right. */
export function judgeWhoAmI(expectedRole: string, me: WhoAmI): string | undefined {
  if (me.role !== expectedRole) return `the token has the ${me.role} role, not ${expectedRole}`;
  if (!me.viaGrafana) return `token ${me.token} is not a Grafana token (create it with --grafana)`;
  return undefined;
}

const grafanaFetch: FetchFn = (options) => getBackendSrv().fetch(options);

export async function checkRoutes(fetch: FetchFn = grafanaFetch): Promise<RouteCheck[]> {
  return Promise.all(
    TOKEN_FIELDS.map(async ({ route, role }) => {
      // No code is ever needed to read whoami: the prompt is never called.
      const client = new HyperionClient({ fetch, route, prompt: async () => null });
      try {
        const me = await client.whoami(true);
        const problem = judgeWhoAmI(role, me);
        return problem
          ? { route, ok: false, message: problem }
          : { route, ok: true, message: `${me.role} token ${me.token}, acting as ${me.actor}` };
      } catch (error) {
        return { route, ok: false, message: toApiError(error).message };
      }
    }),
  );
}

export function ConnectionTest() {
  const [checks, setChecks] = useState<RouteCheck[] | null>(null);
  const [running, setRunning] = useState(false);
  const run = async () => {
    setRunning(true);
    setChecks(await checkRoutes());
    setRunning(false);
  };
  return (
    <Stack direction="column" gap={1}>
      <div>
        <Button icon="bolt" variant="secondary" onClick={run} disabled={running}>
          {running ? 'Testing…' : 'Test connection'}
        </Button>
      </div>
      {checks && (
        <ul data-testid="connection-test" style={{ listStyle: 'none', padding: 0 }}>
          {checks.map((c) => (
            <li key={c.route}>
              <Badge
                color={c.ok ? 'green' : 'red'}
                icon={c.ok ? 'check' : 'exclamation-triangle'}
                text={c.route}
              />{' '}
              {c.message}
            </li>
          ))}
        </ul>
      )}
    </Stack>
  );
}
