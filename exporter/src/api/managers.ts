/**
 * One manager of each kind per host, created on first use and kept: managers hold per-host
 * memory (CPU samples, caches) that must outlive a single request.
 */
import type { Host } from '../hosts/host.js';
import { ProcessManager } from '../managers/processes.js';
import { LOCAL_HOST } from './hosts.js';

export class Managers {
  private readonly processManagers = new Map<string, ProcessManager>();

  processes(host: Host): ProcessManager {
    let manager = this.processManagers.get(host.name);
    if (!manager) {
      // Only on the local host is the exporter's own pid a process of that host.
      manager = new ProcessManager(host, { selfPid: host.name === LOCAL_HOST ? process.pid : null });
      this.processManagers.set(host.name, manager);
    }
    return manager;
  }
}
