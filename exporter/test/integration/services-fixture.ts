/**
 * Shared by services-systemd.test.ts and services-sysv.test.ts, which drive the same services API
 * on two backends: the API's answers as the tests read them, the run's unique name token, the
 * exporter both start, and the action call. What a backend needs installed (a unit in a systemd
 * namespace, a script in /etc/init.d) stays in its own test.
 */
import {
  startApi,
  type ApiClient,
  type ApiFixture,
  type ApiFixtureOptions,
  type ApiResponse,
} from '../support/api.js';

export const PROBLEM = 'urn:hyperion:problem:';
/**
 * In the name of every service a run installs: `?name=${TOKEN}` lists exactly those, and a run
 * cannot meet the leftovers of another.
 */
export const TOKEN = String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
/** Actions wait on the service manager, which a loaded machine slows down. */
export const TEST_TIMEOUT = { timeout: 60_000 };

import type { ServiceActionResult } from '../../src/managers/services/index.js';

// The API's answers, as the exporter declares them.
export type {
  ServiceInfo as Service,
  ServicePage,
  ServiceDetailAnswer as ServiceDetail,
  ServiceActionResult as ServiceAction,
} from '../../src/managers/services/index.js';

export interface ServicesApiOptions extends Omit<ApiFixtureOptions, 'config'> {
  /** Services only an admin may act on (services.protected). */
  protectedServices?: string[];
}

/**
 * The exporter and its API clients, with the second factor off: these tests are about what the
 * service manager does, and the factor has tests of its own (api-processes, files-otp).
 */
export async function startServicesApi(options: ServicesApiOptions = {}): Promise<ApiFixture> {
  const { protectedServices = [], ...rest } = options;
  const protectedYaml =
    protectedServices.length === 0
      ? ''
      : `services:\n  protected:\n${protectedServices.map((s) => `    - ${s}\n`).join('')}`;
  return startApi({ ...rest, config: `security:\n  otp: disabled\n${protectedYaml}` });
}

/** POST /hosts/local/services/<name>/<verb>: the state it answers is read back by the exporter. */
export function serviceAction(
  client: ApiClient,
  verb: string,
  name: string,
): Promise<ApiResponse<ServiceActionResult>> {
  return client.call<ServiceActionResult>('post', `/hosts/local/services/${name}/${verb}`);
}
