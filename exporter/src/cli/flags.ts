/**
 * Command-line flags, named as node_exporter names them so operators can carry their habits
 * (and their container manifests) over: --web.listen-address, --path.procfs, --collector.NAME…
 */
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Collector, CollectorSettings } from '../collectors/collector.js';
import { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from '../collectors/filesystem.js';
import { DEFAULT_SYSTEMD_UNIT_EXCLUDE, DEFAULT_SYSTEMD_UNIT_INCLUDE } from '../collectors/systemd.js';
import { DEFAULT_VMSTAT_FIELDS } from '../collectors/vmstat.js';
import type { HostPaths } from '../hosts/host.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../util/logger.js';
import { VERSION } from '../version.js';

/**
 * Hyperion's default port. Prometheus' default-port allocation list covers 9100–9999 and Linux's
 * ephemeral range starts at 32768, so 8470 is outside both.
 */
export const DEFAULT_PORT = 8470;

export const DEFAULT_DISKSTATS_DEVICE_EXCLUDE = '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

export interface ExporterOptions {
  /** Every --web.listen-address, in order; each is served with the same handler. */
  listenAddresses: string[];
  /** --web.config.file: TLS, basic authentication and headers (exporter-toolkit format). */
  webConfigFile: string | undefined;
  telemetryPath: string;
  paths: HostPaths;
  storagePath: string;
  /** The YAML configuration file; absent means the embedded default. */
  configFile: string;
  /** True when --config.file was given: then a missing file is an error. */
  configFileExplicit: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  enabledCollectors: Set<string>;
  collectorSettings: CollectorSettings;
  /** --user: started as root, the exporter drops to this user ("root": it stays root). */
  user: string;
  /** --agent.socket, or the socket of the root agent the exporter started before dropping. */
  agentSocket: string | undefined;
}

/** The unprivileged user the exporter runs as (scripts/start.sh creates it, as the Debian package would). */
export const DEFAULT_USER = 'hyperion';

/** Where state lives unless --storage.path says otherwise: the FHS place for root, XDG otherwise. */
export function defaultStoragePath(): string {
  if (process.getuid?.() === 0) return '/var/lib/hyperion';
  const state = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'hyperion');
}

function regex(flag: string) {
  return (value: string): RegExp => {
    try {
      return new RegExp(value);
    } catch (error) {
      throw new Error(`${flag}: not a valid regular expression: ${(error as Error).message}`);
    }
  };
}

/** A pattern the whole value must match, as node_exporter anchors its systemd unit patterns. */
function anchored(flag: string) {
  return (value: string): RegExp => regex(flag)(`^(?:${value})$`);
}

