/**
 * One manager of each kind per host, created on first use and kept with the host in the registry
 * (hosts/host-registry.ts): managers hold per-host memory (CPU samples, caches) that must outlive
 * a single request, and must end with the host's connection when it is changed or removed.
 */
import type { Host } from '../hosts/host.js';
import { ProcessManager } from '../managers/processes.js';
import { ServiceManager } from '../managers/services/index.js';
import { FileManager, type FileSettings } from '../managers/files/index.js';
import { NetworkManager } from '../managers/network/network.js';
import { LOCAL_HOST, type HostRegistry } from '../hosts/host-registry.js';

/** What managers need from the configuration, built once by the composition root. */
export interface ManagerSettings {
  /** File roots and limits; without them no host has a file root. */
  files?: FileSettings;
}

/** Only on the local host is the exporter's own pid (and unit) part of that host. */
function selfPid(host: Host): number | null {
  return host.name === LOCAL_HOST ? process.pid : null;
}

const NO_FILE_ROOTS: FileSettings = { roots: [], uploadLimitBytes: 0, textLimitBytes: 0, uploadIdleMs: 0 };

export class Managers {
  readonly processes: (host: Host) => ProcessManager;
  readonly services: (host: Host) => ServiceManager;
  /** Kept per host: the interface rates come from the counters the previous request read. */
  readonly network: (host: Host) => NetworkManager;
  readonly files: (host: Host) => FileManager;
  private fileSettings: FileSettings;

  constructor(
    private readonly registry: HostRegistry,
    settings: ManagerSettings = {},
  ) {
    const perHost =
      <T>(kind: string, create: (host: Host) => T) =>
      (host: Host): T =>
        registry.attached(host, kind, create);
    this.fileSettings = settings.files ?? NO_FILE_ROOTS;
    this.processes = perHost('processes', (host) => new ProcessManager(host, { selfPid: selfPid(host) }));
    this.services = perHost('services', (host) => new ServiceManager(host, { selfPid: selfPid(host) }));
    this.network = perHost('network', (host) => new NetworkManager(host));
    this.files = perHost('files', (host) => new FileManager(host, this.fileSettings));
  }

  /**
   * A reloaded configuration's file roots and limits: every host's file manager is made anew on
   * its next request (they hold nothing but the settings and a cache of user names).
   */
  reconfigureFiles(files: FileSettings): void {
    this.fileSettings = files;
    this.registry.detachAll('files');
  }
}
