/**
 * The firewall and services managers on hosts reached over SSH, through the control API, checked
 * against what the hosts themselves say rather than against the API's answers:
 *
 * - a "remote host" that is a network namespace of its own (support/netns.ts): its sshd runs
 *   inside namespace A, so the nft commands the exporter sends over SSH change A's ruleset and
 *   never this machine's. The exporter, in the host's namespace, reaches that sshd through a
 *   bridge out of namespace B (10.77.0.2), which is also where the test's TCP client sits;
 * - the same host's SysV init scripts (this machine's PID 1 is not systemd), whose daemons start
 *   in A's network namespace: proof that the action ran over SSH and not locally;
 * - a host running systemd: an sshd inside a systemd namespace (support/systemd-namespace.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { BlockView, FirewallView } from '../../src/managers/firewall/firewall.js';
import { DEFAULT_PROTECTED_SERVICES } from '../../src/managers/services/config.js';
import { startApi, type ApiClient, type ApiFixture, type Authenticator } from '../support/api.js';
import { parseExposition, select, valueOf, type ParsedSample } from '../support/exposition.js';
import {
  ADDR,
  Agent,
  createNetnsPair,
  hyperionSetElements,
  inNamespace,
  type NetnsPair,
} from '../support/netns.js';
import { checkMetrics } from '../support/promtool.js';
import { addApprovedHost, generateKey, startSshd, type KeyPair, type RunningSshd } from '../support/sshd.js';
import { startSystemdNamespace, type SystemdNamespace } from '../support/systemd-namespace.js';
import {
  alive,
  PROBLEM,
  serviceAction,
  startServicesApi,
  sysvTestService,
  systemdProperties,
  systemdTestUnit,
  TEST_TIMEOUT,
  TOKEN,
  type ServicePage,
} from './services-fixture.js';

const run = promisify(execFile);

/** Servers in namespace A that the client in B connects to: one stays open, one gets blocked. */
const OPEN_PORT = 7101;
const BLOCKED_PORT = 7102;
/** The inventory name of the host in namespace A (each exporter below has its own inventory). */
const NS_HOST = 'far-ns';

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
}

