#!/usr/bin/env node
/** hyperion-exporter: parse flags, build the parts, serve until told to stop. */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createProgram, exporterOptions, parseListenAddress, type ExporterOptions } from './cli/flags.js';
import { ALL_COLLECTORS } from './collectors/index.js';
import { CollectorRegistry } from './collectors/registry.js';
import { LocalHost } from './hosts/local-host.js';
import { createApp } from './server/app.js';
import { createSelfRegistry } from './server/self-metrics.js';
import { createLogger } from './util/logger.js';
import { VERSION } from './version.js';

function parseOptions(): ExporterOptions {
  const program = createProgram(ALL_COLLECTORS);
  program.parse();
  try {
    return exporterOptions(program, ALL_COLLECTORS);
  } catch (error) {
    return program.error((error as Error).message);
  }
}

async function serve(): Promise<void> {
  const options = parseOptions();
  const log = createLogger(options.logLevel, options.logFormat);
  mkdirSync(options.storagePath, { recursive: true, mode: 0o700 });

  const host = new LocalHost(options.paths);
  const collectors = new CollectorRegistry(
    ALL_COLLECTORS,
    options.enabledCollectors,
    options.collectorSettings,
    log,
  );
  const app = createApp({
    log,
    host,
    collectors,
    selfMetrics: createSelfRegistry(),
    telemetryPath: options.telemetryPath,
  });

  const { host: bindHost, port } = parseListenAddress(options.listenAddress);
  const server = app.listen(port, bindHost ?? '::');
  server.on('error', (error) => {
    log.error({ err: error.message, address: options.listenAddress }, 'cannot listen');
    process.exit(1);
  });
  server.on('listening', () => {
    const address = server.address() as AddressInfo;
    log.info(
      {
        version: VERSION,
        address: `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
        port: address.port,
        collectors: collectors.enabledNames(),
        storage: options.storagePath,
      },
      'listening',
    );
  });

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await serve();
