/**
 * The composition root: builds the exporter's parts from its options and configuration.
 * main.ts and the tests both use it, so what is tested is what runs.
 */
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { ExporterOptions } from '../cli/flags.js';
import { ALL_COLLECTORS } from '../collectors/index.js';
import { CollectorRegistry } from '../collectors/registry.js';
import type { Config } from '../config/schema.js';
import { HostRegistry } from '../api/hosts.js';
import { Managers } from '../api/managers.js';
import { createApiRouter } from '../api/router.js';
import { allRoutes } from '../api/routes/index.js';
import type { ApiDeps } from '../api/deps.js';
import { LocalHost } from '../hosts/local-host.js';
import { AuditLog } from '../security/audit.js';
import { OtpGuard } from '../security/otp.js';
import { TokenStore } from '../security/tokens.js';
import { DataDir } from '../storage/data-dir.js';
import { createApp } from './app.js';
import { createSelfRegistry } from './self-metrics.js';

export const BOOTSTRAP_TOKEN_FILE = 'admin-token';

export interface Assembled {
  app: Express;
  deps: ApiDeps;
  collectors: CollectorRegistry;
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

export function assemble(options: ExporterOptions, config: Config, log: Logger): Assembled {
  const dir = new DataDir(options.storagePath);
  const host = new LocalHost(options.paths);
  const selfMetrics = createSelfRegistry();
  const collectors = new CollectorRegistry(
    ALL_COLLECTORS,
    options.enabledCollectors,
    options.collectorSettings,
    log,
  );
  const tokens = new TokenStore(dir);
  bootstrapAdminToken(tokens, dir, log);
  const deps: ApiDeps = {
    config,
    log,
    metrics: selfMetrics,
    hosts: new HostRegistry(host),
    managers: new Managers(),
    tokens,
    otp: new OtpGuard(dir, config.security.otp, config.security.otpIssuer),
    audit: new AuditLog(dir, selfMetrics),
  };
  const api = createApiRouter(deps, allRoutes(deps));
  const app = createApp({ log, host, collectors, selfMetrics, telemetryPath: options.telemetryPath, api });
  return { app, deps, collectors };
}
