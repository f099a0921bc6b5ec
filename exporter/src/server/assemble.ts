/**
 * The composition root: builds the exporter's parts from its options and configuration.
 * main.ts and the tests both use it, so what is tested is what runs.
 */
import os from 'node:os';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { ExporterOptions } from '../cli/flags.js';
import { ALL_COLLECTORS } from '../collectors/index.js';
import { CollectorRegistry } from '../collectors/registry.js';
import type { Config } from '../config/schema.js';
import { HostRegistry } from '../api/hosts.js';
import { Managers } from '../api/managers.js';
import { fileSettings } from '../managers/files/index.js';
import { filesDirectory } from '../managers/files/settings.js';
import type { SecretPaths } from '../hosts/agent/launch.js';
import { createApiRouter } from '../api/router.js';
import { allRoutes } from '../api/routes/index.js';
import type { ApiDeps } from '../api/deps.js';
import { Inventory } from '../hosts/inventory.js';
import { LocalHost } from '../hosts/local-host.js';
import { SshMetrics } from '../hosts/ssh/metrics.js';
import { AuditLog } from '../security/audit.js';
import { SecondFactor } from '../security/second-factor.js';
import { RequestAuthenticator } from '../api/authenticate.js';
import { TokenStore } from '../security/tokens.js';
import { DataDir } from '../storage/data-dir.js';
import { FirewallService } from '../managers/firewall/service.js';
import { JobManager } from '../managers/jobs/manager.js';
import { createRequestListener } from './app.js';
import { probeHandler } from './probe.js';
import { basicAuthUser } from './web-gate.js';
import { createSelfRegistry } from './self-metrics.js';

export const BOOTSTRAP_TOKEN_FILE = 'admin-token';

export interface Assembled {
  /** The HTTP server's request listener: /metrics, /probe and the control API. */
  handler: RequestListener;
  deps: ApiDeps;
  collectors: CollectorRegistry;
  /** Stops the background work (firewall reconciliation, job scheduling) and waits for it. */
  stop(): Promise<void>;
}

/**
 * On the very first start there is no token at all: create an admin token and leave it in a
 * 0600 file of the data directory, saying where — never in the log itself.
 */
function bootstrapAdminToken(tokens: TokenStore, dir: DataDir, log: Logger): void {
  if (!tokens.isEmpty()) return;
  const { secret } = tokens.create('admin', 'admin');
  const file = dir.writeSecret(BOOTSTRAP_TOKEN_FILE, `${secret}\n`);
  log.warn(
    { file },
    'created the first admin token; read it from this file (mode 0600), then delete the file',
  );
}

export interface AssembleExtras {
  /** Files of the web configuration (it, its TLS key…): never served by the files API. */
  webConfigFiles?: () => readonly string[];
}

export function assemble(
  options: ExporterOptions,
  config: Config,
  log: Logger,
  extras: AssembleExtras = {},
): Assembled {
  const dir = new DataDir(options.storagePath);
  // What no file root serves on any host, whatever the configuration says: the data directory
  // (but its files directory), the keys the exporter logs in to hosts with, its TLS key and web
  // configuration (which holds password hashes).
  const secrets = (): SecretPaths => ({
    deny: [
      dir.root,
      ...inventory.secretFiles(),
      ...(config.tls ? [config.tls.keyFile] : []),
      ...(extras.webConfigFiles?.() ?? []),
    ],
    allow: [filesDirectory(options.storagePath)],
  });
  const host = new LocalHost(options.paths, 'local', {
    secrets,
    // Unprivileged, the exporter reaches its root agent through the socket; file roots without a
    // user of their own are then read and written as the exporter's user.
    ...(options.agentSocket === undefined
      ? {}
      : { agentSocket: options.agentSocket, filesUser: os.userInfo().username }),
  });
  const selfMetrics = createSelfRegistry();
  const collectors = new CollectorRegistry(
    ALL_COLLECTORS,
    options.enabledCollectors,
    options.collectorSettings,
    log,
  );
  const tokens = new TokenStore(dir);
  bootstrapAdminToken(tokens, dir, log);
  const authenticator = new RequestAuthenticator(tokens, selfMetrics, log);
  // SSH hosts: a change or removal drops the managers (and their per-host memory) of the old one.
  const inventory = new Inventory({
    dir,
    config: config.ssh,
    metrics: new SshMetrics(selfMetrics),
    log,
    secrets,
    // A changed inventory may name new key files: new file agents are told about them.
    onChange: (name) => {
      deps.managers.forget(name);
      host.recycleAgents();
    },
  });
  const deps: ApiDeps = {
    config,
    log,
    metrics: selfMetrics,
    hosts: new HostRegistry(host, inventory),
    inventory,
    managers: new Managers({ files: fileSettings(config.files, options.storagePath) }),
    tokens,
    authenticator,
    secondFactor: new SecondFactor(
      dir,
      {
        policy: config.security.otp,
        issuer: config.security.otpIssuer,
        elevationSeconds: config.security.otpElevationSeconds,
        enrolmentCodeTtlSeconds: config.security.enrolmentCodeTtlSeconds,
      },
      selfMetrics,
    ),
    audit: new AuditLog(dir, config.audit, selfMetrics),
    firewall: new FirewallService(dir, config.firewall, log, selfMetrics),
    // Hosts are looked up when a run starts: SSH hosts added later are found.
    jobs: new JobManager({
      dir,
      config: config.jobs,
      metrics: selfMetrics,
      hosts: (name) => deps.hosts.get(name),
      log,
    }),
  };
  const api = createApiRouter(deps, allRoutes(deps));
  const probe = probeHandler({
    collectors,
    log,
    // A scrape that passed the web configuration's basic auth carries no bearer token as well
    // (Prometheus sends one Authorization header): it has proven itself already.
    authenticate: (req) => {
      if (basicAuthUser(req) === undefined) authenticator.token(req, 'probe');
    },
    defaultTimeoutSeconds: config.ssh.probeTimeoutSeconds,
    target: (name) => {
      const target = inventory.probeTarget(name);
      return {
        host: target,
        failures: () => target.transportFailures,
        requests: () => target.stats().requests,
        beginScrape: () => target.beginScrape(),
      };
    },
  });
  const handler = createRequestListener({
    log,
    host,
    collectors,
    selfMetrics,
    telemetryPath: options.telemetryPath,
    api,
    probe,
  });
  // At start-up and then periodically: a firewall table lost (reboot, flush) is rebuilt.
  deps.firewall.start(() => deps.hosts.list().map((h) => deps.hosts.get(h.name)));
  deps.jobs.start();
  return {
    handler,
    deps,
    collectors,
    // Jobs: no new runs, and the runs in progress are killed and recorded as aborted.
    stop: async () => {
      await Promise.all([deps.firewall.stop(), deps.jobs.stop()]);
      inventory.close();
    },
  };
}
