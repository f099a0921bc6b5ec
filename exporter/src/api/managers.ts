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

export class Managers {
  private readonly processManagers = new Map<string, ProcessManager>();
  private readonly serviceManagers = new Map<string, ServiceManager>();
  private readonly fileManagers = new Map<string, FileManager>();
  private readonly networkManagers = new Map<string, NetworkManager>();

  constructor(private readonly settings: ManagerSettings = {}) {}

  /**
   * Drops every manager of a host: it was removed from the inventory or changed (another
   * address, user…), and what the managers remember belongs to the old one. Every Map field
   * of this class is a per-host cache, so none can be forgotten here by omission.
   */
  forget(hostName: string): void {
    for (const value of Object.values(this)) if (value instanceof Map) value.delete(hostName);
  }

  processes(host: Host): ProcessManager {
    let manager = this.processManagers.get(host.name);
    if (!manager) {
      // Only on the local host is the exporter's own pid a process of that host.
      manager = new ProcessManager(host, { selfPid: host.name === LOCAL_HOST ? process.pid : null });
      this.processManagers.set(host.name, manager);
    }
    return manager;
  }

  services(host: Host): ServiceManager {
    let manager = this.serviceManagers.get(host.name);
    if (!manager) {
      // As for processes: the exporter's own unit is only knowable on the local host.
      manager = new ServiceManager(host, { selfPid: host.name === LOCAL_HOST ? process.pid : null });
      this.serviceManagers.set(host.name, manager);
    }
    return manager;
  }

  /** Kept per host: the interface rates come from the counters the previous request read. */
  network(host: Host): NetworkManager {
    let manager = this.networkManagers.get(host.name);
    if (!manager) {
      manager = new NetworkManager(host);
      this.networkManagers.set(host.name, manager);
    }
    return manager;
  }

  files(host: Host): FileManager {
    let manager = this.fileManagers.get(host.name);
    if (!manager) {
      const settings = this.settings.files ?? {
        roots: [],
        uploadLimitBytes: 0,
        textLimitBytes: 0,
        uploadIdleMs: 0,
      };
      manager = new FileManager(host, settings);
      this.fileManagers.set(host.name, manager);
    }
    return manager;
  }
}