/** The network namespace a process lives in, as the kernel names it ("net:[4026…]"). */
function netnsOf(pid: number | 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

// The remote host of the first two parts: sshd in namespace A, reached from B.
let pair: NetnsPair;
let key: KeyPair;
let inside: Agent;
let outside: Agent;
let sshd: RunningSshd;
let bridge: { url: string; close(): void } | undefined;
/** Where the exporter reaches A's sshd: the bridge's port on 127.0.0.1. */
let bridgePort: number;

before(async () => {
  pair = await createNetnsPair('sshfw', { ipv6: false });
  key = generateKey();
  [inside, outside] = await Promise.all([Agent.start(pair.a), Agent.start(pair.b)]);
  await inside.request('listen', { host: ADDR.a, port: OPEN_PORT });
  await inside.request('listen', { host: ADDR.a, port: BLOCKED_PORT });
  sshd = await startSshd({ authorizedKeys: [key.publicKey], netns: pair.a, listenAddress: ADDR.a });
  bridge = await outside.bridge(ADDR.a, sshd.port, ADDR.b);
  bridgePort = Number(new URL(bridge.url).port);
});

after(async () => {
  bridge?.close();
  await sshd?.stop();
  await Promise.all([inside?.stop(), outside?.stop()]);
  await pair?.destroy();
  key?.remove();
});

describe('firewall on an SSH host, in that host’s network namespace', () => {
  let api: ApiFixture;
  /** Operators, each with an authenticator of its own (see nextOperator). */
  const operators: { client: ApiClient; auth: Authenticator }[] = [];
  let turn = 0;
  /** The blocks the first test makes, removed by the last. */
  let addressBlock: BlockView;
  let portBlock: BlockView;
  let adminAuth: Authenticator;

  /**
   * An operator and a fresh code. A code is good for one 30 s step of one actor, and one actor has
   * about two steps at hand (support/api.ts Authenticator), so the actions take turns among four
   * operators instead of waiting for the clock.
   */
  const nextOperator = async () => {
    const o = operators[turn++ % operators.length]!;
    return { client: o.client, otp: await o.auth.next() };
  };
  const block = async (body: Record<string, unknown>) => {
    const { client, otp } = await nextOperator();
    return client.call<BlockView & Problem>('post', `/hosts/${NS_HOST}/firewall/blocks`, { body, otp });
  };
  const unblock = async (id: string) => {
    const { client, otp } = await nextOperator();
    return client.call<BlockView & Problem>('delete', `/hosts/${NS_HOST}/firewall/blocks/${id}`, { otp });
  };
  const view = async () => {
    const r = await api.viewer.call<FirewallView>('get', `/hosts/${NS_HOST}/firewall`);
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  /** What nft itself holds in namespace A: Hyperion's address and TCP port sets. */
  const kernel = async () => ({
    ipv4: await hyperionSetElements(pair.a, 'blocked_ipv4'),
    tcp: await hyperionSetElements(pair.a, 'blocked_tcp_ports'),
  });
  /** A TCP connection from B to A: "ok" (the server's greeting arrived), "timeout" or "refused". */
  const connect = (port: number, from: string) =>
    outside.connect(ADDR.a, port, { from, timeoutMs: 1500 }).then((r) => r.result);
  /** The four paths the blocks below cut or leave, tried at once. */
  const paths = async () => {
    const [b2Open, bOpen, bBlocked, b2Blocked] = await Promise.all([
      connect(OPEN_PORT, ADDR.b2),
      connect(OPEN_PORT, ADDR.b),
      connect(BLOCKED_PORT, ADDR.b),
      connect(BLOCKED_PORT, ADDR.b2),
    ]);
    return { b2Open, bOpen, bBlocked, b2Blocked };
  };

  before(async () => {
    // The default configuration: the second factor is required for every change.
    api = await startApi({ timeoutMs: 60_000, config: 'security:\n  otpElevationSeconds: 0\n' });
    adminAuth = await api.enrol(api.admin);
    await addApprovedHost(
      api.admin,
      { name: NS_HOST, sshd, keyFile: key.privateKeyFile, address: '127.0.0.1', port: bridgePort },
      () => adminAuth.next(),
    );
    for (let i = 1; i <= 4; i += 1) {
      const client = api.client(`ssh-fw-operator-${i}`, 'operator');
      operators.push({ client, auth: await api.enrol(client) });
    }
  });
  after(async () => {
    await api?.stop();
  });

  it(
    'blocks an address and a port on the SSH host: the rules are in its nftables, and they drop traffic',
    TEST_TIMEOUT,
    async () => {
      const r = await inNamespace(pair.a, ['nft', 'list', 'tables']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /hyperion/, 'the premise: no Hyperion table in A yet');
      assert.deepEqual(await paths(), { b2Open: 'ok', bOpen: 'ok', bBlocked: 'ok', b2Blocked: 'ok' });

      const byAddress = await block({ address: ADDR.b2, reason: 'test: noisy peer' });
      assert.equal(byAddress.status, 201, byAddress.text);
      addressBlock = byAddress.body;
      const byPort = await block({ port: BLOCKED_PORT, protocol: 'tcp', reason: 'test: close port' });
      assert.equal(byPort.status, 201, byPort.text);
      portBlock = byPort.body;

      // nft in A holds both, with whose block each is.
      const held = await kernel();
      assert.equal(held.ipv4.length, 1, JSON.stringify(held));
      assert.match(
        held.ipv4[0]!,
        new RegExp(
          `"val":"${ADDR.b2}".*"comment":"hyperion:${addressBlock.id} ${addressBlock.actor}: test: noisy peer"`,
        ),
      );
      assert.equal(held.tcp.length, 1, JSON.stringify(held));
      assert.match(
        held.tcp[0]!,
        new RegExp(
          `"val":${BLOCKED_PORT}.*"comment":"hyperion:${portBlock.id} ${portBlock.actor}: test: close port"`,
        ),
      );
      // The kernel drops them: the blocked address on any port, anyone on the blocked port. The
      // exporter's SSH connection comes from 10.77.0.2 and is untouched.
      assert.deepEqual(await paths(), {
        b2Open: 'timeout',
        bOpen: 'ok',
        bBlocked: 'timeout',
        b2Blocked: 'timeout',
      });
      // …and this machine's own ruleset has none of it: the commands ran in A, over SSH.
      const here = await run('nft', ['-j', 'list', 'ruleset'], { timeout: 20_000 });
      for (const id of [addressBlock.id, portBlock.id]) assert.ok(!here.stdout.includes(`hyperion:${id}`));

      const listed = await view();
      assert.equal(listed.status, 'in-sync', JSON.stringify(listed.problems));
      assert.deepEqual(
        listed.blocks.map((b) => [b.id, b.enforced]).sort(),
        [
          [addressBlock.id, true],
          [portBlock.id, true],
        ].sort(),
      );
    },
  );

  it(
    'refuses bad input, a missing code and the anti-lockout guards with a 4xx, and changes nothing',
    TEST_TIMEOUT,
    async () => {
      const stateFile = path.join(api.exporter.storagePath, `firewall-${NS_HOST}.json`);
      const before = { kernel: await kernel(), state: readFileSync(stateFile, 'utf8') };
      const post = (client: ApiClient, body: Record<string, unknown>, otp?: string) =>
        client.call<Problem>('post', `/hosts/${NS_HOST}/firewall/blocks`, {
          body,
          ...(otp === undefined ? {} : { otp }),
        });

      // Invalid input is refused before the code is checked, so one code serves all of these…
      const { client, otp } = await nextOperator();
      for (const [body, field] of [
        [{ address: '10.77.0.300', reason: 'test' }, 'body/address'],
        [{ cidr: '10.77.0.3/16', reason: 'test' }, 'body/cidr'],
        [{ port: 70000, protocol: 'tcp', reason: 'test' }, 'body/port'],
        [{ address: '192.0.2.1', reason: 'two\nlines' }, 'body/reason'],
      ] as const) {
        const res = await post(client, body, otp);
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.field, field);
      }
      // …and is still unspent for a valid request, which a guard then refuses: the port A's sshd
      // listens on. It is no configured SSH port (those are [22]): the exporter found it among
      // the listening sockets of A, read over SSH.
      const sshPort = await post(client, { port: sshd.port, protocol: 'tcp', reason: 'test' }, otp);
      assert.equal(sshPort.status, 409, sshPort.text);
      assert.match(sshPort.body.detail, new RegExp(`TCP port ${sshd.port}: it is the port sshd listens on`));

      const loopback = await block({ address: '127.0.0.1', reason: 'test' });
      assert.equal(loopback.status, 409, loopback.text);
      assert.match(loopback.body.detail, /loopback/);
      const overlap = await block({ cidr: `${ADDR.b2}/32`, reason: 'test' });
      assert.equal(overlap.status, 409, overlap.text);
      assert.match(overlap.body.detail, new RegExp(`already covered by block ${addressBlock.id}`));
      // The address host A sees the exporter's SSH connection come from (B's, through the
      // bridge): blocking it, or a network around it, would cut the exporter off A for good.
      for (const body of [{ address: ADDR.b }, { cidr: '10.77.0.0/24' }]) {
        const own = await block({ ...body, reason: 'test' });
        assert.equal(own.status, 409, own.text);
        assert.match(
          own.body.detail,
          new RegExp(
            `${ADDR.b}.*the address this exporter reaches host ${NS_HOST} from|is the address this exporter reaches host ${NS_HOST} from`,
          ),
        );
      }

      const noCode = await post(operators[0]!.client, { address: '192.0.2.1', reason: 'test' });
      assert.equal(noCode.status, 403, noCode.text);
      assert.equal(noCode.body.type, `${PROBLEM}otp-required`);
      const viewer = await post(api.viewer, { address: '192.0.2.1', reason: 'test' });
      assert.equal(viewer.status, 403, viewer.text);
      assert.equal(viewer.body.type, `${PROBLEM}role`);

      assert.deepEqual(
        { kernel: await kernel(), state: readFileSync(stateFile, 'utf8') },
        before,
        'nft in A and the desired state are as they were',
      );
      const refused = api
        .auditLines()
        .filter((l) => l.host === NS_HOST && l.action === 'firewall.block' && l.result === 'refused');
      assert.equal(refused.length, 11, JSON.stringify(refused));
    },
  );

  it(
    'unblocks both: the rules leave the SSH host’s nftables and traffic flows again',
    TEST_TIMEOUT,
    async () => {
      for (const b of [addressBlock, portBlock]) {
        const res = await unblock(b.id);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.enforced, false);
      }
      assert.deepEqual(await kernel(), { ipv4: [], tcp: [] });
      assert.deepEqual(await paths(), { b2Open: 'ok', bOpen: 'ok', bBlocked: 'ok', b2Blocked: 'ok' });
      const listed = await view();
      assert.equal(listed.status, 'in-sync');
      assert.deepEqual(listed.blocks, []);

      // Every change was audited against this host, each with its second factor.
      const changes = api
        .auditLines()
        .filter((l) => l.host === NS_HOST && l.result === 'ok' && String(l.action).startsWith('firewall.'));
      assert.deepEqual(
        changes.map((l) => [l.action, l.target, l.otpUsed]),
        [
          ['firewall.block', ADDR.b2, true],
          ['firewall.block', `tcp/${BLOCKED_PORT}`, true],
          ['firewall.unblock', addressBlock.id, true],
          ['firewall.unblock', portBlock.id, true],
        ],
      );
    },
  );
  it(
    'changes the host, then blocks through the new connection; removed, nothing of it is left',
    TEST_TIMEOUT,
    async () => {
      const seriesOf = async () =>
        (await (await fetch(`${api.exporter.url}/metrics`)).text())
          .split('\n')
          .filter((l) => !l.startsWith('#') && l.includes(`host="${NS_HOST}"`));
      // Another way to the same server: a new port, the same key, so the approval stays.
      const second = await outside.bridge(ADDR.a, sshd.port, ADDR.b);
      try {
        const moved = await api.admin.call('patch', `/hosts/${NS_HOST}`, {
          body: { port: Number(new URL(second.url).port) },
          otp: await adminAuth.next(),
        });
        assert.equal(moved.status, 200, moved.text);
        // The old way in takes no new connection: whatever works from now on uses the new one,
        // and the firewall manager with it (the one of the old connection was disposed of).
        bridge?.close();
        // The parts below reach A the new way.
        bridge = second;
        bridgePort = Number(new URL(second.url).port);
        const blocked = await block({ address: ADDR.b2, reason: 'test: after the move' });
        assert.equal(blocked.status, 201, blocked.text);
        assert.equal((await kernel()).ipv4.length, 1, 'the block reached A through the new port');
        assert.deepEqual(
          (await seriesOf()).filter((l) => l.startsWith('hyperion_firewall_blocked{')).sort(),
          [
            `hyperion_firewall_blocked{host="${NS_HOST}",kind="address"} 1`,
            `hyperion_firewall_blocked{host="${NS_HOST}",kind="cidr"} 0`,
            `hyperion_firewall_blocked{host="${NS_HOST}",kind="port"} 0`,
          ],
        );
        assert.ok((await seriesOf()).some((l) => l.startsWith(`hyperion_ssh_up{host="${NS_HOST}"} 1`)));

        const removed = await api.admin.call('delete', `/hosts/${NS_HOST}`, { otp: await adminAuth.next() });
        assert.equal(removed.status, 200, removed.text);
        assert.deepEqual(await seriesOf(), [], 'no series of the removed host');
        const gone = await api.viewer.call<Problem>('get', `/hosts/${NS_HOST}/firewall`);
        assert.equal(gone.status, 404, gone.text);
        const { client, otp } = await nextOperator();
        const unblock = await client.call<Problem>(
          'delete',
          `/hosts/${NS_HOST}/firewall/blocks/${blocked.body.id}`,
          { otp },
        );
        assert.equal(unblock.status, 404, unblock.text);
      } finally {
        // The host left the inventory with its block in A's ruleset: the next parts start clean.
        await inNamespace(pair.a, ['nft', 'delete', 'table', 'inet', 'hyperion']);
      }
    },
  );
});