/** Adds the exporter's flags to a command; the same set serves `hyperion-exporter` and tests. */
export function addExporterFlags(command: Command, collectors: readonly Collector[]): Command {
  command
    .option(
      '--web.listen-address <address>',
      `address to listen on, host:port or :port; repeat to listen on several (default: ":${DEFAULT_PORT}")`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--web.config.file <path>',
      'TLS, basic authentication and headers, in the Prometheus exporter-toolkit web configuration format',
    )
    .option('--web.telemetry-path <path>', 'path under which to expose metrics', '/metrics')
    .option('--path.procfs <path>', 'procfs mount point', '/proc')
    .option('--path.sysfs <path>', 'sysfs mount point', '/sys')
    .option('--path.rootfs <path>', 'root file system mount point (the host’s / when in a container)', '/')
    .option(
      '--storage.path <path>',
      'data directory for configuration and state (created on demand)',
      defaultStoragePath(),
    )
    .option('--config.file <path>', 'YAML configuration file (default: hyperion.yml in the data directory)')
    .option(
      '--user <name>',
      'started as root: the unprivileged user the exporter drops to, after starting its root agent ("root" keeps root: not recommended)',
      DEFAULT_USER,
    )
    .option(
      '--agent.socket <path>',
      'the root agent’s Unix socket, for an exporter started unprivileged (systemd’s hyperion-agent.socket: /run/hyperion/agent.sock)',
    )
    .addOption(new Option('--log.level <level>', 'minimum level to log').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--log.format <format>', 'log line format').choices(LOG_FORMATS).default('json'))
    .option('--collector.disable-defaults', 'disable every collector not enabled explicitly', false)
    .option(
      '--collector.filesystem.fs-types-exclude <regex>',
      'file-system types to ignore (pseudo file systems by default)',
      DEFAULT_FS_TYPES_EXCLUDE,
    )
    .option(
      '--collector.filesystem.mount-points-exclude <regex>',
      'mount points to ignore',
      DEFAULT_MOUNT_POINTS_EXCLUDE,
    )
    .option(
      '--collector.diskstats.device-exclude <regex>',
      'block devices to ignore',
      DEFAULT_DISKSTATS_DEVICE_EXCLUDE,
    )
    .option('--collector.vmstat.fields <regex>', '/proc/vmstat fields to export', DEFAULT_VMSTAT_FIELDS)
    .option(
      '--collector.textfile.directory <dir>',
      'directory of *.prom files whose metrics are added to each scrape (none by default)',
      '',
    )
    .option(
      '--collector.systemd.unit-include <regex>',
      'systemd units to report (the whole name must match)',
      DEFAULT_SYSTEMD_UNIT_INCLUDE,
    )
    .option(
      '--collector.systemd.unit-exclude <regex>',
      'systemd units not to report (the whole name must match)',
      DEFAULT_SYSTEMD_UNIT_EXCLUDE,
    );
  for (const c of collectors) {
    command.option(`--collector.${c.name}`, `enable the ${c.name} collector: ${c.description}`);
    command.option(`--no-collector.${c.name}`, `disable the ${c.name} collector`);
  }
  return command;
}

/** Reads the parsed flags back into typed options; throws a plain Error with the flag's name when one is wrong. */
export function exporterOptions(command: Command, collectors: readonly Collector[]): ExporterOptions {
  const o = command.opts<Record<string, unknown>>();
  const str = (key: string): string => String(o[key]);
  const disableDefaults = o['collector.disableDefaults'] === true;
  const enabled = new Set<string>();
  for (const c of collectors) {
    const flag = o[`collector.${c.name}`];
    if (flag === true || (flag === undefined && c.defaultEnabled && !disableDefaults)) enabled.add(c.name);
  }
  const telemetryPath = str('web.telemetryPath');
  if (!telemetryPath.startsWith('/') || telemetryPath === '/') {
    throw new Error('--web.telemetry-path must start with "/" and not be "/" (the landing page)');
  }
  const given = o['web.listenAddress'] as string[] | undefined;
  const listenAddresses = given && given.length > 0 ? given : [`:${DEFAULT_PORT}`];
  for (const address of listenAddresses) parseListenAddress(address);
  const webConfigFile = o['web.config.file'];
  const storagePath = path.resolve(str('storage.path'));
  const configFile = o['config.file'];
  return {
    listenAddresses,
    webConfigFile: typeof webConfigFile === 'string' ? path.resolve(webConfigFile) : undefined,
    telemetryPath,
    paths: { procfs: str('path.procfs'), sysfs: str('path.sysfs'), rootfs: str('path.rootfs') },
    storagePath,
    configFile:
      typeof configFile === 'string' ? path.resolve(configFile) : path.join(storagePath, 'hyperion.yml'),
    configFileExplicit: typeof configFile === 'string',
    logLevel: str('log.level') as LogLevel,
    logFormat: str('log.format') as LogFormat,
    enabledCollectors: enabled,
    user: str('user'),
    agentSocket: typeof o['agent.socket'] === 'string' ? path.resolve(o['agent.socket']) : undefined,
    collectorSettings: {
      filesystemFsTypesExclude: regex('--collector.filesystem.fs-types-exclude')(
        str('collector.filesystem.fsTypesExclude'),
      ),
      filesystemMountPointsExclude: regex('--collector.filesystem.mount-points-exclude')(
        str('collector.filesystem.mountPointsExclude'),
      ),
      diskstatsDeviceExclude: regex('--collector.diskstats.device-exclude')(
        str('collector.diskstats.deviceExclude'),
      ),
      statfsTimeoutMs: 5000,
      vmstatFields: regex('--collector.vmstat.fields')(str('collector.vmstat.fields')),
      textfileDirectory: textfileDirectory(str('collector.textfile.directory')),
      systemdUnitInclude: anchored('--collector.systemd.unit-include')(str('collector.systemd.unitInclude')),
      systemdUnitExclude: anchored('--collector.systemd.unit-exclude')(str('collector.systemd.unitExclude')),
    },
  };
}

/**
 * The textfile directory as an absolute path: it is read on every host a scrape reaches (over
 * SSH too), where a relative path would mean the login directory. '' turns the reading off.
 */
function textfileDirectory(value: string): string {
  if (value === '') return '';
  if (!path.isAbsolute(value))
    throw new Error(`--collector.textfile.directory must be an absolute path, not "${value}"`);
  return path.posix.resolve(value);
}

/** ":8470" → all interfaces; "127.0.0.1:8470", "[::1]:8470", "localhost:0". */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--web.listen-address: "${address}" is not host:port or :port`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

export function createProgram(collectors: readonly Collector[]): Command {
  const program = new Command('hyperion-exporter')
    .description('Prometheus exporter for Linux hosts with a control API')
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help');
  return addExporterFlags(program, collectors);
}
