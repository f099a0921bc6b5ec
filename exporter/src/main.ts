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
import v8 from 'node:v8';
import type { Logger } from 'pino';
import { createProgram, exporterOptions, type ExporterOptions } from './cli/flags.js';
import { otpCommand } from './cli/otp-command.js';
import { tokenCommand } from './cli/token-command.js';
import { ALL_COLLECTORS } from './collectors/index.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { assemble } from './server/assemble.js';
import { dropPrivileges } from './server/privilege.js';
import { Listeners } from './server/listeners.js';
import { legacyTlsWebConfig, loadWebConfig, PLAIN_HTTP, type WebConfig } from './server/web-config.js';
import { WebConfigWatcher } from './server/web-config-watcher.js';
import { WebGate } from './server/web-gate.js';
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

/**
 * The web configuration in force at start: --web.config.file, or the deprecated `tls:` block of
 * hyperion.yml, never both (which one would win is not obvious, so neither does).
 */
function startupWebConfig(options: ExporterOptions, config: Config, log: Logger): WebConfig {
  if (options.webConfigFile !== undefined) {
    if (config.tls) {
      throw new Error(
        `${options.configFile}: tls: and --web.config.file both configure TLS; move tls.certFile and ` +
          'tls.keyFile into the web configuration (tls_server_config: {cert_file, key_file}) and remove tls:',
      );
    }
    return loadWebConfig(options.webConfigFile);
  }
  if (config.tls) {
    log.warn(
      { file: options.configFile },
      'the tls: block of the configuration file is deprecated: put tls_server_config: {cert_file, key_file} ' +
        'in a file given with --web.config.file (the exporter-toolkit format, which also re-reads renewed certificates)',
    );
    return legacyTlsWebConfig(config.tls.certFile, config.tls.keyFile, `${options.configFile} (tls:)`);
  }
  return PLAIN_HTTP;
}

/** The HTTP server's own limit stays above the API's, which answers its own 504 first. */
/** How long a stopping exporter waits for the root agent it started to end (within its 3 s). */
const AGENT_STOP_MS = 2000;

function requestTimeoutMs(apiSeconds: number): number {
  return (apiSeconds + 30) * 1000;
}

async function serve(given: ExporterOptions, config: Config): Promise<void> {
  const log = createLogger(given.logLevel, given.logFormat);
  // Everything root is needed for is read or started first (the configuration, the web
  // configuration's keys, the root agent); then the exporter becomes its unprivileged user.
  let web = startupWebConfig(given, config, log);
  const { options, agent } = await dropPrivileges(given, log);
  let stopping = false;
  // Root is gone from this process: nothing here can start the agent again, and an exporter whose
  // every action fails looks healthy to everyone watching /metrics. It ends, loudly, for its
  // supervisor (or its operator) to start it again with a new agent.
  void agent?.ended.then((how) => {
    if (stopping) return;
    log.error(
      { agentSocket: options.agentSocket, how },
      'the root agent ended: no privileged work is possible until the exporter starts again; exiting',
    );
    process.exit(1);
  });
  let listeners: Listeners | undefined;
  const {
    handler,
    collectors,
    reloader,
    stop: stopBackground,
  } = assemble(options, config, log, {
    webConfigFiles: () => web.files,
    onApiConfig: (api) => listeners?.setRequestTimeout(requestTimeoutMs(api.requestTimeoutSeconds)),
  });
  const gate = new WebGate(log, web);
  // SIGHUP reloads, as it does for Prometheus: the outcome is logged and in the metrics. Set at
  // once, since Node's default for SIGHUP ends the process.
  process.on('SIGHUP', () => void reloader.reload('SIGHUP'));

  try {
    listeners = await Listeners.start({
      addresses: options.listenAddresses,
      handler: gate.wrap(handler),
      web,
      log,
      requestTimeoutMs: requestTimeoutMs(config.api.requestTimeoutSeconds),
    });
  } catch (error) {
    log.error({ err: (error as Error).message, addresses: options.listenAddresses }, 'cannot listen');
    process.exit(1);
  }
  const started = listeners;
  const addresses = started
    .addresses()
    .map((a) => `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
  log.info(
    {
      version: VERSION,
      address: addresses[0],
      port: started.addresses()[0]!.port,
      addresses,
      tls: web.tls !== undefined,
      clientAuth: web.tls?.policy,
      basicAuth: web.users.size > 0,
      webConfig: options.webConfigFile,
      collectors: collectors.enabledNames(),
      storage: options.storagePath,
    },
    'listening',
  );

  let watcher: WebConfigWatcher | undefined;
  if (options.webConfigFile !== undefined) {
    watcher = new WebConfigWatcher(options.webConfigFile, web, {
      log,
      // TLS first: it refuses what needs a restart, and then nothing at all has changed.
      apply: (next) => {
        started.apply(next);
        gate.apply(next);
        web = next;
      },
      onResult: (ok) => reloader.webConfigRead(ok),
    });
    await watcher.start();
    const running = watcher;
    reloader.setWebConfigReload(() => running.reload());
  }

  const stop = (signal: string) => {
    stopping = true;
    log.info({ signal }, 'shutting down');
    watcher?.stop();
    void started
      .close()
      .then(() => stopBackground())
      .finally(() => (agent ? agent.stop(AGENT_STOP_MS) : undefined))
      .finally(() => process.exit(0));
    started.closeAllConnections();
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
    serve(options, loadConfig(options.configFile, options.configFileExplicit)).catch((error: unknown) =>
      program.error(`error: ${(error as Error).message}`),
    );
  } catch (error) {
    program.error(`error: ${(error as Error).message}`);
  }
});
program.parse();
