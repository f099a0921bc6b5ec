/**
 * Issue 4's services proof on SysV init: this machine's PID 1 is not systemd, so the exporter
 * picks the SysV backend and drives a real init script — one this test installs in /etc/init.d
 * under a unique name and removes afterwards, with its runlevel links, pid file and log.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ApiFixture } from '../support/api.js';
import {
  PROBLEM,
  serviceAction,
  startServicesApi,
  TEST_TIMEOUT,
  TOKEN,
  type ServiceDetail,
  type ServicePage,
} from './services-fixture.js';

const NAME = `hyperion-sysv-${TOKEN}`;
const SCRIPT = `/etc/init.d/${NAME}`;
const PIDFILE = `/run/${NAME}.pid`;
const LOG = `/var/log/${NAME}.log`;

const INIT_SCRIPT = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${NAME}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Hyperion SysV test service
# Description:       A sleep that stands in for a daemon,
#                    with a pid file and a log file.
### END INIT INFO
PIDFILE=${PIDFILE}
LOG=${LOG}
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

function pidOnDisk(): number | null {
  try {
    return Number(readFileSync(PIDFILE, 'utf8').trim());
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

function isOurDaemon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u0000600\u0000';
  } catch {
    return false;
  }
}

function links(): string[] {
  return ['0', '1', '2', '3', '4', '5', '6', 'S'].flatMap((level) =>
    readdirSync(`/etc/rc${level}.d`)
      .filter((entry) => entry.endsWith(NAME))
      .map((entry) => `rc${level}.d/${entry}`),
  );
}

/** Pids this test's script started, to be stopped for sure at the end. */
const started = new Set<number>();

