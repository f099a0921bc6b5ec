/**
 * The hosts the API can act on, by name. "local" is the machine the exporter runs on; remote
 * SSH hosts join here, so every route works on every host through the same Host interface.
 */
import type { Host } from '../hosts/host.js';
import { HyperionError } from '../util/errors.js';

export const LOCAL_HOST = 'local';

export interface HostSummary {
  name: string;
  kind: 'local' | 'ssh';
}

/** The SSH hosts of the inventory (hosts/inventory.ts), as the registry sees them. */
export interface RemoteHosts {
  /** The usable host; undefined for an unknown name; throws for one that cannot be used yet. */
  find(name: string): Host | undefined;
  /** The usable (approved) hosts. */
  list(): HostSummary[];
}

export class HostRegistry {
  private readonly hosts = new Map<string, Host>();

  constructor(
    local: Host,
    private readonly remote?: RemoteHosts,
  ) {
    this.hosts.set(LOCAL_HOST, local);
  }

  get(name: string): Host {
    const host = this.hosts.get(name) ?? this.remote?.find(name);
    if (!host) throw new HyperionError('not-found', `unknown host "${name}"`, { field: 'params/host' });
    return host;
  }

  local(): Host {
    return this.get(LOCAL_HOST);
  }

  list(): HostSummary[] {
    const own = [...this.hosts.keys()].map((name): HostSummary => ({
      name,
      kind: name === LOCAL_HOST ? 'local' : 'ssh',
    }));
    return [...own, ...(this.remote?.list() ?? [])];
  }
}
