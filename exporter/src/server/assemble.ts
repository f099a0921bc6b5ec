/**
 * The composition root: builds the exporter's parts from its options and configuration.
 * main.ts and the tests both use it, so what is tested is what runs.
 */
import os from 'node:os';
import type { RequestListener } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { Router } from 'express';
import type { Logger } from 'pino';
import type { ExporterOptions } from '../cli/flags.js';
import { ALL_COLLECTORS } from '../collectors/index.js';
import { CollectorRegistry } from '../collectors/registry.js';
import { ConfigReloader, type AppliedConfig } from '../config/reload.js';
import type { Config } from '../config/schema.js';
import { HostRegistry } from '../hosts/host-registry.js';
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
import { SecondFactor, type SecondFactorSettings } from '../security/second-factor.js';
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
  /** SIGHUP and POST /-/reload: the configuration file read again. */
  reloader: ConfigReloader;
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

function secondFactorSettings(config: Config): SecondFactorSettings {
  return {
    policy: config.security.otp,
    issuer: config.security.otpIssuer,
    elevationSeconds: config.security.otpElevationSeconds,
    enrolmentCodeTtlSeconds: config.security.enrolmentCodeTtlSeconds,
  };
}

export interface AssembleExtras {
  /** Files of the web configuration (it, its TLS key…): never served by the files API. */
  webConfigFiles?: () => readonly string[];
  /** A reload changed the api block: the listeners take its request time limit. */
  onApiConfig?: (api: Config['api']) => void;
}

/**
 * What a reload may change while the exporter runs, block by block of the configuration file
 * (a new block must be placed here: the type requires every key).
 *
 * live: read at each request (api, services — deps.config is replaced) or handed to the part that
 * holds it (security → the second factor, audit → the log's rotation, files → the file
 * managers, made anew, firewall → management addresses and the reconciliation interval,
 * jobs → limits and retention).
 * restart: `ssh` sets up long-lived connections and their channels, which a reload would have
 * to drop under running requests and probes; `tls` is the deprecated certificate block, whose
 * replacement (--web.config.file) reloads itself. Their running values stay, with a warning.
 * Never reloaded: command-line flags (listen addresses, the data directory, collectors, paths).
 */
export const RELOAD_POLICY: Record<keyof Config, 'live' | 'restart'> = {
  api: 'live',
  tls: 'restart',
  security: 'live',
  audit: 'live',
  files: 'live',
  firewall: 'live',
  jobs: 'live',
  services: 'live',
  ssh: 'restart',
};

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
  // Every host and what is kept per host (connection, managers, firewall manager): one owner.
  const hosts = new HostRegistry(host);
  const inventory = new Inventory({
    dir,
    config: config.ssh,
    metrics: new SshMetrics(selfMetrics),
    log,
    secrets,
    registry: hosts,
    // A changed inventory may name new key files: new file agents are told about them.
    onChange: () => host.recycleAgents(),
  });
  /** Puts a validated configuration in force, as far as RELOAD_POLICY allows. */
  const reconfigure = (next: Config): AppliedConfig => {
    const running = deps.config;
    const merged: Config = { ...next };
    const changed: string[] = [];
    const restartRequired: string[] = [];
    for (const key of Object.keys(RELOAD_POLICY) as (keyof Config)[]) {
      if (isDeepStrictEqual(running[key], next[key])) continue;
      if (RELOAD_POLICY[key] === 'live') {
        changed.push(key);
      } else {
        restartRequired.push(key);
        (merged as Record<string, unknown>)[key] = running[key];
      }
    }
    deps.config = merged;
    if (changed.includes('security')) deps.secondFactor.reconfigure(secondFactorSettings(merged));
    if (changed.includes('audit')) deps.audit.reconfigure(merged.audit);
    if (changed.includes('files'))
      deps.managers.reconfigureFiles(fileSettings(merged.files, options.storagePath));
    if (changed.includes('firewall')) deps.firewall.reconfigure(merged.firewall);
    if (changed.includes('jobs')) deps.jobs.reconfigure(merged.jobs);
    if (changed.includes('api')) extras.onApiConfig?.(merged.api);
    return { changed, restartRequired };
  };
  const deps: ApiDeps = {
    config,
    reloader: new ConfigReloader({
      file: options.configFile,
      explicit: options.configFileExplicit,
      log,
      metrics: selfMetrics,
      apply: (next) => reconfigure(next),
    }),
    log,
    metrics: selfMetrics,
    hosts,
    inventory,
    managers: new Managers(hosts, { files: fileSettings(config.files, options.storagePath) }),
    tokens,
    authenticator,
    secondFactor: new SecondFactor(dir, secondFactorSettings(config), selfMetrics),
    audit: new AuditLog(dir, config.audit, selfMetrics),
    firewall: new FirewallService(dir, config.firewall, log, selfMetrics, hosts),
    // Hosts are looked up when a run starts: SSH hosts added later are found.
    jobs: new JobManager({
      dir,
      config: config.jobs,
      metrics: selfMetrics,
      hosts: (name) => deps.hosts.get(name),
      log,
    }),
  };
  const apiAliases = Router();
  const api = createApiRouter(deps, allRoutes(deps), apiAliases);
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
    apiAliases,
    probe,
  });
  // At start-up and then periodically: a firewall table lost (reboot, flush) is rebuilt.
  deps.firewall.start();
  deps.jobs.start();
  return {
    handler,
    deps,
    collectors,
    reloader: deps.reloader,
    // Jobs: no new runs, and the runs in progress are killed and recorded as aborted.
    stop: async () => {
      await Promise.all([deps.firewall.stop(), deps.jobs.stop()]);
      inventory.close();
    },
  };
}
