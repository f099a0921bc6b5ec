/**
 * Issue 5's network views against the truth, in a namespace pair the test creates (IPv6 off,
 * so nothing but the test's own traffic moves the counters): connections the test opens show
 * with the pid and name of the process holding them, filters and the per-peer summary count
 * them exactly, and interface counters are those of /proc/net/dev, with rates computed from two
 * readings the exporter kept.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection, ConnectionPage as Page } from '../../src/managers/network/connections.js';
import type { InterfaceList as Interfaces } from '../../src/managers/network/interfaces.js';
import { parseNetDev } from '../../src/parsers/net-dev.js';
import { ApiClient, startApi, type ApiFixture } from '../support/api.js';
import { TEST_USER } from '../support/exporter.js';
import { ADDR, Agent, createNetnsPair, inNamespace, type NetnsPair } from '../support/netns.js';

const PORT = 7101;

describe('network views in a namespace, against the truth', () => {
  let pair: NetnsPair;
  let server: Agent;
  let client: Agent;
  let api: ApiFixture;
  let viewer: ApiClient;
  let metricsUrl: string;
  const closers: (() => void)[] = [];

  const procNetDev = async () => {
    const r = await inNamespace(pair.a, ['cat', '/proc/net/dev']);
    return new Map(parseNetDev(r.stdout).map((d) => [d.device, d]));
  };
  const interfaces = async () => {
    const r = await viewer.call<Interfaces>('get', '/hosts/local/network/interfaces');
    assert.equal(r.status, 200, r.text);
    return r.body;
  };

  before(async () => {
    pair = await createNetnsPair('net', { ipv6: false });
    [server, client] = await Promise.all([Agent.start(pair.a), Agent.start(pair.b)]);
    await server.request('listen', { host: ADDR.a, port: PORT });
    api = await startApi({
      // B's second address is a management address: the summary must say it cannot be blocked.
      config: `security:\n  otp: disabled\nfirewall:\n  managementAddresses: [${ADDR.b2}]\n`,
      // hyperion_network_connections comes from the opt-in sockets collector.
      args: ['--collector.sockets'],
      wrapper: ['ip', 'netns', 'exec', pair.a],
      // Unprivileged, as deployed: root's sockets are told by the root agent.
      user: TEST_USER,
      // The shared machine can be slow to start a process.
      timeoutMs: 60_000,
    });
    const bridge = await server.bridge('127.0.0.1', api.exporter.port);
    closers.push(bridge.close);
    viewer = new ApiClient(bridge.url, api.viewer.token);
    metricsUrl = `${bridge.url}/metrics`;
  });

  after(async () => {
    for (const close of closers) close();
    await api?.stop();
    if (api) rmSync(api.exporter.storagePath, { recursive: true, force: true });
    await Promise.all([server?.stop(), client?.stop()]);
    await pair?.destroy();
  });

  it('shows connections the test opened with the pid and name of the process holding them', async () => {
    const clientPorts: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const c = await client.connect(ADDR.a, PORT, { hold: true });
      assert.equal(c.result, 'ok');
      clientPorts.push(c.localPort!);
    }
    const comm = readFileSync(`/proc/${server.pid}/comm`, 'utf8').trim();

    const res = await viewer.call<Page>('get', `/hosts/local/network/connections?port=${PORT}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.total, 4, 'the listener and three accepted connections');
    const [listener, ...accepted] = res.body.items;
    const { inode, ...rest } = listener as Connection & { inode: number };
    assert.ok(inode > 0);
    assert.deepEqual(rest, {
      protocol: 'tcp',
      family: 'ipv4',
      state: 'listen',
      localAddress: ADDR.a,
      localPort: PORT,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      rxQueueBytes: 0,
      txQueueBytes: 0,
      uid: 0,
      pid: server.pid,
      process: comm,
    });
    assert.deepEqual(
      accepted.map((c) => [c.state, c.remoteAddress, c.remotePort, c.pid, c.process]).sort(),
      clientPorts.map((p) => ['established', ADDR.b, p, server.pid, comm]).sort(),
    );

    // The exporter's own listening socket belongs to the exporter (ip netns exec execs node).
    const own = await viewer.call<Page>(
      'get',
      `/hosts/local/network/connections?state=listen&port=${api.exporter.port}`,
    );
    assert.deepEqual(
      own.body.items.map((c) => [c.localAddress, c.pid]),
      [['127.0.0.1', api.exporter.child.pid]],
    );

    const count = async (query: string) => {
      const r = await viewer.call<Page>('get', `/hosts/local/network/connections?${query}`);
      assert.equal(r.status, 200, `${query}: ${r.text}`);
      return r.body.total;
    };
    assert.equal(await count(`remote=${ADDR.b}`), 3);
    assert.equal(await count('remote=10.77.0.0/24'), 3);
    assert.equal(await count('remote=10.77.0.9'), 0);
    assert.equal(await count(`state=established&port=${PORT}`), 3);
    assert.equal(await count(`state=listen,established&port=${PORT}&state=close_wait`), 4);
    assert.equal(await count(`protocol=udp&port=${PORT}`), 0);
    assert.equal(
      await count(`port=${PORT}&limit=2&offset=3`),
      4,
      'total counts every match, whatever the page',
    );

    const summary = await viewer.call<{ connections: number; peers: Record<string, unknown>[] }>(
      'get',
      `/hosts/local/network/connections/summary?remote=${ADDR.b}`,
    );
    assert.equal(summary.status, 200, summary.text);
    assert.deepEqual(summary.body, {
      connections: 3,
      peers: [
        {
          remoteAddress: ADDR.b,
          connections: 3,
          states: { established: 3 },
          localPorts: [PORT],
          remotePortCount: 3,
          protocols: ['tcp'],
          protected: null,
        },
      ],
    });

    // Peers a block would be refused for say why: a management address, and loopback (the
    // bridge reaches the exporter from 127.0.0.1 inside the namespace).
    const fromManagement = await client.connect(ADDR.a, PORT, { hold: true, from: ADDR.b2 });
    assert.equal(fromManagement.result, 'ok');
    const all = await viewer.call<{ peers: { remoteAddress: string; protected: string | null }[] }>(
      'get',
      '/hosts/local/network/connections/summary',
    );
    assert.equal(all.status, 200, all.text);
    const why = new Map(all.body.peers.map((p) => [p.remoteAddress, p.protected]));
    assert.equal(why.get(ADDR.b), null);
    assert.match(why.get(ADDR.b2) ?? '', /management address in the configuration/);
    assert.match(why.get('127.0.0.1') ?? '', /loopback/);

    // Two listeners in this namespace: the exporter's and the test server's.
    const metrics = await (await fetch(metricsUrl)).text();
    const sample = (state: string) =>
      Number(
        metrics.match(
          new RegExp(`^hyperion_network_connections\\{protocol="tcp",state="${state}"\\} (\\d+)$`, 'm'),
        )?.[1],
      );
    assert.equal(sample('listen'), 2);
    assert.ok(sample('established') >= 3);
    await client.request('release');
  });

  it('refuses bad filters with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['state=bogus', 'query/state/0'],
      ['port=0', 'query/port'],
      ['port=65536', 'query/port'],
      ['port=1e3', 'query/port'],
      ['remote=10.0.0.0/33', 'query/remote'],
      ['remote=not-an-ip', 'query/remote'],
      ['protocol=icmp', 'query/protocol'],
      ['limit=0', 'query/limit'],
      ['sort=pid', 'query'],
    ] as const) {
      const r = await viewer.call<{ field?: string; detail: string }>(
        'get',
        `/hosts/local/network/connections?${query}`,
      );
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      assert.equal(r.body.field, field, `${query}: ${r.body.detail}`);
    }
  });

  it('reports interface counters equal to /proc/net/dev, and rates from two kept readings', async () => {
    // Known traffic over the veth: 20 datagrams of 1000 bytes from B (A answers with ICMP).
    await client.request('udp', { host: ADDR.a, port: 9, count: 20, size: 1000 });
    await delay(300);
    const before = await procNetDev();
    const first = await interfaces();
    const after = await procNetDev();
    assert.ok(first.addressesKnown);
    const veth = first.items.find((i) => i.name === 'veth-a')!;
    assert.ok(veth, JSON.stringify(first.items.map((i) => i.name)));
    const truth = after.get('veth-a')!;
    assert.deepEqual(before.get('veth-a'), truth, 'the veth was quiet while the API read it');
    assert.deepEqual(veth.counters, {
      rxBytes: truth.receive.bytes,
      rxPackets: truth.receive.packets,
      rxErrors: truth.receive.errs,
      rxDropped: truth.receive.drop,
      txBytes: truth.transmit.bytes,
      txPackets: truth.transmit.packets,
      txErrors: truth.transmit.errs,
      txDropped: truth.transmit.drop,
    });
    assert.ok(veth.counters.rxPackets >= 20 && veth.counters.rxBytes >= 20_000);
    const mac = (await inNamespace(pair.a, ['cat', '/sys/class/net/veth-a/address'])).stdout.trim();
    const index = Number((await inNamespace(pair.a, ['cat', '/sys/class/net/veth-a/ifindex'])).stdout.trim());
    assert.equal(veth.mac, mac);
    assert.equal(veth.index, index);
    assert.equal(veth.mtu, 1500);
    assert.equal(veth.state, 'up');
    assert.equal(veth.type, 'ether');
    assert.equal(veth.speedMbps, 10_000, 'veth reports 10 Gbit/s');
    assert.deepEqual(
      veth.addresses.map((a) => `${a.family} ${a.address}/${a.prefixLength}`),
      [`ipv4 ${ADDR.a}/24`],
    );
    const lo = first.items.find((i) => i.name === 'lo')!;
    assert.equal(lo.mac, null);
    assert.equal(lo.speedMbps, null);
    assert.deepEqual(
      lo.addresses.map((a) => a.address),
      ['127.0.0.1'],
    );

    // Traffic between two requests: the second one's rate is the counters' difference over the
    // time between the two readings it kept.
    await client.request('udp', { host: ADDR.a, port: 9, count: 50, size: 1200 });
    await delay(1200);
    const second = await interfaces();
    const v2 = second.items.find((i) => i.name === 'veth-a')!;
    assert.ok(
      second.rateWindowSeconds >= 1 && second.rateWindowSeconds < 30,
      `window ${second.rateWindowSeconds}`,
    );
    const delta = v2.counters.rxBytes - veth.counters.rxBytes;
    assert.ok(delta >= 50 * 1200, `received ${delta} bytes`);
    const fromRate = v2.rates!.rxBytes * second.rateWindowSeconds;
    assert.ok(
      Math.abs(fromRate - delta) <= delta * 0.005 + 1,
      `rate × window = ${fromRate}, counters moved ${delta}`,
    );
    assert.equal(
      Math.round(v2.rates!.rxPackets * second.rateWindowSeconds),
      v2.counters.rxPackets - veth.counters.rxPackets,
    );
  });
});
