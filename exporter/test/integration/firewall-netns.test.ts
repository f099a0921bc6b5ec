/**
 * Issue 5's firewall, end to end on a real kernel: an exporter runs inside namespace A, a
 * client in namespace B (joined to A by a veth pair) opens TCP connections to a server in A,
 * and the test blocks and unblocks through the control API. Every nft command runs inside the
 * test's own namespaces; the host's ruleset is never touched.
 *
 * The API is reached over bridges (test/support/netns.ts): from A's loopback, for the calls
 * that act, and from B's second address 10.77.0.3, for the calls whose own address matters.
 */
import assert from 'node:assert/strict';
import { chownSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ApiClient, startApi, type ApiFixture } from '../support/api.js';
import { startExporter, TEST_USER, testUser, type RunningExporter } from '../support/exporter.js';
import { addApprovedHost, generateKey, startSshd } from '../support/sshd.js';
import {
  ADDR,
  Agent,
  createNetnsPair,
  hyperionSetElements,
  inNamespace,
  type NetnsPair,
} from '../support/netns.js';

const PROBLEM = 'urn:hyperion:problem:';
const SERVER_PORT = 7001;
const OTHER_PORT = 7002;
const MANAGEMENT = '10.77.0.200';

const CONFIG = `security:
  otp: disabled
firewall:
  managementAddresses: ['${MANAGEMENT}', 'fd77::100/120']
  sshPorts: [22]
  reconcileIntervalSeconds: 1
`;

interface BlockView {
  id: string;
  kind: string;
  address?: string;
  cidr?: string;
  port?: number;
  protocol?: string;
  reason: string;
  actor: string;
  createdAt: string;
  expiresAt: string | null;
  remainingSeconds: number | null;
  enforced: boolean | null;
}
interface FirewallView {
  status: string;
  problems: string[];
  lastReconcile: { action: string; problems: string[] } | null;
  counts: Record<string, number>;
  blocks: BlockView[];
}
interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
}

