/**
 * Issue 4's services proof on SysV init: this machine's PID 1 is not systemd, so the exporter
 * picks the SysV backend and drives a real init script — one this test installs in /etc/init.d
 * under a unique name and removes afterwards, with its runlevel links, pid file and log.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ApiFixture } from '../support/api.js';
import { TEST_USER } from '../support/exporter.js';
import {
  alive,
  PROBLEM,
  serviceAction,
  startServicesApi,
  sysvTestService,
  TEST_TIMEOUT,
  TOKEN,
  type ServiceDetail,
  type ServicePage,
} from './services-fixture.js';

const service = sysvTestService(`hyperion-sysv-${TOKEN}`);
const { name: NAME, script: SCRIPT, pidFile: PIDFILE, log: LOG } = service;

describe('services on SysV init (service and /etc/init.d)', () => {
  let api: ApiFixture;

  const act = (verb: string, name = NAME, client = api.operator) => serviceAction(client, verb, name);

  before(async () => {
    service.install();
    // Unprivileged, as deployed: actions and logs go through the root agent.
    api = await startServicesApi({ user: TEST_USER });
  });
  after(async () => {
    await api?.stop();
    service.remove();
    assert.deepEqual(service.links(), [], 'no runlevel link left behind');
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
    const pid = service.pid();
    assert.ok(pid !== null && alive(pid), 'the daemon runs');
    assert.equal(res.body.backend, 'sysv');
    assert.equal(res.body.previous.activeState, 'inactive');
    assert.equal(res.body.service.activeState, 'active');
    assert.equal(res.body.service.subState, 'running');
    assert.equal(res.body.service.mainPid, pid);
  });

  it('shows details with the last lines of its log file', TEST_TIMEOUT, async () => {
    const pid = service.pid();
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

  it(
    'shows a log only root may read (the exporter runs unprivileged: its agent reads it)',
    TEST_TIMEOUT,
    async () => {
      const mode = statSync(LOG).mode & 0o777;
      chmodSync(LOG, 0o600);
      try {
        const res = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${NAME}?lines=5`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.logs.available, true, res.body.logs.reason);
        assert.deepEqual(
          res.body.logs.lines.map((l) => l.message),
          [`started ${service.pid()}`],
        );
      } finally {
        chmodSync(LOG, mode);
      }
    },
  );

  it('restarts it: a new daemon, read back', TEST_TIMEOUT, async () => {
    const before = service.pid()!;
    const res = await act('restart');
    assert.equal(res.status, 200, res.text);
    const now = service.pid();
    assert.ok(now !== null && alive(now));
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
      assert.ok(service.links().includes(`rc2.d/S01${NAME}`), JSON.stringify(service.links()));

      const disabled = await act('disable');
      assert.equal(disabled.status, 200, disabled.text);
      assert.equal(disabled.body.service.enabledState, 'disabled');
      assert.ok(!service.links().some((l) => /\/S\d\d/.test(l)), JSON.stringify(service.links()));
      assert.ok(service.links().includes(`rc2.d/K01${NAME}`), JSON.stringify(service.links()));
    },
  );

  it('stops it: not running, read back', TEST_TIMEOUT, async () => {
    const start = await act('start');
    assert.equal(start.status, 200, start.text);
    const pid = service.pid()!;
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
      for (const name of ['ssh', 'ssh.service']) {
        const res = await act('restart', name);
        assert.equal(res.status, 403, `${name}: ${res.text}`);
        assert.match((res.body as unknown as { detail: string }).detail, /protected/);
      }
      // Debian's script is "ssh": there is no "sshd" service here, whatever the protected list says.
      assert.equal((await act('restart', 'sshd')).status, 404);
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
