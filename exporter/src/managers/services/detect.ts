/**
 * Which service manager a host runs. The factories are asked in order and the first that
 * recognises the host wins; a third backend is one file and one line here.
 */
import type { Host } from '../../hosts/host.js';
import { HyperionError } from '../../util/errors.js';
import { systemdFactory } from './systemd.js';
import { sysvFactory } from './sysv.js';
import type { BackendFactory, ServiceBackend } from './types.js';

/** systemd first: a systemd host usually keeps /etc/init.d too, for compatibility. */
export const BACKENDS: readonly BackendFactory[] = [systemdFactory, sysvFactory];

export async function detectBackend(
  host: Host,
  factories: readonly BackendFactory[] = BACKENDS,
): Promise<ServiceBackend> {
  for (const factory of factories) {
    if (await factory.detect(host)) return factory.create(host);
  }
  throw new HyperionError(
    'unsupported',
    `host ${host.name} runs no service manager Hyperion knows (${factories.map((f) => f.name).join(', ')})`,
  );
}