/** Polls `check` until it returns true: at most `timeoutMs`, every `stepMs`. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  stepMs = 250,
): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < Math.ceil(timeoutMs / stepMs) + 1; i += 1) {
    if (await check()) return Date.now() - started;
    await delay(stepMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

describe('firewall in two namespaces through the control API', () => {
  let pair: NetnsPair;
  let server: Agent;
  let client: Agent;
  let api: ApiFixture;
  let restarted: RunningExporter | undefined;
  const closers: (() => void)[] = [];
  /** Calls from A's loopback. */
  let operator: ApiClient;
  let admin: ApiClient;
  let viewer: ApiClient;
  /** Calls from 10.77.0.3, in B. */
  let operatorFromB: ApiClient;
  let adminFromB: ApiClient;
  let metricsUrl: string;

  const nft = async (...args: string[]) => {
    const r = await inNamespace(pair.a, ['nft', ...args]);
    assert.equal(r.code, 0, `nft ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** The elements nft holds in one of Hyperion's sets, as listed (text). */
  const elements = (set: string) => hyperionSetElements(pair.a, set);
  const connect = (options: { from?: string; port?: number; to?: string } = {}) =>
    client
      .connect(options.to ?? ADDR.a, options.port ?? SERVER_PORT, {
        timeoutMs: 1500,
        ...(options.from ? { from: options.from } : {}),
      })
      .then((r) => r.result);
  const block = (c: ApiClient, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    c.call<BlockView & Problem>('post', '/hosts/local/firewall/blocks', { body, headers });
  const view = async () => {
    const r = await operator.call<FirewallView>('get', '/hosts/local/firewall');
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  const metric = async (pattern: RegExp) => {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split('\n').find((l) => pattern.test(l));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  before(async () => {
    pair = await createNetnsPair('fw');
    [server, client] = await Promise.all([Agent.start(pair.a), Agent.start(pair.b)]);
    await server.request('listen', { host: '::', port: SERVER_PORT });
    await server.request('listen', { host: '::', port: OTHER_PORT });
    api = await startApi({
      config: CONFIG,
      wrapper: ['ip', 'netns', 'exec', pair.a],
      // Unprivileged, as deployed: nft runs in the root agent.
      user: TEST_USER,
      args: ['--web.listen-address=0.0.0.0:0'],
      // The shared machine can be slow to start a process; the tests themselves are not timed by it.
      timeoutMs: 60_000,
    });
    const port = api.exporter.port;
    const fromA = await server.bridge('127.0.0.1', port);
    const fromB = await client.bridge(ADDR.a, port, ADDR.b2);
    closers.push(fromA.close, fromB.close);
    operator = new ApiClient(fromA.url, api.operator.token);
    admin = new ApiClient(fromA.url, api.admin.token);
    viewer = new ApiClient(fromA.url, api.viewer.token);
    operatorFromB = new ApiClient(fromB.url, api.operator.token);
    adminFromB = new ApiClient(fromB.url, api.admin.token);
    metricsUrl = `${fromA.url}/metrics`;
  });

  after(async () => {
    for (const close of closers) close();
    await restarted?.stop();
    await api?.stop();
    if (api) rmSync(api.exporter.storagePath, { recursive: true, force: true });
    await Promise.all([server?.stop(), client?.stop()]);
    await pair?.destroy();
  });

  it('leaves the firewall alone until the first block: no table at all', async () => {
    const r = await inNamespace(pair.a, ['nft', 'list', 'tables']);
    assert.doesNotMatch(r.stdout, /hyperion/);
    assert.equal((await view()).status, 'absent');
    assert.equal(await connect(), 'ok', 'a TCP connection from B to A works');
  });

  it('blocks the client’s address through the API, and unblocks it', async () => {
    const res = await block(operator, { address: ADDR.b, reason: 'test: noisy client' });
    assert.equal(res.status, 201, res.text);
    const b = res.body;
    assert.match(b.id, /^[0-9a-f]{12}$/);
    assert.equal(b.kind, 'address');
    assert.equal(b.address, ADDR.b);
    assert.equal(b.actor, 'test-operator');
    assert.equal(b.expiresAt, null);
    assert.equal(b.enforced, true);

    assert.equal(await connect(), 'timeout', 'the blocked address cannot connect');
    assert.equal(await connect({ from: ADDR.b2 }), 'ok', 'the client’s other address still can');

    const listed = await view();
    assert.equal(listed.status, 'in-sync');
    assert.equal(listed.blocks.length, 1);
    assert.deepEqual(
      { ...listed.blocks[0]!, createdAt: 'x' },
      { ...b, createdAt: 'x', remainingSeconds: null, enforced: true },
    );
    assert.ok(Math.abs(Date.parse(listed.blocks[0]!.createdAt) - Date.now()) < 60_000);
    const [element] = await elements('blocked_ipv4');
    assert.match(
      element!,
      new RegExp(`"val":"${ADDR.b}".*"comment":"hyperion:${b.id} test-operator: test: noisy client"`),
    );
    assert.equal(await metric(/^hyperion_firewall_blocked\{host="local",kind="address"\}/), 1);

    const removed = await operator.call<BlockView>('delete', `/hosts/local/firewall/blocks/${b.id}`);
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.enforced, false);
    assert.equal(await connect(), 'ok', 'unblocked: it connects again');
    assert.deepEqual((await view()).blocks, []);
    assert.deepEqual(await elements('blocked_ipv4'), []);

    const audit = api.auditLines().filter((l) => String(l.action).startsWith('firewall.'));
    assert.deepEqual(
      audit.map((l) => [l.action, l.result, l.target, l.actor]),
      [
        ['firewall.block', 'ok', ADDR.b, 'test-operator'],
        ['firewall.unblock', 'ok', b.id, 'test-operator'],
      ],
    );
  });

  it('lets a 3-second block expire by itself', async () => {
    const res = await block(operator, { address: ADDR.b, duration: 3, reason: 'test: cool down' });
    assert.equal(res.status, 201, res.text);
    const created = Date.now();
    assert.equal(res.body.remainingSeconds, 3);
    assert.ok(Math.abs(Date.parse(res.body.expiresAt!) - (Date.parse(res.body.createdAt) + 3000)) < 5);
    assert.equal(await connect(), 'timeout');
    await until('the block expires', async () => (await connect()) === 'ok', 10_000, 200);
    const lasted = Date.now() - created;
    assert.ok(lasted >= 2500 && lasted < 9000, `the block lasted ${lasted} ms`);
    await until('the expired block leaves the list', async () => (await view()).blocks.length === 0, 5000);
    // …and the next reconciliation drops it from the desired state on disk.
    const stateFile = path.join(api.exporter.storagePath, 'firewall-local.json');
    await until(
      'the state file forgets it',
      async () => !readFileSync(stateFile, 'utf8').includes(res.body.id),
      5000,
    );
  });

  it('blocks a TCP port for everyone, and only that port', async () => {
    const res = await block(operator, {
      port: OTHER_PORT,
      protocol: 'tcp',
      duration: '10m',
      reason: 'test: close port',
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.remainingSeconds, 600);
    assert.equal(await connect({ port: OTHER_PORT }), 'timeout');
    assert.equal(await connect({ port: OTHER_PORT, from: ADDR.b2 }), 'timeout');
    assert.equal(await connect({ port: SERVER_PORT }), 'ok');
    const udp = await block(operator, { port: OTHER_PORT, protocol: 'udp', reason: 'test: udp too' });
    assert.equal(udp.status, 201, 'the same port number over UDP is another block');
    for (const id of [res.body.id, udp.body.id]) {
      assert.equal((await operator.call('delete', `/hosts/local/firewall/blocks/${id}`)).status, 200);
    }
    assert.equal(await connect({ port: OTHER_PORT }), 'ok');
  });

  it('blocks IPv6 addresses and networks', async () => {
    const res = await block(operator, { cidr: 'fd77::2/127', reason: 'test: v6 net' });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.cidr, 'fd77::2/127');
    assert.equal(await connect({ to: ADDR.a6 }), 'timeout');
    assert.equal(await connect(), 'ok', 'the same client over IPv4 is not blocked');
    assert.equal((await operator.call('delete', `/hosts/local/firewall/blocks/${res.body.id}`)).status, 200);
    assert.equal(await connect({ to: ADDR.a6 }), 'ok');
  });

  it('refuses to block an SSH host it manages until that host leaves the inventory', async () => {
    // A host this exporter manages over SSH, at B's address: blocking that address on this host
    // would drop the answers on the exporter's own connection to it.
    const key = generateKey();
    // The key is the exporter's to read, and the exporter runs as the test user.
    const { uid, gid } = testUser();
    for (const p of [key.dir, key.privateKeyFile]) chownSync(p, uid, gid);
    const sshd = await startSshd({ authorizedKeys: [key.publicKey], netns: pair.b, listenAddress: ADDR.b });
    try {
      await addApprovedHost(admin, { name: 'neighbour', sshd, address: ADDR.b, keyFile: key.privateKeyFile });
      const probe = async () => {
        const text = await (
          await fetch(metricsUrl.replace(/\/metrics$/, '/probe?target=neighbour'), {
            headers: { authorization: `Bearer ${viewer.token}` },
          })
        ).text();
        return /^hyperion_probe_success 1$/m.test(text);
      };
      assert.ok(await probe(), 'the exporter reaches the SSH host');
      const before = await elements('blocked_ipv4');
      for (const target of [{ address: ADDR.b }, { cidr: '10.77.0.0/30' }]) {
        const res = await block(operator, { ...target, reason: 'test: must be refused' });
        assert.equal(res.status, 409, `${JSON.stringify(target)}: ${res.text}`);
        assert.match(
          res.body.detail,
          /10\.77\.0\.2.* is the address of host neighbour, which this exporter reaches over SSH \(remove neighbour from the inventory/,
        );
      }
      assert.deepEqual(await elements('blocked_ipv4'), before, 'nothing changed');
      assert.ok(await probe(), 'and the SSH host is still reached');

      // Once the host is gone from the inventory, its address is an address like any other.
      assert.equal((await admin.call('delete', '/hosts/neighbour')).status, 200);
      const res = await block(operator, { address: ADDR.b, reason: 'test: no longer managed' });
      assert.equal(res.status, 201, res.text);
      assert.equal(
        (await operator.call('delete', `/hosts/local/firewall/blocks/${res.body.id}`)).status,
        200,
      );
    } finally {
      await sshd.stop();
      key.remove();
    }
  });

  it('rebuilds a table flushed or deleted by hand, and removes elements nobody asked for', async () => {
    const res = await block(operator, { address: ADDR.b, reason: 'test: keep me' });
    assert.equal(res.status, 201, res.text);
    const rebuiltBefore =
      (await metric(/^hyperion_firewall_reconciliations_total\{host="local",action="rebuilt"\}/)) ?? 0;

    await nft('flush', 'table', 'inet', 'hyperion');
    await until('the flushed rules are back', async () =>
      (await nft('list', 'chain', 'inet', 'hyperion', 'input')).includes('ip saddr @blocked_ipv4 drop'),
    );
    assert.equal(await connect(), 'timeout', 'blocked again');
    const last = (await view()).lastReconcile;
    assert.ok(last, 'a reconciliation ran');

    await nft('delete', 'table', 'inet', 'hyperion');
    await until('the deleted table is back', async () =>
      (await elements('blocked_ipv4')).some((e) => e.includes(res.body.id)),
    );
    assert.equal(await connect(), 'timeout');
    const rebuilt = await metric(/^hyperion_firewall_reconciliations_total\{host="local",action="rebuilt"\}/);
    assert.ok(rebuilt! >= rebuiltBefore + 2, `rebuilt ${rebuilt} times, was ${rebuiltBefore}`);

    await nft('add', 'element', 'inet', 'hyperion', 'blocked_ipv4', '{ 192.0.2.99 }');
    await until(
      'the stray element is removed',
      async () => !(await elements('blocked_ipv4')).some((e) => e.includes('192.0.2.99')),
    );
    assert.equal(await connect(), 'timeout', 'the block itself stays');
    const reconciled = (await view()).lastReconcile!;
    assert.ok(['none', 'patched'].includes(reconciled.action));
    assert.equal((await view()).status, 'in-sync');
  });

  it('refuses to lock out the caller, loopback and management addresses, saying why, and changes nothing', async () => {
    const before = await elements('blocked_ipv4');
    const refusals: [ApiClient, Record<string, unknown>, RegExp, Record<string, string>?][] = [
      [operatorFromB, { address: ADDR.b2 }, /10\.77\.0\.3: it is the address this request came from/],
      [
        operatorFromB,
        { cidr: '10.77.0.0/24' },
        /covers 10\.77\.0\.3, which is the address this request came from/,
      ],
      [operator, { address: '127.0.0.1' }, /loopback/],
      [operator, { address: '::1' }, /loopback/],
      [operator, { cidr: '0.0.0.0/0' }, /covers 127\.0\.0\.0\/8/],
      [operator, { address: MANAGEMENT }, /management address in the configuration/],
      [operator, { cidr: 'fd77::/64' }, /covers fd77::100\/120, which is a management address/],
      [
        operator,
        { address: '10.77.0.9' },
        /forwarded for \(X-Forwarded-For\)/,
        { 'x-forwarded-for': '10.77.0.9' },
      ],
      [operator, { port: 22, protocol: 'tcp' }, /TCP port 22: it is an SSH port.*"confirm": true/],
      [operatorFromB, { port: api.exporter.port, protocol: 'tcp' }, /it is the port of this exporter’s API/],
    ];
    for (const [c, target, pattern, headers] of refusals) {
      const res = await block(c, { ...target, reason: 'test: must be refused' }, headers);
      assert.equal(res.status, 409, `${JSON.stringify(target)}: ${res.text}`);
      assert.equal(res.body.type, `${PROBLEM}conflict`);
      assert.match(res.body.detail, pattern, JSON.stringify(target));
    }
    const confirmedByOperator = await block(operatorFromB, {
      port: 22,
      protocol: 'tcp',
      confirm: true,
      reason: 'test',
    });
    assert.equal(confirmedByOperator.status, 403, confirmedByOperator.text);
    assert.match(confirmedByOperator.body.detail, /needs the admin role/);
    assert.deepEqual(await elements('blocked_ipv4'), before, 'nothing changed');
    assert.deepEqual(await elements('blocked_tcp_ports'), []);

    // An admin who confirms may block the SSH port (and the API, reached here over loopback, stays up).
    const confirmed = await block(adminFromB, {
      port: 22,
      protocol: 'tcp',
      confirm: true,
      reason: 'test: maintenance',
    });
    assert.equal(confirmed.status, 201, confirmed.text);
    assert.equal(
      (await admin.call('delete', `/hosts/local/firewall/blocks/${confirmed.body.id}`)).status,
      200,
    );

    const refused = api.auditLines().filter((l) => l.action === 'firewall.block' && l.result === 'refused');
    assert.ok(refused.length >= refusals.length + 1, `${refused.length} refusals audited`);
  });

  it('answers invalid input with 400 naming the field, refuses overlaps, and changes nothing', async () => {
    const before = (await view()).blocks;
    const invalid: [Record<string, unknown>, RegExp][] = [
      [{ address: '10.77.0.300', reason: 'x' }, /body\/address: not an IPv4 or IPv6 address/],
      [{ address: 'example.com', reason: 'x' }, /body\/address/],
      [{ address: '10.0.0.0/8', reason: 'x' }, /a network goes in "cidr"/],
      [{ cidr: '10.0.0.0/33', reason: 'x' }, /body\/cidr: "10\.0\.0\.0\/33" is not a network/],
      [{ cidr: '10.1.2.3/8', reason: 'x' }, /did you mean 10\.0\.0\.0\/8\?/],
      [{ cidr: '10.0.0.1', reason: 'x' }, /body\/cidr/],
      [{ port: 0, protocol: 'tcp', reason: 'x' }, /body\/port/],
      [{ port: 65536, protocol: 'tcp', reason: 'x' }, /body\/port/],
      [{ port: '22', protocol: 'tcp', reason: 'x' }, /body\/port/],
      [{ port: 8080, reason: 'x' }, /body\/protocol: a port block needs "protocol"/],
      [{ port: 8080, protocol: 'icmp', reason: 'x' }, /body\/protocol/],
      [{ address: '192.0.2.1', protocol: 'tcp', reason: 'x' }, /"protocol" goes with "port" only/],
      [{ address: '192.0.2.1', cidr: '192.0.2.0/24', reason: 'x' }, /exactly one of/],
      [{ reason: 'x' }, /exactly one of/],
      [{ address: '192.0.2.1' }, /body\/reason/],
      [{ address: '192.0.2.1', reason: 'two\nlines' }, /body\/reason: a reason is one line/],
      [{ address: '192.0.2.1', reason: 'x', duration: 0 }, /body\/duration/],
      [{ address: '192.0.2.1', reason: 'x', duration: '5x' }, /body\/duration/],
      [{ address: '192.0.2.1', reason: 'x', duration: '400d' }, /at most 366 days/],
      [{ address: '192.0.2.1', reason: 'x', until: 'tomorrow' }, /body: Unrecognized key/],
    ];
    for (const [body, pattern] of invalid) {
      const res = await block(operator, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.match(res.body.detail, pattern, JSON.stringify(body));
    }
    assert.equal((await operator.call<Problem>('delete', '/hosts/local/firewall/blocks/xyz')).status, 400);
    const unknown = await operator.call<Problem>('delete', '/hosts/local/firewall/blocks/0123456789ab');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.detail, /no block 0123456789ab/);
    assert.equal((await block(viewer, { address: '192.0.2.1', reason: 'x' })).status, 403);

    const net = await block(operator, { cidr: '192.0.2.64/26', reason: 'test: a network' });
    assert.equal(net.status, 201, net.text);
    const inside = await block(operator, { address: '192.0.2.70', reason: 'test: inside it' });
    assert.equal(inside.status, 409);
    assert.match(
      inside.body.detail,
      new RegExp(`already covered by block ${net.body.id} \\(192\\.0\\.2\\.64/26`),
    );
    assert.equal((await operator.call('delete', `/hosts/local/firewall/blocks/${net.body.id}`)).status, 200);
    assert.deepEqual((await view()).blocks, before, 'nothing else changed');
  });

  it('keeps the desired state across a restart and enforces it at start-up', async () => {
    const kept = (await view()).blocks.find((b) => b.address === ADDR.b);
    assert.ok(kept, 'the block from the reconciliation test is still there');
    await api.exporter.stop();
    await nft('delete', 'table', 'inet', 'hyperion');
    assert.equal(await connect(), 'ok', 'with no exporter and no table, nothing blocks');
    restarted = await startExporter({
      storagePath: api.exporter.storagePath,
      wrapper: ['ip', 'netns', 'exec', pair.a],
      user: TEST_USER,
      args: ['--web.listen-address=127.0.0.1:0'],
      timeoutMs: 60_000,
    });
    await until('the table is rebuilt at start-up', async () =>
      (await elements('blocked_ipv4')).some((e) => e.includes(kept.id)),
    );
    assert.equal(await connect(), 'timeout');
  });
});
