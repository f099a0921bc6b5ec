import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ConfigReloader } from '../config/reload.js';
import type { Config } from '../config/schema.js';
import type { FirewallService } from '../managers/firewall/service.js';
import type { Inventory } from '../hosts/inventory.js';
import type { JobManager } from '../managers/jobs/manager.js';
import type { AuditLog } from '../security/audit.js';
import type { SecondFactor } from '../security/second-factor.js';
import type { TokenStore } from '../security/tokens.js';
import type { HostRegistry } from '../hosts/host-registry.js';
import type { Managers } from './managers.js';
import type { RequestAuthenticator } from './authenticate.js';

/** Everything the control API needs, built once in main.ts (and by tests). */
export interface ApiDeps {
  /** The configuration in force: replaced by a reload, so read it at each request, never keep it. */
  config: Config;
  log: Logger;
  metrics: Registry;
  hosts: HostRegistry;
  managers: Managers;
  tokens: TokenStore;
  /** Bearer tokens of the API and /probe; requests without one are counted, never audited. */
  authenticator: RequestAuthenticator;
  secondFactor: SecondFactor;
  audit: AuditLog;
  /** Per-host firewall managers and their periodic reconciliation. */
  firewall: FirewallService;
  /** Recurring jobs: definitions, scheduler, runs and their history. */
  jobs: JobManager;
  /** The SSH hosts: add, change, approve, remove; what /probe and /api/v1/targets serve. */
  inventory: Inventory;
  /** Configuration reload (SIGHUP, POST /-/reload) and its metrics. */
  reloader: ConfigReloader;
}
