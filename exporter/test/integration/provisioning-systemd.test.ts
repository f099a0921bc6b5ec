/**
 * Issues 9 and 15: the shipped, hardened units — the exporter, and its root agent behind a socket
 * — run by a real systemd (PID 1 of its own namespace, support/systemd-namespace.ts). Drop-ins
 * change only what a test must: the programs (the sources instead of the release under /opt), a
 * loopback port, the user (the test's own system user instead of hyperion),
 * DefaultDependencies=no (the namespace must not boot sysinit.target) and PrivateDevices=no (see
 * below). Every other hardening setting is the shipped one, and the test shows they hold and
 * that the exporter still works under them:
 * - the exporter runs as its user with no capability at all (bounding set empty) and no_new_privs;
 * - the data directory is the unit's StateDirectory, 0700, the user's;
 * - the collectors work; an operator's signal reaches a process of another user, through the
 *   root agent that systemd starts for the exporter's connection;
 * - systemctl stop ends it.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { SecondFactor } from '../../src/security/second-factor.js';
import { TokenStore } from '../../src/security/tokens.js';
import { DataDir } from '../../src/storage/data-dir.js';
import { ApiClient, Authenticator } from '../support/api.js';
import { TEST_USER, testUser } from '../support/exporter.js';
import { parseExposition } from '../support/exposition.js';
import { freePort } from '../support/ports.js';
import { startSystemdNamespace, type SystemdNamespace } from '../support/systemd-namespace.js';
import { REPO, UNIT_FILE } from './provisioning-support.js';

const UNIT = 'hyperion-exporter.service';
const SOCKET = 'hyperion-agent.socket';
const AGENT = 'hyperion-agent@.service';
const TEST_TIMEOUT = { timeout: 120_000 };

describe('the shipped systemd unit, run by a real systemd', () => {
  let ns: SystemdNamespace;
  const varLib = mkdtempSync(path.join(os.tmpdir(), 'hyperion-unit-'));
  let port: number;
  let operator: ApiClient;
  let mainPid: number;

  const systemctl = async (...args: string[]) => {
    const r = await ns.run(['systemctl', ...args]);
    return r.stdout.trim();
  };
  const journal = async () => (await ns.run(['journalctl', '-u', UNIT, '--no-pager', '-n', '40'])).stdout;

  let ids: { uid: number; gid: number };

  /** A drop-in for a unit, in the namespace's /run (the units themselves stay the shipped ones). */
  const dropIn = (unit: string, lines: string[]) => {
    const dir = `/proc/${ns.pid}/root/run/systemd/system/${unit}.d`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'test.conf'), [...lines, ''].join('\n'));
  };

  before(async () => {
    port = await freePort();
    ids = testUser();
    // /var/lib of the namespace is this directory: the test user must be able to enter it.
    chmodSync(varLib, 0o755);
    // The data directory as StateDirectory= will find it: an operator token made beforehand.
    mkdirSync(path.join(varLib, 'hyperion'), { recursive: true });
    const secret = new TokenStore(new DataDir(path.join(varLib, 'hyperion'))).create(
      'unit-operator',
      'operator',
    ).secret;
    operator = new ApiClient(`http://127.0.0.1:${port}`, secret);

    ns = await startSystemdNamespace();
    try {
      // /var/lib of the namespace is the test's directory: StateDirectory= creates nothing on the host.
      const bind = await ns.run(['mount', '--bind', varLib, '/var/lib']);
      assert.equal(bind.code, 0, bind.stderr);
      dropIn(UNIT, [
        '[Unit]',
        'DefaultDependencies=no',
        '[Service]',
        `User=${TEST_USER}`,
        `Group=${TEST_USER}`,
        // The one hardening setting this namespace cannot give: systemd fails to build a
        // private /dev on top of the test's own tmpfs /dev (status 226/NAMESPACE), which a
        // real host does not have. systemd-analyze verify checks it in provisioning-files.
        'PrivateDevices=no',
        'ExecStart=',
        `ExecStart=/usr/bin/node --import ${REPO}/node_modules/tsx/dist/loader.mjs ${REPO}/exporter/src/main.ts ` +
          `--storage.path=/var/lib/hyperion --agent.socket=/run/hyperion/agent.sock --log.format=logfmt ` +
          `--web.listen-address=127.0.0.1:${port}`,
      ]);
      dropIn(SOCKET, ['[Unit]', 'DefaultDependencies=no', '[Socket]', `SocketGroup=${TEST_USER}`]);
      dropIn(AGENT, [
        '[Unit]',
        'DefaultDependencies=no',
        '[Service]',
        'ExecStart=',
        `ExecStart=/usr/bin/perl ${REPO}/exporter/agent/hyperion-agent.pl --peer-user ${TEST_USER}`,
      ]);
      const shipped = path.dirname(UNIT_FILE);
      await ns.installUnits({
        [UNIT]: readFileSync(UNIT_FILE, 'utf8'),
        [SOCKET]: readFileSync(path.join(shipped, SOCKET), 'utf8'),
        [AGENT]: readFileSync(path.join(shipped, AGENT), 'utf8'),
      });
      const started = await ns.run(['systemctl', 'start', UNIT], 60_000);
      assert.equal(started.code, 0, `${started.stderr}\n${await journal()}`);
      const deadline = Date.now() + 90_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/`)
          .then((r) => r.ok)
          .catch(() => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`the unit's exporter never answered:\n${await journal()}`);
        await delay(250);
      }
      mainPid = Number(await systemctl('show', '-P', 'MainPID', UNIT));
    } catch (error) {
      await ns.stop();
      throw error;
    }
  });

  after(async () => {
    await ns?.stop();
    rmSync(varLib, { recursive: true, force: true });
  });

  it('runs as its user with no capability at all, and no_new_privs', TEST_TIMEOUT, async () => {
    assert.equal(await systemctl('is-active', UNIT), 'active');
    const status = (await ns.run(['cat', `/proc/${mainPid}/status`])).stdout;
    const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];
    assert.equal(Number(field('Uid')), ids.uid);
    assert.equal(BigInt(`0x${field('CapBnd')}`), 0n, 'an empty bounding set');
    assert.equal(BigInt(`0x${field('CapEff')}`), 0n);
    assert.equal(BigInt(`0x${field('CapPrm')}`), 0n);
    assert.equal(field('NoNewPrivs'), '1');
  });

  it('keeps its data in the StateDirectory, private to its user', TEST_TIMEOUT, () => {
    const dir = path.join(varLib, 'hyperion');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(dir).uid, ids.uid);
    assert.ok(statSync(path.join(dir, 'tokens.json')).isFile());
  });

  it('collects metrics under the hardening', TEST_TIMEOUT, async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const success = parseExposition(
      text
        .split('\n')
        .filter((l) => l.startsWith('hyperion_scrape_collector_success'))
        .join('\n'),
    ).samples;
    const failed = success.filter((s) => s.value !== 1).map((s) => s.labels.collector);
    assert.ok(success.length >= 10, 'every collector reports');
    assert.deepEqual(failed, [], 'no collector fails under the unit’s restrictions');
  });

  it(
    'signals a process of another user for an operator, through the socket-activated agent',
    TEST_TIMEOUT,
    async () => {
      // A process of nobody's, started by the namespace's systemd (a unit file: systemd-run
      // would need D-Bus, which the namespace does not run).
      await ns.installUnits({
        'hyperion-unit-victim.service': [
          '[Unit]',
          'DefaultDependencies=no',
          '[Service]',
          'User=nobody',
          'Group=nogroup',
          'ExecStart=/bin/sleep 300',
          '',
        ].join('\n'),
      });
      const run = await ns.run(['systemctl', 'start', 'hyperion-unit-victim.service']);
      assert.equal(run.code, 0, run.stderr);
      const victim = Number(await systemctl('show', '-P', 'MainPID', 'hyperion-unit-victim.service'));
      assert.ok(victim > 1);
      // The enrolment code an admin issues on the exporter's host (as `hyperion-exporter otp code`).
      const enrolmentCode = new SecondFactor(
        new DataDir(path.join(varLib, 'hyperion')),
        { policy: 'required', issuer: 'Hyperion', elevationSeconds: 0, enrolmentCodeTtlSeconds: 600 },
        new Registry(),
      ).issueEnrolmentCode('token:unit-operator', 'unit operator', 'test').code;
      const enrol = await operator.call<{ secret: string }>('post', '/auth/otp/enrol', {
        body: { enrolmentCode },
      });
      assert.equal(enrol.status, 200, enrol.text);
      const auth = new Authenticator(enrol.body.secret);
      const confirmed = await operator.call('post', '/auth/otp/confirm', {
        body: { code: await auth.next() },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      const signalled = await operator.call('post', `/hosts/local/processes/${victim}/signal`, {
        body: { signal: 'TERM' },
        otp: await auth.next(),
      });
      assert.equal(signalled.status, 200, signalled.text);
      const deadline = Date.now() + 10_000;
      while ((await systemctl('is-active', 'hyperion-unit-victim.service')) === 'active') {
        assert.ok(Date.now() < deadline, 'the process of nobody ended');
        await delay(100);
      }
    },
  );

  it('stops on systemctl stop', TEST_TIMEOUT, async () => {
    const stopped = await ns.run(['systemctl', 'stop', UNIT], 60_000);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(await systemctl('is-active', UNIT), 'inactive');
    const answered = await fetch(`http://127.0.0.1:${port}/`)
      .then(() => true)
      .catch(() => false);
    assert.equal(answered, false);
  });
});
