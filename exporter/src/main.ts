#!/usr/bin/env -S node --no-memory-reducer
/*
 * --no-memory-reducer: after each scrape V8's memory reducer ran up to three full collections
 * while the exporter sat idle, to hand memory back that the next scrape took again. Scraped every
 * 15 s, that was 25 ms of CPU per interval, more than the scrapes themselves, for no lasting
 * saving (RSS after a few minutes: 69 MiB with it, 70 without). It is read when V8 sets up its
 * heap, so it has to be on the command line: the launchers (scripts/start.sh, scripts/stack.sh,
 * the systemd unit, the Docker image, npm's bin link) run this file itself.
 */
/** hyperion-exporter: parse flags, assemble the parts, serve until told to stop. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import { createProgram, exporterOptions, parseListenAddress, type ExporterOptions } from './cli/flags.js';
import { otpCommand } from './cli/otp-command.js';
import { tokenCommand } from './cli/token-command.js';
import { ALL_COLLECTORS } from './collectors/index.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { assemble } from './server/assemble.js';
import { createLogger } from './util/logger.js';
import { VERSION } from './version.js';

/*
 * Keep V8's young generation at its initial size (1 MiB semi-spaces). Each scrape leaves only
 * short-lived garbage, yet under steady scraping V8 grows the nursery to its 16 MiB maximum:
 * about 25 MiB more RSS for about 5 % less CPU per scrape (npm run bench, 2 cores). Set here
 * rather than as a node flag so that it holds however the exporter is started; the growth
 * factor is read at every scavenge, unlike --max-semi-space-size, which is fixed at start-up.
 */
v8.setFlagsFromString('--semi-space-growth-factor=1');

function serve(options: ExporterOptions, config: Config): void {
  const log = createLogger(options.logLevel, options.logFormat);
  const { handler, collectors, stop: stopBackground } = assemble(options, config, log);

  const server = config.tls
    ? https.createServer(
        { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
        handler,
      )
    : http.createServer(handler);
  // Slow or stalled clients must not hold sockets forever.
  server.headersTimeout = 15_000;
  // The client closes idle connections, not the server (Node's default closes them after 5 s):
  // a server closing one just as the client reuses it fails that request, and Grafana's proxy
  // (idle connections kept 90 s) retries only idempotent ones — an action would fail with a 502.
  // Prometheus keeps its scrape connection across intervals the same way.
  server.keepAliveTimeout = 95_000;
  server.requestTimeout = (config.api.requestTimeoutSeconds + 30) * 1000;

  const { host: bindHost, port } = parseListenAddress(options.listenAddress);
  server.listen(port, bindHost ?? '::');
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
        tls: config.tls !== undefined,
        collectors: collectors.enabledNames(),
        storage: options.storagePath,
      },
      'listening',
    );
  });

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close(() => void stopBackground().finally(() => process.exit(0)));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const program = createProgram(ALL_COLLECTORS);
// Options after "token" belong to it (its own --storage.path), not to the server flags.
program.enablePositionalOptions();
program.addCommand(tokenCommand());
program.addCommand(otpCommand());
program.action(() => {
  try {
    const options = exporterOptions(program, ALL_COLLECTORS);
    serve(options, loadConfig(options.configFile, options.configFileExplicit));
  } catch (error) {
    program.error(`error: ${(error as Error).message}`);
  }
});
program.parse();
