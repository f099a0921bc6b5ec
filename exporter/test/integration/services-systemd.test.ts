/**
 * Issue 4's services proof on a real systemd: PID 1 of a private namespace
 * (test/support/systemd-namespace.ts), with the exporter running inside it and a unit this test
 * installs. Every state the API answers is checked against what systemctl itself says.
 */
import assert from 'node:assert/strict';
import { TEST_USER } from '../support/exporter.js';
import { existsSync, lstatSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiFixture } from '../support/api.js';
import { startSystemdNamespace, TEST_TARGET, type SystemdNamespace } from '../support/systemd-namespace.js';
import {
  PROBLEM,
  serviceAction,
  startServicesApi,
  systemdProperties,
  systemdTestUnit,
  TEST_TIMEOUT,
  TOKEN,
  type Service,
  type ServiceDetail,
  type ServicePage,
} from './services-fixture.js';

const UNIT = `hyperion-svc-${TOKEN}.service`;
const GUARDED = `hyperion-guarded-${TOKEN}.service`;
/** A unit outside services.operatorUnits (which here covers only "hyperion-*"). */
const OTHER = `other-${TOKEN}.service`;
/** What UNIT keeps in its environment: never shown by its details, to anyone. */
const SECRET = `s3cret-${TOKEN}`;
/** A byte that is not UTF-8 in ExecStart= makes `systemctl show` fail for this unit. */
const BROKEN = `hyperion-broken-${TOKEN}.service`;
const BROKEN_TEXT = `[Unit]
DefaultDependencies=no

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/echo 'not \\377 UTF-8'
`;

