/**
 * One manager of each kind per host, created on first use and kept: managers hold per-host
 * memory (CPU samples, caches) that must outlive a single request.
 */
import type { Host } from '../hosts/host.js';
import { ProcessManager } from '../managers/processes.js';
import { ServiceManager } from '../managers/services/index.js';
import { FileManager, type FileSettings } from '../managers/files/index.js';
import { NetworkManager } from '../managers/network/network.js';
import { LOCAL_HOST } from './hosts.js';

/** What managers need from the configuration, built once by the composition root. */
export interface ManagerSettings {
  /** File roots and limits; without them no host has a file root. */
  files?: FileSettings;
}

/** One cache of one kind of manager: the manager of a host, made on first use. */
class PerHost<T> {
  private readonly byHost = new Map<string, T>();

  constructor(private readonly create: (host: Host) => T) {}

  get(host: Host): T {
    let manager = this.byHost.get(host.name);
    if (!manager) {
      manager = this.create(host);
      this.byHost.set(host.name, manager);
    }
    return manager;
  }

  forget(hostName: string): void {
    this.byHost.delete(hostName);
  }

  clear(): void {
    this.byHost.clear();
  }
}

/** Only on the local host is the exporter's own pid (and unit) part of that host. */
function selfPid(host: Host): number | null {
  return host.name === LOCAL_HOST ? process.pid : null;
}

const NO_FILE_ROOTS: FileSettings = { roots: [], uploadLimitBytes: 0, textLimitBytes: 0, uploadIdleMs: 0 };

export class Managers {
  private readonly caches: PerHost<unknown>[] = [];

  readonly processes: (host: Host) => ProcessManager;
  readonly services: (host: Host) => ServiceManager;
  /** Kept per host: the interface rates come from the counters the previous request read. */
  readonly network: (host: Host) => NetworkManager;
  readonly files: (host: Host) => FileManager;
  private fileSettings: FileSettings;
  private readonly fileManagers: PerHost<FileManager>;

  constructor(settings: ManagerSettings = {}) {
    this.fileSettings = settings.files ?? NO_FILE_ROOTS;
    this.fileManagers = new PerHost((host) => new FileManager(host, this.fileSettings));
    this.files = (host) => this.fileManagers.get(host);
    this.processes = this.perHost((host) => new ProcessManager(host, { selfPid: selfPid(host) }));
    this.services = this.perHost((host) => new ServiceManager(host, { selfPid: selfPid(host) }));
    this.network = this.perHost((host) => new NetworkManager(host));
  }

  private perHost<T>(create: (host: Host) => T): (host: Host) => T {
    const cache = new PerHost(create);
    this.caches.push(cache);
    return (host) => cache.get(host);
  }

  /**
   * Drops every manager of a host: it was removed from the inventory or changed (another
   * address, user…), and what the managers remember belongs to the old one.
   */
  forget(hostName: string): void {
    for (const cache of this.caches) cache.forget(hostName);
    this.fileManagers.forget(hostName);
  }

  /**
   * A reloaded configuration's file roots and limits: every host's file manager is made anew on
   * its next request (they hold nothing but the settings and a cache of user names).
   */
  reconfigureFiles(files: FileSettings): void {
    this.fileSettings = files;
    this.fileManagers.clear();
  }
}
