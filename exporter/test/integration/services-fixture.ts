/**
 * Shared by services-systemd.test.ts and services-sysv.test.ts, which drive the same services API
 * on two backends, and by ssh-firewall-services.test.ts, which drives both on a host reached over
 * SSH: the API's answers as the tests read them, the run's unique name token, the exporter they
 * start, the action call, and what each backend needs installed — an init script in /etc/init.d
 * (sysvTestService) or a unit in a systemd namespace (systemdTestUnit) — with the way to read
 * its state without the exporter.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import {
  startApi,
  type ApiClient,
  type ApiFixture,
  type ApiFixtureOptions,
  type ApiResponse,
} from '../support/api.js';
import { TEST_TARGET, type SystemdNamespace } from '../support/systemd-namespace.js';

export const PROBLEM = 'urn:hyperion:problem:';
/**
 * In the name of every service a run installs: `?name=${TOKEN}` lists exactly those, and a run
 * cannot meet the leftovers of another.
 */
export const TOKEN = String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
/** Actions wait on the service manager, which a loaded machine slows down. */
export const TEST_TIMEOUT = { timeout: 60_000 };

import type { ServiceActionResult } from '../../src/managers/services/index.js';

// The API's answers, as the exporter declares them.
export type {
  ServiceInfo as Service,
  ServicePage,
  ServiceDetailAnswer as ServiceDetail,
  ServiceActionResult as ServiceAction,
} from '../../src/managers/services/index.js';

export interface ServicesApiOptions extends Omit<ApiFixtureOptions, 'config'> {
  /** Services only an admin may act on (services.protected). */
  protectedServices?: string[];
  /** Globs of the units operators may act on (services.operatorUnits). */
  operatorUnits?: string[];
}

/**
 * The exporter and its API clients, with the second factor off: these tests are about what the
 * service manager does, and the factor has tests of its own (api-processes, files-otp).
 */
export async function startServicesApi(options: ServicesApiOptions = {}): Promise<ApiFixture> {
  const { protectedServices = [], operatorUnits, ...rest } = options;
  const list = (key: string, items: string[]) => `  ${key}:\n${items.map((s) => `    - '${s}'\n`).join('')}`;
  const services =
    protectedServices.length === 0 && operatorUnits === undefined
      ? ''
      : `services:\n${protectedServices.length > 0 ? list('protected', protectedServices) : ''}${
          operatorUnits ? list('operatorUnits', operatorUnits) : ''
        }`;
  return startApi({ ...rest, config: `security:\n  otp: disabled\n${services}` });
}

/** POST /hosts/<host>/services/<name>/<verb>: the state it answers is read back by the exporter. */
export function serviceAction(
  client: ApiClient,
  verb: string,
  name: string,
  host = 'local',
): Promise<ApiResponse<ServiceActionResult>> {
  return client.call<ServiceActionResult>('post', `/hosts/${host}/services/${name}/${verb}`);
}

/** Whether a process runs (a zombie does not count: it has exited and waits to be reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The daemon every test init script starts; its pid file names it. */
const DAEMON_CMDLINE = 'sleep\u0000600\u0000';

/** A SysV service a test installs: its script, pid file and log, and the way to remove them all. */
export interface SysvTestService {
  name: string;
  /** /etc/init.d/<name>. */
  script: string;
  pidFile: string;
  log: string;
  /** Writes the init script (stopped, no runlevel links). */
  install(): void;
  /** The pid its pid file names, or null; every pid read is stopped for sure by remove(). */
  pid(): number | null;
  /** The runlevel links (`rc2.d/S01<name>`…) update-rc.d made for it. */
  links(): string[];
  /**
   * Kills the daemons it started (only those still running its `sleep`: a pid file may name a
   * pid since reused) and removes the script, its runlevel links, pid file and log.
   */
  remove(): void;
}