describe('services on an SSH host running SysV init', () => {
  const service = sysvTestService(`hyperion-ssh-sysv-${TOKEN}`);
  const guarded = sysvTestService(`hyperion-ssh-guarded-${TOKEN}`);
  let api: ApiFixture;

  const act = (verb: string, name = service.name, client = api.operator) =>
    serviceAction(client, verb, name, NS_HOST);

  before(async () => {
    service.install();
    guarded.install();
    api = await startServicesApi({ protectedServices: [...DEFAULT_PROTECTED_SERVICES, guarded.name] });
    await addApprovedHost(api.admin, {
      name: NS_HOST,
      sshd,
      keyFile: key.privateKeyFile,
      address: '127.0.0.1',
      port: bridgePort,
    });
  });
  after(async () => {
    await api?.stop();
    service.remove();
    guarded.remove();
    assert.deepEqual([...service.links(), ...guarded.links()], [], 'no runlevel link left behind');
  });

  it('lists the init scripts of the SSH host as stopped SysV services', TEST_TIMEOUT, async () => {
    const res = await api.viewer.call<ServicePage>('get', `/hosts/${NS_HOST}/services?name=${TOKEN}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.backend, 'sysv');
    assert.deepEqual(
      res.body.items.map((s) => [s.name, s.description, s.activeState, s.subState, s.mainPid]),
      [
        [guarded.name, 'Hyperion SysV test service', 'inactive', 'dead', null],
        [service.name, 'Hyperion SysV test service', 'inactive', 'dead', null],
      ],
    );
  });

  it(
    'starts a service over SSH: its daemon runs, in the SSH host’s network namespace',
    TEST_TIMEOUT,
    async () => {
      const res = await act('start');
      assert.equal(res.status, 200, res.text);
      const pid = service.pid();
      assert.ok(pid !== null && alive(pid), `the daemon runs (pid file: ${pid})`);
      // Started by a session of A's sshd, not by the exporter on this machine.
      assert.equal(netnsOf(pid), netnsOf(sshd.pid));
      assert.notEqual(netnsOf(pid), netnsOf('self'));
      assert.equal(res.body.previous.activeState, 'inactive');
      assert.equal(res.body.service.activeState, 'active');
      assert.equal(res.body.service.mainPid, pid);
    },
  );

  it('restarts it: a new daemon, and the old one is gone', TEST_TIMEOUT, async () => {
    const before = service.pid()!;
    const res = await act('restart');
    assert.equal(res.status, 200, res.text);
    const now = service.pid();
    assert.ok(now !== null && alive(now), 'the new daemon runs');
    assert.notEqual(now, before);
    assert.ok(!alive(before), 'the old daemon is gone');
    assert.equal(netnsOf(now), netnsOf(sshd.pid));
    assert.equal(res.body.previous.mainPid, before);
    assert.equal(res.body.service.mainPid, now);
  });

  it('stops it: no daemon, no pid file', TEST_TIMEOUT, async () => {
    const pid = service.pid()!;
    const res = await act('stop');
    assert.equal(res.status, 200, res.text);
    assert.ok(!alive(pid), 'the daemon is gone');
    assert.equal(existsSync(service.pidFile), false);
    assert.equal(res.body.service.activeState, 'inactive');
    assert.equal(res.body.service.mainPid, null);
  });

  it(
    'answers 404 for a service the SSH host does not have, and refuses protected ones to an operator',
    TEST_TIMEOUT,
    async () => {
      const missing = `no-such-${TOKEN}`;
      const get = await api.viewer.call<Problem>('get', `/hosts/${NS_HOST}/services/${missing}`);
      assert.equal(get.status, 404, get.text);
      const post = await act('start', missing);
      assert.equal(post.status, 404, post.text);
      assert.match(
        (post.body as unknown as Problem).detail,
        new RegExp(`no service ${missing} on host ${NS_HOST}`),
      );

      for (const name of ['ssh', guarded.name]) {
        const res = await act('start', name);
        assert.equal(res.status, 403, `${name}: ${res.text}`);
        const problem = res.body as unknown as Problem;
        assert.equal(problem.type, `${PROBLEM}role`);
        assert.match(problem.detail, new RegExp(`protected service on host ${NS_HOST}`));
      }
      assert.equal(guarded.pid(), null, 'the protected service was not started');

      // The refusal was the role's: an admin may.
      const allowed = await act('start', guarded.name, api.admin);
      assert.equal(allowed.status, 200, allowed.text);
      const pid = guarded.pid();
      assert.ok(pid !== null && alive(pid), 'started by the admin');
      const stopped = await act('stop', guarded.name, api.admin);
      assert.equal(stopped.status, 200, stopped.text);
      assert.ok(!alive(pid));
    },
  );
});

describe('services on an SSH host running systemd', () => {
  const HOST = 'far-systemd';
  const UNIT = `hyperion-ssh-svc-${TOKEN}.service`;
  const GUARDED = `hyperion-ssh-guarded-${TOKEN}.service`;
  // Not named by TOKEN: the services listing below names exactly the two above.
  const CRASHES = `hyperion-ssh-crashes-${process.pid}.service`;
  let ns: SystemdNamespace;
  let server: RunningSshd;
  let api: ApiFixture;

  const systemd = (unit = UNIT) => systemdProperties(ns, unit);
  const act = (verb: string, unit = UNIT, client = api.operator) => serviceAction(client, verb, unit, HOST);

  before(async () => {
    ns = await startSystemdNamespace();
    await ns.installUnits({
      [UNIT]: systemdTestUnit('Hyperion SSH services test unit'),
      [GUARDED]: systemdTestUnit('Hyperion SSH protected test unit'),
      // Fails at once and is started again every 100 ms, without end: its restarts count up.
      [CRASHES]: [
        '[Unit]',
        'Description=Hyperion SSH crash-looping unit',
        'DefaultDependencies=no',
        'StartLimitIntervalSec=0',
        '[Service]',
        'ExecStart=/bin/false',
        'Restart=always',
        'RestartSec=100ms',
        '',
      ].join('\n'),
    });
    // The namespace's /run is its own: sshd's privilege separation directory goes there.
    mkdirSync(`/proc/${ns.pid}/root/run/sshd`, { mode: 0o755 });
    server = await startSshd({ authorizedKeys: [key.publicKey], wrapper: ns.wrapper });
    api = await startServicesApi({
      protectedServices: [...DEFAULT_PROTECTED_SERVICES, GUARDED],
      args: ['--collector.systemd'],
    });
    await addApprovedHost(api.admin, { name: HOST, sshd: server, keyFile: key.privateKeyFile });
  });
  after(async () => {
    await api?.stop();
    await server?.stop();
    // Killing the namespace's systemd ends every process in it.
    await ns?.stop();
  });

  it(
    'finds systemd on the SSH host (not on this machine) and lists its units as systemd does',
    TEST_TIMEOUT,
    async () => {
      assert.notEqual(readFileSync('/proc/1/comm', 'utf8').trim(), 'systemd', 'the premise');
      const res = await api.viewer.call<ServicePage>('get', `/hosts/${HOST}/services?name=${TOKEN}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.backend, 'systemd');
      assert.deepEqual(
        res.body.items.map((s) => [s.name, s.description, s.activeState, s.enabledState]),
        [
          [GUARDED, 'Hyperion SSH protected test unit', 'inactive', 'disabled'],
          [UNIT, 'Hyperion SSH services test unit', 'inactive', 'disabled'],
        ],
      );
    },
  );

  it('starts, restarts and stops a unit over SSH, each read back from systemctl', TEST_TIMEOUT, async () => {
    const started = await act('start');
    assert.equal(started.status, 200, started.text);
    const first = await systemd();
    assert.equal(first.ActiveState, 'active');
    assert.ok(Number(first.MainPID) > 1);
    assert.equal(started.body.service.mainPid, Number(first.MainPID));

    const restarted = await act('restart');
    assert.equal(restarted.status, 200, restarted.text);
    const second = await systemd();
    assert.equal(second.ActiveState, 'active');
    assert.notEqual(second.MainPID, first.MainPID, 'a new main process');
    assert.equal(restarted.body.previous.mainPid, Number(first.MainPID));
    assert.equal(restarted.body.service.mainPid, Number(second.MainPID));

    const stopped = await act('stop');
    assert.equal(stopped.status, 200, stopped.text);
    const third = await systemd();
    assert.equal(third.ActiveState, 'inactive');
    assert.equal(third.MainPID, '0');
    assert.equal(stopped.body.service.activeState, 'inactive');
  });

  it(
    'reports the SSH host’s units on /probe, read by its root agent: one state each, restarts, start time',
    TEST_TIMEOUT,
    async () => {
      const scrape = async () => {
        const res = await fetch(`${api.exporter.url}/probe?target=${HOST}&collect[]=systemd`, {
          headers: { authorization: `Bearer ${api.viewer.token}` },
          signal: AbortSignal.timeout(30_000),
        });
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.match(text, /^hyperion_probe_success 1$/m, text.slice(0, 2000));
        return { text, samples: parseExposition(text).samples };
      };
      const states = (samples: ParsedSample[], name: string) =>
        select(samples, 'hyperion_systemd_unit_state', { name }).map((s) => [s.labels.state, s.value]);
      const restartsShown = async () =>
        Number((await systemdProperties(ns, CRASHES, ['NRestarts'])).NRestarts);

      const before = Math.floor(Date.now() / 1000);
      await ns.run(['systemctl', 'start', '--', UNIT]);
      await ns.run(['systemctl', 'start', '--', CRASHES]);
      try {
        const after = Math.ceil(Date.now() / 1000);
        const low = await restartsShown();
        const first = await scrape();
        const high = await restartsShown();
        assert.deepEqual(states(first.samples, UNIT), [['active', 1]], 'one state series, active');
        // Started within the test's second, told from the monotonic stamp and the host's btime.
        const since = valueOf(first.samples, 'hyperion_systemd_unit_start_time_seconds', { name: UNIT });
        assert.ok(since >= before - 1 && since <= after + 1, `${since} in [${before}, ${after}]`);
        // The restart count systemd itself shows, read just before and just after the scrape.
        const restarts = valueOf(first.samples, 'hyperion_systemd_service_restart_total', { name: CRASHES });
        assert.ok(restarts >= low && restarts <= high, `${restarts} in [${low}, ${high}]`);
        await delay(1000);
        const second = await scrape();
        const more = valueOf(second.samples, 'hyperion_systemd_service_restart_total', { name: CRASHES });
        assert.ok(more > restarts, `the count grows: ${restarts} → ${more}`);
        assert.equal(select(second.samples, 'hyperion_systemd_system_running').length, 1);
        // node_exporter's default exclusion holds here too: no mounts, devices, slices or scopes.
        assert.equal(
          select(second.samples, 'hyperion_systemd_unit_state').filter((s) =>
            /\.(automount|device|mount|scope|slice)$/.test(s.labels.name ?? ''),
          ).length,
          0,
        );
        const checked = await checkMetrics(second.text);
        assert.ok(checked.ok, checked.problems);

        await ns.run(['systemctl', 'stop', '--', UNIT]);
        const third = await scrape();
        // Inactive, or already unloaded by systemd (list-units, as ListUnits on the bus, names
        // the units in memory): either way no longer active, and no start time.
        assert.ok(
          ['[["inactive",1]]', '[]'].includes(JSON.stringify(states(third.samples, UNIT))),
          JSON.stringify(states(third.samples, UNIT)),
        );
        assert.equal(
          select(third.samples, 'hyperion_systemd_unit_start_time_seconds', { name: UNIT }).length,
          0,
        );
      } finally {
        await ns.run(['systemctl', 'stop', '--', CRASHES, UNIT]);
      }
    },
  );

  it(
    'answers 404 for a unit the SSH host does not have, and refuses protected ones to an operator',
    TEST_TIMEOUT,
    async () => {
      const missing = `no-such-${TOKEN}.service`;
      const post = await act('start', missing);
      assert.equal(post.status, 404, post.text);
      assert.match(
        (post.body as unknown as Problem).detail,
        new RegExp(`no service ${missing} on host ${HOST}`),
      );

      for (const name of ['ssh', GUARDED]) {
        const res = await act('start', name);
        assert.equal(res.status, 403, `${name}: ${res.text}`);
        assert.match((res.body as unknown as Problem).detail, /protected/);
      }
      assert.equal((await systemd(GUARDED)).ActiveState, 'inactive', 'nothing was started');
      const allowed = await act('start', GUARDED, api.admin);
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal((await systemd(GUARDED)).ActiveState, 'active', 'an admin may');
      const stopped = await act('stop', GUARDED, api.admin);
      assert.equal(stopped.status, 200, stopped.text);
      assert.equal((await systemd(GUARDED)).ActiveState, 'inactive');
    },
  );
});
