/**
 * The firewall across hosts: one FirewallManager per host (created on first use and kept with the
 * host in the registry, as their queues must be per host, and ended with it), the periodic
 * reconciliation, and the firewall's metrics. Built by the composition root, which starts and
 * stops the background work.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Host } from '../../hosts/host.js';
import type { HostRegistry } from '../../hosts/host-registry.js';
import type { DataDir } from '../../storage/data-dir.js';
import { parseAddress, parseNetwork, hostNetwork, unmapV4 } from '../../util/ip.js';
import { FirewallManager, type ReconcileReport } from './firewall.js';
import type { AddressGuard } from './lockout.js';
import { BLOCK_KINDS } from './model.js';
import { FirewallStore } from './store.js';

export interface FirewallSettings {
  /** Addresses and CIDRs that may never be blocked (Grafana's, the admin network). */
  managementAddresses: readonly string[];
  /** TCP ports protected like SSH's (blocking them needs admin and confirm). */
  sshPorts: readonly number[];
  reconcileIntervalSeconds: number;
}

/** Parses the configured management addresses; the configuration schema has validated them. */
export function managementGuards(entries: readonly string[]): AddressGuard[] {
  return entries.flatMap((text) => {
    const net = text.includes('/') ? parseNetwork(text) : undefined;
    const address = net ? undefined : parseAddress(text);
    const network = net ?? (address && hostNetwork(unmapV4(address)));
    return network
      ? [
          {
            network,
            why: `a management address in the configuration (firewall.managementAddresses: ${text})`,
          },
        ]
      : [];
  });
}

/** The outcomes hyperion_firewall_reconciliations_total counts (ReconcileReport's, but skipped). */
const RECONCILE_ACTIONS = ['none', 'patched', 'rebuilt', 'failed'] as const;

/** The registry's name for a host's firewall manager. */
const ATTACHED = 'firewall';

export class FirewallService {
  /** The configured management addresses, never blocked on any host. */
  private management_: readonly AddressGuard[];
  private timer: NodeJS.Timeout | undefined;
  private tick: (() => void) | undefined;
  private running: Promise<unknown> | undefined;
  private readonly reconciliations: Counter<'host' | 'action'>;

  constructor(
    private readonly dir: DataDir,
    private settings_: FirewallSettings,
    private readonly log: Logger,
    registry: Registry,
    private readonly hosts: HostRegistry,
  ) {
    this.management_ = managementGuards(settings_.managementAddresses);
    new Gauge({
      name: 'hyperion_firewall_blocked',
      help: 'Blocks Hyperion holds in the firewall (nftables table inet hyperion), by host and kind (address, cidr, port).',
      labelNames: ['host', 'kind'],
      registers: [registry],
      collect() {
        this.reset();
        // The hosts there are now: a removed or changed host's manager went with it.
        for (const [host, manager] of hosts.allAttached<FirewallManager>(ATTACHED)) {
          // No series for a host whose firewall Hyperion never used: nothing to count there.
          if (!manager.inUse()) continue;
          const counts = manager.counts();
          for (const kind of BLOCK_KINDS) this.set({ host, kind }, counts[kind]);
        }
      },
    });
    this.reconciliations = new Counter({
      name: 'hyperion_firewall_reconciliations_total',
      help: 'Firewall reconciliations by host and outcome: none (in sync), patched, rebuilt (table missing or altered), failed.',
      labelNames: ['host', 'action'],
      registers: [registry],
    });
    const reconciliations = this.reconciliations;
    hosts.onRemoved((host) => {
      for (const action of RECONCILE_ACTIONS) reconciliations.remove({ host, action });
    });
  }

  get settings(): Readonly<FirewallSettings> {
    return this.settings_;
  }

  get management(): readonly AddressGuard[] {
    return this.management_;
  }

  /**
   * A reloaded configuration: new management addresses guard the next block on every host (the
   * managers read them through the getter below), a new interval restarts the periodic round.
   */
  reconfigure(settings: FirewallSettings): void {
    const interval = settings.reconcileIntervalSeconds !== this.settings_.reconcileIntervalSeconds;
    this.settings_ = settings;
    this.management_ = managementGuards(settings.managementAddresses);
    if (interval && this.timer && this.tick) {
      clearInterval(this.timer);
      this.timer = setInterval(this.tick, settings.reconcileIntervalSeconds * 1000);
      this.timer.unref();
    }
  }

  /** The host's firewall manager; a 503 for a host changed or removed since it was looked up. */
  manager(host: Host): FirewallManager {
    const management = () => this.management_;
    return this.hosts.attached(
      host,
      ATTACHED,
      (h) =>
        new FirewallManager(h, {
          store: new FirewallStore(this.dir, h.name),
          log: this.log,
          get management() {
            return management();
          },
        }),
    );
  }

  /** Reconciles every host once; a host that never had a block is left alone. */
  async reconcileAll(hosts: readonly Host[]): Promise<Map<string, ReconcileReport>> {
    const reports = new Map<string, ReconcileReport>();
    for (const host of hosts) {
      // A host removed or changed since the round began is not reconciled through its old connection.
      if (this.hosts.find(host.name) !== host) continue;
      const report = await this.manager(host).reconcile();
      if (report.action !== 'skipped') this.reconciliations.inc({ host: host.name, action: report.action });
      reports.set(host.name, report);
    }
    return reports;
  }

  /** At start-up, and then every reconcileIntervalSeconds, until stop(). */
  start(hosts: () => readonly Host[] = () => this.hosts.hosts()): void {
    if (this.timer) return;
    const tick = () => {
      // Never two rounds at once: a slow remote host delays the next round instead.
      if (this.running) return;
      this.running = this.reconcileAll(hosts())
        .catch((error: unknown) => this.log.error({ err: error }, 'firewall: reconciliation round failed'))
        .finally(() => {
          this.running = undefined;
        });
    };
    this.tick = tick;
    tick();
    this.timer = setInterval(tick, this.settings_.reconcileIntervalSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the periodic work and waits for a round in progress to finish. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