/**
 * An init script under /etc/init.d that stands in for a daemon: `start` runs `sleep 600` in the
 * background and writes its pid file and a log line, `status` answers with the LSB exit codes.
 * The name should hold TOKEN, so a run never meets the leftovers of another.
 */
export function sysvTestService(name: string): SysvTestService {
  const script = `/etc/init.d/${name}`;
  const pidFile = `/run/${name}.pid`;
  const log = `/var/log/${name}.log`;
  const text = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Hyperion SysV test service
# Description:       A sleep that stands in for a daemon,
#                    with a pid file and a log file.
### END INIT INFO
PIDFILE=${pidFile}
LOG=${log}
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
case "$1" in
  start)
    running && exit 0
    sleep 600 </dev/null >/dev/null 2>&1 &
    echo $! > "$PIDFILE"
    echo "started $!" >> "$LOG"
    ;;
  stop)
    if running; then kill "$(cat "$PIDFILE")"; fi
    rm -f "$PIDFILE"
    echo "stopped" >> "$LOG"
    ;;
  restart) "$0" stop && "$0" start ;;
  reload|force-reload) echo "reloaded" >> "$LOG" ;;
  status)
    if running; then echo "running"; exit 0; fi
    [ -f "$PIDFILE" ] && { echo "dead, pid file exists"; exit 1; }
    echo "not running"; exit 3
    ;;
  *) echo "Usage: $0 {start|stop|restart|reload|force-reload|status}" >&2; exit 2 ;;
esac
exit 0
`;
  const seen = new Set<number>();
  const pid = () => {
    try {
      const value = Number(readFileSync(pidFile, 'utf8').trim());
      if (Number.isInteger(value) && value > 0) seen.add(value);
      return value;
    } catch {
      return null;
    }
  };
  const links = () =>
    ['0', '1', '2', '3', '4', '5', '6', 'S'].flatMap((level) =>
      readdirSync(`/etc/rc${level}.d`)
        .filter((entry) => entry.endsWith(name))
        .map((entry) => `rc${level}.d/${entry}`),
    );
  const ours = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8') === DAEMON_CMDLINE;
    } catch {
      return false;
    }
  };
  return {
    name,
    script,
    pidFile,
    log,
    install() {
      writeFileSync(script, text);
      chmodSync(script, 0o755);
    },
    pid,
    links,
    remove() {
      pid();
      for (const p of seen) if (alive(p) && ours(p)) process.kill(p, 'SIGKILL');
      rmSync(script, { force: true });
      // With the script gone, "remove" deletes the runlevel links enable/disable made.
      if (links().length > 0) execFileSync('update-rc.d', [name, 'remove'], { stdio: 'ignore' });
      rmSync(pidFile, { force: true });
      rmSync(log, { force: true });
    },
  };
}

/**
 * A unit for a systemd namespace (support/systemd-namespace.ts): a `sleep` that says its pid in
 * the journal, with a reload that says so too. "$$" is systemd's escape for "$"
 * (systemd.service(5), "Command lines").
 */
export function systemdTestUnit(description: string, environment = ''): string {
  return `[Unit]
Description=${description}
DefaultDependencies=no

[Service]
${environment ? `Environment=${environment}\n` : ''}ExecStart=/bin/sh -c 'echo "hyperion-test started as $$$$"; exec sleep 600'
ExecReload=/bin/sh -c 'echo "hyperion-test reloaded"'

[Install]
WantedBy=${TEST_TARGET}
`;
}

/** What systemd itself says of a unit (`systemctl show` inside the namespace), not the exporter. */
export async function systemdProperties(
  ns: SystemdNamespace,
  unit: string,
  properties = ['ActiveState', 'SubState', 'MainPID', 'UnitFileState'],
): Promise<Record<string, string>> {
  const res = await ns.run(['systemctl', 'show', `--property=${properties.join(',')}`, '--', unit]);
  if (res.code !== 0) throw new Error(`systemctl show ${unit}: ${res.stderr}`);
  return Object.fromEntries(
    res.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}
