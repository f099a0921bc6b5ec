/**
 * The SSH metrics on the exporter's own /metrics: whether each host's connection is up, how
 * connection attempts end, and — loudly — a host whose key no longer matches the pinned one.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type ConnectResult = 'success' | 'host_key_mismatch' | 'auth_failed' | 'timeout' | 'refused' | 'error';

export class SshMetrics {
  readonly up: Gauge<'host'>;
  readonly connects: Counter<'host' | 'result'>;
  readonly keyMismatch: Gauge<'host'>;

  constructor(registry: Registry) {
    this.up = new Gauge({
      name: 'hyperion_ssh_up',
      help: '1 while the exporter holds an authenticated SSH connection to the host.',
      labelNames: ['host'],
      registers: [registry],
    });
    this.connects = new Counter({
      name: 'hyperion_ssh_connects_total',
      help: 'SSH connection attempts by outcome (success, host_key_mismatch, auth_failed, timeout, refused, error).',
      labelNames: ['host', 'result'],
      registers: [registry],
    });
    this.keyMismatch = new Gauge({
      name: 'hyperion_ssh_host_key_mismatch',
      help: '1 when the host presented a key other than the pinned one: connections are refused until an admin approves a new key.',
      labelNames: ['host'],
      registers: [registry],
    });
  }

  /** Series of a host appear as soon as it is in the inventory, at 0. */
  register(host: string): void {
    this.up.set({ host }, 0);
    this.keyMismatch.set({ host }, 0);
  }

  /** A removed host leaves no stale series behind. */
  forget(host: string): void {
    this.up.remove({ host });
    this.keyMismatch.remove({ host });
    for (const result of ['success', 'host_key_mismatch', 'auth_failed', 'timeout', 'refused', 'error']) {
      this.connects.remove({ host, result });
    }
  }
}