describe('services on a real systemd', () => {
  let ns: SystemdNamespace;
  let api: ApiFixture;

  /** What systemd says, asked directly rather than through the exporter. */
  const systemd = (unit = UNIT) => systemdProperties(ns, unit);

  const act = (verb: string, unit = UNIT, client = api.operator) => serviceAction(client, verb, unit);

  before(async () => {
    ns = await startSystemdNamespace();
    try {
      await ns.installUnits({
        [UNIT]: systemdTestUnit('Hyperion services test unit', `HYPERION_DB_PASSWORD=${SECRET}`),
        [GUARDED]: systemdTestUnit('Hyperion protected test unit'),
        [OTHER]: systemdTestUnit('Hyperion unit operators may not touch'),
        [BROKEN]: BROKEN_TEXT,
      });
      api = await startServicesApi({
        wrapper: ns.wrapper,
        // Unprivileged, as deployed: every action goes through the root agent.
        user: TEST_USER,
        protectedServices: [GUARDED],
        operatorUnits: ['hyperion-*'],
        timeoutMs: 30_000,
      });
    } catch (error) {
      await ns.stop();
      throw error;
    }
  });
  after(async () => {
    // Killing the namespace's systemd ends every process in it, the exporter included.
    await ns?.stop();
    await api?.stop();
  });

  it('lists the test unit as systemd knows it, and filters by name and state', TEST_TIMEOUT, async () => {
    const res = await api.viewer.call<ServicePage>('get', `/hosts/local/services?name=${TOKEN}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.backend, 'systemd');
    assert.deepEqual(
      res.body.items.map((s) => s.name),
      [BROKEN, GUARDED, UNIT, OTHER],
    );
    const unit = res.body.items.find((s) => s.name === UNIT)!;
    assert.equal(unit.description, 'Hyperion services test unit');
    assert.equal(unit.backend, 'systemd');
    assert.equal(unit.loadState, 'loaded');
    assert.equal(unit.activeState, 'inactive');
    assert.equal(unit.subState, 'dead');
    assert.equal(unit.enabledState, 'disabled');
    assert.equal(unit.mainPid, null);

    const running = await api.viewer.call<ServicePage>('get', '/hosts/local/services?state=running');
    assert.equal(running.status, 200, running.text);
    assert.ok(!running.body.items.some((s) => s.name === UNIT), 'the stopped unit is not "running"');
    const journald = running.body.items.find((s) => s.name === 'systemd-journald.service');
    assert.ok(journald, 'journald is listed as running');
    assert.equal(journald.activeState, 'active');
    assert.equal(journald.mainPid, Number((await systemd('systemd-journald.service')).MainPID));
    assert.ok(
      journald.memoryBytes !== null && journald.memoryBytes > 0,
      `journald memory ${journald.memoryBytes}`,
    );
    assert.ok(running.body.items.every((s) => s.subState === 'running'));
  });

  it('starts the unit and answers the state read back from systemd', TEST_TIMEOUT, async () => {
    const res = await act('start');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.name, UNIT);
    assert.equal(res.body.action, 'start');
    assert.equal(res.body.previous.activeState, 'inactive');
    const truth = await systemd();
    assert.equal(truth.ActiveState, 'active');
    assert.equal(res.body.service.activeState, truth.ActiveState);
    assert.equal(res.body.service.subState, truth.SubState);
    assert.equal(res.body.service.mainPid, Number(truth.MainPID));
    assert.ok(res.body.service.mainPid! > 1);
    assert.ok(res.body.service.memoryBytes !== null && res.body.service.memoryBytes > 0);
    assert.equal(typeof res.body.service.cpuSeconds, 'number', 'CPU time from systemd or the unit cgroup');
  });

  it('shows details and the latest journal lines of the unit', TEST_TIMEOUT, async () => {
    const pid = Number((await systemd()).MainPID);
    let detail: ServiceDetail | undefined;
    // journald takes the line through a socket: give it a moment on a loaded machine.
    for (let i = 0; i < 50; i += 1) {
      const res = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${UNIT}?lines=20`);
      assert.equal(res.status, 200, res.text);
      detail = res.body;
      if (detail.logs.lines.some((l) => l.message === `hyperion-test started as ${pid}`)) break;
      await delay(200);
    }
    assert.ok(detail);
    assert.equal(detail.logs.available, true);
    assert.equal(detail.logs.source, 'journal');
    assert.ok(
      detail.logs.lines.some((l) => l.message === `hyperion-test started as ${pid}`),
      JSON.stringify(detail.logs.lines),
    );
    assert.equal(detail.path, `/run/systemd/system/${UNIT}`);
    assert.equal(detail.properties.ExecMainPID, String(pid));
    assert.equal(detail.mainPid, pid);
    // What a unit keeps in its environment (or command lines) never leaves, whatever the role.
    for (const client of [api.viewer, api.admin]) {
      const res = await client.call('get', `/hosts/local/services/${UNIT}?lines=0`);
      assert.equal(res.status, 200);
      assert.ok(!res.text.includes(SECRET), 'the environment value is not in the answer');
      const props = (res.body as unknown as ServiceDetail).properties;
      for (const name of ['Environment', 'ExecStart', 'EnvironmentFiles', 'LoadCredential', 'SetCredential'])
        assert.equal(props[name], undefined, name);
    }
    assert.match((await systemdProperties(ns, UNIT, ['Environment'])).Environment ?? '', new RegExp(SECRET));

    const one = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${UNIT}?lines=1`);
    assert.equal(one.body.logs.lines.length, 1);
    const none = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${UNIT}?lines=0`);
    assert.equal(none.body.logs.lines.length, 0);
  });

  it('restarts the unit: a new main PID, read back', TEST_TIMEOUT, async () => {
    const before = Number((await systemd()).MainPID);
    const res = await act('restart');
    assert.equal(res.status, 200, res.text);
    const truth = await systemd();
    assert.equal(res.body.previous.mainPid, before);
    assert.equal(res.body.service.mainPid, Number(truth.MainPID));
    assert.notEqual(res.body.service.mainPid, before);
    assert.equal(res.body.service.activeState, 'active');
  });

  it('reloads the unit, which runs its ExecReload', TEST_TIMEOUT, async () => {
    const res = await act('reload');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.service.activeState, 'active');
    let lines: { message: string }[] = [];
    for (let i = 0; i < 50 && !lines.some((l) => l.message === 'hyperion-test reloaded'); i += 1) {
      await delay(100);
      lines = (await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${UNIT}?lines=10`)).body
        .logs.lines;
    }
    assert.ok(
      lines.some((l) => l.message === 'hyperion-test reloaded'),
      JSON.stringify(lines),
    );
  });

  it('stops the unit, read back', TEST_TIMEOUT, async () => {
    const res = await act('stop');
    assert.equal(res.status, 200, res.text);
    const truth = await systemd();
    assert.equal(truth.ActiveState, 'inactive');
    assert.equal(res.body.service.activeState, 'inactive');
    assert.equal(res.body.service.subState, truth.SubState);
    assert.equal(res.body.service.mainPid, null);
  });

  it('answers a failed action with 409 and the state read back', TEST_TIMEOUT, async () => {
    // systemd refuses to reload a unit that is not running.
    const res = await act('reload');
    assert.equal(res.status, 409, res.text);
    const body = res.body as unknown as { type: string; detail: string; service: Service };
    assert.equal(body.type, `${PROBLEM}conflict`);
    assert.match(body.detail, /not active/);
    assert.equal(body.service.activeState, 'inactive');
    assert.equal((await systemd()).ActiveState, 'inactive');
  });

  it('enables and disables the unit, each read back from systemd', TEST_TIMEOUT, async () => {
    const enabled = await act('enable');
    assert.equal(enabled.status, 200, enabled.text);
    assert.equal((await systemd()).UnitFileState, 'enabled');
    assert.equal(enabled.body.service.enabledState, 'enabled');
    assert.equal(enabled.body.previous.enabledState, 'disabled');
    assert.ok(
      lstatSync(`/proc/${ns.pid}/root/etc/systemd/system/${TEST_TARGET}.wants/${UNIT}`).isSymbolicLink(),
      'the [Install] link exists in the namespace',
    );
    assert.ok(!existsSync(`/etc/systemd/system/${TEST_TARGET}.wants`), "the host's /etc is untouched");

    const disabled = await act('disable');
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal((await systemd()).UnitFileState, 'disabled');
    assert.equal(disabled.body.service.enabledState, 'disabled');
  });

  it(
    'knows a service by its bare name, and answers 404 for one that does not exist',
    TEST_TIMEOUT,
    async () => {
      const bare = await api.viewer.call<ServiceDetail>(
        'get',
        '/hosts/local/services/systemd-journald?lines=0',
      );
      assert.equal(bare.status, 200, bare.text);
      assert.equal(bare.body.name, 'systemd-journald.service');

      const missing = `no-such-${TOKEN}.service`;
      const get = await api.viewer.call('get', `/hosts/local/services/${missing}`);
      assert.equal(get.status, 404, get.text);
      assert.equal((get.body as { type: string }).type, `${PROBLEM}not-found`);
      const post = await act('start', missing);
      assert.equal(post.status, 404, post.text);
      assert.match((post.body as unknown as { detail: string }).detail, new RegExp(`no service ${missing}`));
    },
  );

  it('refuses a protected unit to an operator, saying why, and lets an admin act', TEST_TIMEOUT, async () => {
    const refused = await act('start', GUARDED);
    assert.equal(refused.status, 403, refused.text);
    const problem = refused.body as unknown as { type: string; detail: string };
    assert.equal(problem.type, `${PROBLEM}role`);
    assert.match(problem.detail, /protected/);
    assert.match(problem.detail, /admin/);
    assert.equal((await systemd(GUARDED)).ActiveState, 'inactive', 'nothing was started');

    const allowed = await act('start', GUARDED, api.admin);
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((await systemd(GUARDED)).ActiveState, 'active');
    const stopped = await act('stop', GUARDED, api.admin);
    assert.equal(stopped.status, 200, stopped.text);
  });

  it(
    "refuses operators the units outside services.operatorUnits and the system's own, before acting",
    TEST_TIMEOUT,
    async () => {
      for (const unit of [OTHER, 'systemd-journald.service', 'debug-shell.service', 'getty@tty1.service']) {
        const refused = await act('start', unit);
        assert.equal(refused.status, 403, `${unit}: ${refused.text}`);
        assert.equal((refused.body as unknown as { type: string }).type, `${PROBLEM}role`);
      }
      assert.match(
        ((await act('start', OTHER)).body as unknown as { detail: string }).detail,
        /services\.operatorUnits/,
      );
      assert.equal((await systemd(OTHER)).ActiveState, 'inactive', 'nothing was started');
      assert.equal((await systemd('debug-shell.service')).ActiveState, 'inactive');
      // A unit that does not exist is a 404 for everyone, said before anything else.
      assert.equal((await act('start', `missing-${TOKEN}.service`, api.admin)).status, 404);
      const allowed = await act('start', OTHER, api.admin);
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal((await act('stop', OTHER, api.admin)).status, 200);
    },
  );

  it(
    "refuses an operator's signal or renice to a process of a protected unit, found by its cgroup",
    TEST_TIMEOUT,
    async () => {
      assert.equal((await act('start', GUARDED, api.admin)).status, 200);
      const pid = Number((await systemd(GUARDED)).MainPID);
      assert.ok(pid > 0);
      for (const [verb, body] of [
        ['signal', { signal: 'STOP' }],
        ['renice', { nice: 5 }],
      ] as const) {
        const refused = await api.operator.call('post', `/hosts/local/processes/${pid}/${verb}`, { body });
        assert.equal(refused.status, 403, refused.text);
        assert.match((refused.body as { detail: string }).detail, new RegExp(GUARDED.replace(/\./g, '\\.')));
      }
      const state = await ns.run(['cat', `/proc/${pid}/stat`]);
      assert.match(state.stdout, /^\d+ \([^)]*\) S /, 'not stopped');
      const allowed = await api.admin.call('post', `/hosts/local/processes/${pid}/renice`, {
        body: { nice: 5 },
      });
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal((await act('stop', GUARDED, api.admin)).status, 200);
    },
  );

  it('still lists and acts on a unit whose properties systemctl show cannot read', TEST_TIMEOUT, async () => {
    const show = await ns.run(['systemctl', 'show', '--', BROKEN]);
    assert.notEqual(show.code, 0, 'the premise: systemctl show fails for this unit');
    const res = await act('start', BROKEN);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.service.activeState, 'active');
    assert.equal(res.body.service.subState, 'exited');
    const detail = await api.viewer.call<ServiceDetail>('get', `/hosts/local/services/${BROKEN}?lines=0`);
    assert.equal(detail.status, 200, detail.text);
    assert.equal(detail.body.activeState, 'active');
    assert.match(detail.body.note ?? '', /UTF-8/);
    const list = await api.viewer.call<ServicePage>('get', `/hosts/local/services?name=${TOKEN}`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.body.items.map((s) => `${s.name} ${s.activeState}`),
      [`${BROKEN} active`, `${GUARDED} inactive`, `${UNIT} inactive`, `${OTHER} inactive`],
    );
    // Units shown after the broken one still come from systemctl show: UnitFileState is only there.
    assert.equal(list.body.items.find((s) => s.name === UNIT)?.enabledState, 'disabled');
  });

  it('refuses names that could be options, paths or shell, and changes nothing', TEST_TIMEOUT, async () => {
    const names = [
      '-h',
      '--all',
      '-.service',
      'a/b',
      '../..',
      '..x',
      'x..y',
      'x..',
      '.hidden',
      'a b',
      'a\tb',
      'a;reboot',
      '$(id)',
      '`id`',
      'a|b',
      'a&b',
      "a'b",
      'a"b',
      'a\\x2db',
      'a>b',
      'a*',
      `${UNIT}\n`,
      'x'.repeat(256),
    ];
    // Dots encoded too. (A segment of just ".." or "%2e%2e" cannot be sent: fetch resolves it
    // like the URL standard says, and the request never reaches a service route.)
    const encode = (n: string) => encodeURIComponent(n).replace(/\./g, '%2E');
    for (const name of names) {
      for (const [method, path] of [
        ['get', `/hosts/local/services/${encode(name)}`],
        ['post', `/hosts/local/services/${encode(name)}/start`],
      ] as const) {
        const res = await api.operator.call(method, path);
        assert.equal(res.status, 400, `${method} ${JSON.stringify(name)}: ${res.status} ${res.text}`);
        assert.equal((res.body as { field?: string }).field, 'params/name', JSON.stringify(name));
      }
    }
    assert.equal((await systemd()).ActiveState, 'inactive');
  });

  it(
    'pulled none of the host’s boot in: sysinit.target, tmpfiles and udev never ran',
    TEST_TIMEOUT,
    async () => {
      // They would clean the shared /tmp and rename the host's network interfaces (see
      // systemd-namespace.ts); every unit the test starts must leave them alone.
      for (const unit of ['sysinit.target', 'systemd-tmpfiles-setup.service', 'systemd-udevd.service']) {
        const res = await ns.run(['systemctl', 'is-active', '--', unit]);
        assert.equal(res.stdout.trim(), 'inactive', unit);
      }
    },
  );

  it('audited every action: who, what, on which unit, and the outcome', TEST_TIMEOUT, () => {
    const lines = api.auditLines();
    const mine = lines.filter((l) => l.target === UNIT || l.target === GUARDED);
    const summary = mine.map(
      (l) => `${String(l.action)} ${String(l.target)} ${String(l.actor)} ${String(l.result)}`,
    );
    for (const expected of [
      `service.start ${UNIT} test-operator ok`,
      `service.restart ${UNIT} test-operator ok`,
      `service.reload ${UNIT} test-operator ok`,
      `service.stop ${UNIT} test-operator ok`,
      `service.reload ${UNIT} test-operator refused`,
      `service.enable ${UNIT} test-operator ok`,
      `service.disable ${UNIT} test-operator ok`,
      `service.start ${GUARDED} test-operator refused`,
      `service.start ${GUARDED} test-admin ok`,
    ]) {
      assert.ok(summary.includes(expected), `missing "${expected}" in ${JSON.stringify(summary, null, 1)}`);
    }
    const start = mine.find((l) => l.action === 'service.start' && l.target === UNIT)!;
    assert.equal(start.host, 'local');
    assert.equal(start.role, 'operator');
  });
});