describe('services on SysV init (service and /etc/init.d)', () => {
  let api: ApiFixture;

  const act = (verb: string, name = NAME, client = api.operator) => serviceAction(client, verb, name);

  before(async () => {
    writeFileSync(SCRIPT, INIT_SCRIPT);
    chmodSync(SCRIPT, 0o755);
    api = await startServicesApi();
  });
  after(async () => {
    await api?.stop();
    const last = pidOnDisk();
    if (last !== null) started.add(last);
    // Only the script's own daemons: a pid file may name a pid since reused by someone else.
    for (const pid of started) if (alive(pid) && isOurDaemon(pid)) process.kill(pid, 'SIGKILL');
    rmSync(SCRIPT, { force: true });
    // With the script gone, "remove" deletes the runlevel links enable/disable made.
    if (links().length > 0) execFileSync('update-rc.d', [NAME, 'remove'], { stdio: 'ignore' });
    rmSync(PIDFILE, { force: true });
    rmSync(LOG, { force: true });
    assert.deepEqual(links(), [], 'no runlevel link left behind');
  });

  it(
    'lists the script with its LSB description as a stopped, disabled SysV service',
    TEST_TIMEOUT,
    async () => {
      const res = await api.viewer.call<ServicePage>('get', `/hosts/local/services?name=${TOKEN}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.backend, 'sysv');
      assert.deepEqual(res.body.items, [
        {
          name: NAME,
          backend: 'sysv',
          description: 'Hyperion SysV test service',
          loadState: 'loaded',
          activeState: 'inactive',
          subState: 'dead',
          enabledState: 'disabled',
          mainPid: null,
          memoryBytes: null,
          cpuSeconds: null,
        },
      ]);
      const inactive = await api.viewer.call<ServicePage>('get', `/hosts/local/services?state=inactive`);
      assert.ok(inactive.body.items.some((s) => s.name === NAME));
      assert.ok(inactive.body.items.every((s) => s.activeState === 'inactive'));
    },
  );

  it('starts it through service(8): running, with the pid from its pid file', TEST_TIMEOUT, async () => {
    const res = await act('start');
    assert.equal(res.status, 200, res.text);
    const pid = pidOnDisk();
    assert.ok(pid !== null && alive(pid), 'the daemon runs');
    started.add(pid);
    assert.equal(res.body.backend, 'sysv');
    assert.equal(res.body.previous.activeState, 'inactive');
    assert.equal(res.body.service.activeState, 'active');
    assert.equal(res.body.service.subState, 'running');
    assert.equal(res.body.service.mainPid, pid);
  });

  it('shows details with the last lines of its log file', TEST_TIMEOUT, async () => {
    const pid = pidOnDisk();
    const res = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${NAME}?lines=5`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.path, SCRIPT);
    assert.equal(res.body.logs.available, true);
    assert.equal(res.body.logs.source, LOG);
    assert.deepEqual(
      res.body.logs.lines.map((l) => l.message),
      [`started ${pid}`],
    );
    // "name.service" is the same service.
    const suffixed = await api.viewer.call<ServiceDetail>(
      'get',
      `/hosts/local/services/${NAME}.service?lines=0`,
    );
    assert.equal(suffixed.status, 200, suffixed.text);
    assert.equal(suffixed.body.name, NAME);
    assert.deepEqual(suffixed.body.logs.lines, []);
  });

  it('restarts it: a new daemon, read back', TEST_TIMEOUT, async () => {
    const before = pidOnDisk()!;
    const res = await act('restart');
    assert.equal(res.status, 200, res.text);
    const now = pidOnDisk();
    assert.ok(now !== null && alive(now));
    started.add(now);
    assert.notEqual(now, before);
    assert.ok(!alive(before), 'the old daemon is gone');
    assert.equal(res.body.previous.mainPid, before);
    assert.equal(res.body.service.mainPid, now);
  });

  it('reloads it', TEST_TIMEOUT, async () => {
    const res = await act('reload');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.service.activeState, 'active');
    assert.match(readFileSync(LOG, 'utf8'), /reloaded\n$/);
  });

  it(
    'reports a daemon that died behind its back as failed: state is read, not assumed',
    TEST_TIMEOUT,
    async () => {
      // The daemon "dies": its pid file now names a process that has exited and been reaped (a
      // killed orphan would linger as a zombie until PID 1 reaps it, and kill -0 still sees those).
      const gone = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
      writeFileSync(PIDFILE, `${gone}\n`);
      const res = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${NAME}?lines=0`);
      assert.equal(res.body.activeState, 'failed');
      assert.equal(res.body.subState, 'dead');
    },
  );

  it(
    'enables and disables it with update-rc.d, read back from the runlevel links',
    TEST_TIMEOUT,
    async () => {
      const enabled = await act('enable');
      assert.equal(enabled.status, 200, enabled.text);
      assert.equal(enabled.body.previous.enabledState, 'disabled');
      assert.equal(enabled.body.service.enabledState, 'enabled');
      assert.ok(links().includes(`rc2.d/S01${NAME}`), JSON.stringify(links()));

      const disabled = await act('disable');
      assert.equal(disabled.status, 200, disabled.text);
      assert.equal(disabled.body.service.enabledState, 'disabled');
      assert.ok(!links().some((l) => /\/S\d\d/.test(l)), JSON.stringify(links()));
      assert.ok(links().includes(`rc2.d/K01${NAME}`), JSON.stringify(links()));
    },
  );

  it('stops it: not running, read back', TEST_TIMEOUT, async () => {
    const start = await act('start');
    assert.equal(start.status, 200, start.text);
    const pid = pidOnDisk()!;
    started.add(pid);
    const res = await act('stop');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.service.activeState, 'inactive');
    assert.equal(res.body.service.subState, 'dead');
    assert.equal(res.body.service.mainPid, null);
    assert.ok(!alive(pid));
  });

  it('says clearly when a SysV service has no log', TEST_TIMEOUT, async () => {
    rmSync(LOG);
    const res = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${NAME}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.logs.available, false);
    assert.match(res.body.logs.reason ?? '', new RegExp(`none of ${LOG}`));
  });

  it(
    'refuses the SSH server to an operator by default, and answers 404 for an unknown service',
    TEST_TIMEOUT,
    async () => {
      assert.ok(existsSync('/etc/init.d/ssh'), 'the machine has the ssh init script (openssh-server)');
      for (const name of ['ssh', 'ssh.service', 'sshd']) {
        const res = await act('restart', name);
        assert.equal(res.status, 403, `${name}: ${res.text}`);
        assert.match((res.body as unknown as { detail: string }).detail, /protected/);
      }
      const missing = `no-such-${TOKEN}`;
      assert.equal((await api.viewer.call('get', `/hosts/local/services/${missing}`)).status, 404);
      const post = await act('start', missing);
      assert.equal(post.status, 404, post.text);
      assert.equal((post.body as unknown as { type: string }).type, `${PROBLEM}not-found`);
      for (const bad of ['-x', 'a%3Bb', '%24(id)', 'a%20b']) {
        const res = await act('start', bad);
        assert.equal(res.status, 400, `${bad}: ${res.text}`);
      }
    },
  );
});
