/** The network views of one host: its interfaces (with the samples rates need) and its sockets. */
import type { Host } from '../../hosts/host.js';
import { ConnectionManager } from './connections.js';
import { InterfaceManager } from './interfaces.js';

export class NetworkManager {
  readonly interfaces: InterfaceManager;
  readonly connections: ConnectionManager;

  constructor(host: Host) {
    this.interfaces = new InterfaceManager(host);
    this.connections = new ConnectionManager(host);
  }
}
