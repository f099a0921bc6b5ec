/**
 * Network unit tests on the fixtures captured in a namespace (test/fixtures/network/README in
 * fixtures/README.md): address arithmetic, the /proc/net socket parser, `ip -j addr`, the
 * connection manager over a fixture procfs, interface rates from kept samples, and the
 * connections collector.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { socketsCollector } from '../../../src/collectors/sockets.js';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { ConnectionManager } from '../../../src/managers/network/connections.js';
import { InterfaceManager, PRIME_MS } from '../../../src/managers/network/interfaces.js';
import { parseIpAddr } from '../../../src/parsers/ip-addr.js';
import { countSocketStates, parseProcNetSockets } from '../../../src/parsers/proc-net-sockets.js';
import {
  formatAddress,
  formatNetwork,
  hostNetwork,
  networkContains,
  networksOverlap,
  parseAddress,
  parseNetwork,
  unmapV4,
} from '../../../src/util/ip.js';
import { defaultSettings, readFixture, tree } from '../helpers.js';

const addr = (text: string) => {
  const a = parseAddress(text);
  assert.ok(a, `${text} parses`);
  return a;
};
const net = (text: string) => {
  const n = parseNetwork(text);
  assert.ok(n, `${text} parses`);
  return n;
};

describe('IP addresses', () => {
  it('formats IPv6 as RFC 5952 says', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not compressed
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // the longest run wins
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ];
    for (const [input, want] of cases) assert.equal(formatAddress(addr(input)), want, input);
  });

  it('refuses what is not an address', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.4 ',
      '1::2::3',
      ':1',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'fe80::1%eth0',
      '1.2.3.4::',
      'g::1',
      '[::1]',
    ]) {
      assert.equal(parseAddress(bad), undefined, JSON.stringify(bad));
    }
  });

  it('reads networks, notices host bits, and refuses bad prefixes', () => {
    assert.deepEqual(net('10.1.2.3/8'), { family: 4, network: 0x0a000000n, prefix: 8, hostBitsSet: true });
    assert.equal(net('10.0.0.0/8').hostBitsSet, false);
    assert.equal(formatNetwork(net('2001:db8::/32')), '2001:db8::/32');
    assert.equal(formatNetwork(net('192.0.2.1/32')), '192.0.2.1');
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '::/129', '10.0.0.0/-1', '10.0.0.0']) {
      assert.equal(parseNetwork(bad), undefined, bad);
    }
  });

  it('answers containment and overlap, never across families', () => {
    assert.ok(networkContains(net('10.0.0.0/8'), addr('10.255.1.2')));
    assert.ok(!networkContains(net('10.0.0.0/8'), addr('11.0.0.0')));
    assert.ok(networkContains(net('0.0.0.0/0'), addr('203.0.113.9')));
    assert.ok(networksOverlap(net('10.0.0.0/8'), net('10.1.0.0/16')));
    assert.ok(networksOverlap(net('10.1.0.0/16'), net('10.0.0.0/8')));
    assert.ok(!networksOverlap(net('10.0.0.0/16'), net('10.1.0.0/16')));
    assert.ok(!networksOverlap(net('::/0'), hostNetwork(addr('10.0.0.1'))));
    assert.deepEqual(unmapV4(addr('::ffff:10.0.0.1')), addr('10.0.0.1'));
    assert.deepEqual(unmapV4(addr('::10.0.0.1')), addr('::10.0.0.1'), 'IPv4-compatible is not mapped');
  });
});

describe('/proc/net/{tcp,tcp6,udp,udp6} parser', () => {
  it('decodes the captured sockets', () => {
    const tcp = parseProcNetSockets(readFixture('network/proc/net/tcp'), 4);
    assert.equal(tcp.length, 4);
    const listen = tcp[0]!;
    assert.equal(formatAddress(listen.localAddress), '10.77.0.1');
    assert.equal(listen.localPort, 7001);
    assert.equal(formatAddress(listen.remoteAddress), '0.0.0.0');
    assert.equal(listen.state, 0x0a);
    assert.equal(listen.inode, 450992);
    const client = tcp[2]!;
    assert.equal(formatAddress(client.localAddress), '10.77.0.2');
    assert.equal(client.localPort, 40001);
    assert.equal(client.remotePort, 7001);
    assert.equal(client.state, 1);

    const tcp6 = parseProcNetSockets(readFixture('network/proc/net/tcp6'), 6);
    assert.deepEqual(
      tcp6.map(
        (s) =>
          `${formatAddress(unmapV4(s.localAddress))}:${s.localPort}>${formatAddress(unmapV4(s.remoteAddress))}:${s.remotePort}`,
      ),
      [
        ':::7002>:::0',
        '127.0.0.1:7002>127.0.0.1:40003',
        'fd77::2:40002>fd77::1:7002',
        'fd77::1:7002>fd77::2:40002',
      ],
    );
    const udp = parseProcNetSockets(readFixture('network/proc/net/udp'), 4);
    assert.deepEqual(
      udp.map((s) => [s.localPort, s.state, s.inode]),
      [
        [5353, 7, 451000],
        [40004, 1, 451001],
      ],
    );
  });

  it('skips malformed lines and says why', () => {
    const skipped: string[] = [];
    const text = `${readFixture('network/proc/net/tcp')}   9: 0100007F:ZZZZ 00000000:0000 0A\n  10: garbage\n`;
    const entries = parseProcNetSockets(text, 4, { skipped: (_l, why) => skipped.push(why) });
    assert.equal(entries.length, 4);
    assert.deepEqual(skipped, ['malformed socket line', 'malformed socket line']);
    // An IPv6 line given as IPv4 is refused, not misread.
    assert.equal(parseProcNetSockets(readFixture('network/proc/net/tcp6'), 4).length, 0);
  });

  it('counts states without decoding', () => {
    assert.deepEqual([...countSocketStates(readFixture('network/proc/net/tcp'))].sort(), [
      [1, 3],
      [10, 1],
    ]);
    assert.deepEqual([...countSocketStates('header only\n')], []);
  });

  it('reads big-endian words in network order when told', () => {
    const line =
      '  sl  local\n   0: 0A4D0001:1B59 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7 1\n';
    const [s] = parseProcNetSockets(line, 4, { littleEndian: false });
    assert.equal(formatAddress(s!.localAddress), '10.77.0.1');
  });
});

describe('ip -j addr parser', () => {
  it('reads names, MACs, MTUs, states and addresses', () => {
    const links = parseIpAddr(readFixture('network/ip-addr.json'));
    assert.deepEqual(
      links.map((l) => l.name),
      ['lo', 'veth-b', 'veth-a'],
    );
    const a = links.find((l) => l.name === 'veth-a')!;
    assert.equal(a.mtu, 1400);
    assert.equal(a.operState, 'up');
    assert.match(a.mac!, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.deepEqual(
      a.addresses.map((x) => `${x.family} ${x.address}/${x.prefixLength}`),
      ['ipv4 10.77.0.1/24', 'ipv6 fd77::1/64', `ipv6 ${a.addresses[2]!.address}/64`],
    );
    assert.equal(links[0]!.operState, 'unknown');
    assert.deepEqual(
      links[0]!.addresses.map((x) => x.address),
      ['127.0.0.1', '::1'],
    );
  });

  it('refuses what is not an array and skips entries without a name', () => {
    assert.throws(() => parseIpAddr('{}'), /JSON array/);
    const skipped: string[] = [];
    assert.deepEqual(
      parseIpAddr('[{"ifindex":1},{"ifname":"x"}]', (_l, why) => skipped.push(why)),
      [],
    );
    assert.equal(skipped.length, 2);
  });
});

describe('ConnectionManager over the captured procfs', () => {
  const manager = new ConnectionManager(new LocalHost(tree('network')));

  it('lists every socket with IPv4-mapped peers shown as IPv4', async () => {
    const page = await manager.list();
    assert.equal(page.total, 11);
    const mapped = page.items.find((c) => c.localPort === 7002 && c.remotePort === 40003)!;
    assert.equal(mapped.family, 'ipv6');
    assert.equal(mapped.remoteAddress, '127.0.0.1');
    assert.equal(mapped.state, 'established');
    const unconn = page.items.find((c) => c.protocol === 'udp' && c.localPort === 5353)!;
    assert.equal(unconn.state, 'unconn');
    // The fixture tree holds no processes: no owner, rather than a wrong one.
    assert.ok(page.items.every((c) => c.pid === null && c.process === null));
  });

  it('filters by state, port, protocol and remote network, and pages', async () => {
    const listen = await manager.list({ state: ['listen'] });
    assert.deepEqual(
      listen.items.map((c) => [c.localAddress, c.localPort]),
      [
        ['10.77.0.1', 7001],
        ['::', 7002],
      ],
    );
    const port = await manager.list({ port: 7001 });
    assert.equal(port.total, 3, 'the listener and both ends of the connection');
    const remote = await manager.list({ remote: net('10.77.0.0/24') });
    assert.deepEqual(remote.items.map((c) => c.remoteAddress).sort(), [
      '10.77.0.1',
      '10.77.0.1',
      '10.77.0.2',
    ]);
    const v6peer = await manager.list({ remote: hostNetwork(addr('fd77::2')) });
    assert.equal(v6peer.total, 1);
    const udp = await manager.list({ protocol: 'udp', state: ['established'] });
    assert.deepEqual(
      udp.items.map((c) => c.remotePort),
      [9],
    );
    const paged = await manager.list({ offset: 10, limit: 5 });
    assert.equal(paged.total, 11);
    assert.equal(paged.items.length, 1);
  });

  it('sums connections per remote address, leaving out listeners', async () => {
    const summary = await manager.summary();
    assert.equal(summary.connections, 7);
    const peer = summary.peers.find((p) => p.remoteAddress === '10.77.0.1')!;
    assert.deepEqual(peer.states, { established: 2 });
    assert.deepEqual(peer.localPorts, [40001, 40004]);
    assert.deepEqual(peer.protocols.sort(), ['tcp', 'udp']);
    assert.equal(peer.remotePortCount, 2);
    assert.ok(!summary.peers.some((p) => p.remoteAddress === '0.0.0.0' || p.remoteAddress === '::'));
    // Most connections first.
    const counts = summary.peers.map((p) => p.connections);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
    );
  });
});

describe('interface rates from kept samples', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-ifrates-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'proc/net'), { recursive: true });
  mkdirSync(path.join(dir, 'sys/class/net'), { recursive: true });
  const devFile = path.join(dir, 'proc/net/dev');
  const header = readFixture('network/proc/net/dev').split('\n').slice(0, 2).join('\n');
  const writeDev = (rx: number, tx: number) =>
    writeFileSync(
      devFile,
      `${header}\n  hyp9: ${rx} ${rx / 100} 0 0 0 0 0 0 ${tx} ${tx / 100} 0 0 0 0 0 0\n`,
    );

  let now = 1_000_000;
  const manager = new InterfaceManager(
    new LocalHost({ procfs: path.join(dir, 'proc'), sysfs: path.join(dir, 'sys') }),
    () => now,
  );

  it('primes with a short sample on the first call, then uses the kept reading', async () => {
    writeDev(10_000, 5_000);
    const started = Date.now();
    const first = await manager.list();
    assert.ok(Date.now() - started >= PRIME_MS - 50, 'the first call sampled');
    const dev = first.items.find((i) => i.name === 'hyp9')!;
    assert.equal(dev.counters.rxBytes, 10_000);
    assert.equal(dev.counters.txPackets, 50);
    assert.equal(first.rateWindowSeconds, 0, 'the injected clock did not move');
    assert.equal(dev.rates, null, 'no window, no rate');

    // 2 s later, 4000 bytes more in, 1000 more out: kept reading → no sleep, exact rates.
    now += 2000;
    writeDev(14_000, 6_000);
    const t = Date.now();
    const second = await manager.list();
    assert.ok(Date.now() - t < PRIME_MS, 'no sampling sleep when a kept reading exists');
    const d2 = second.items.find((i) => i.name === 'hyp9')!;
    assert.equal(second.rateWindowSeconds, 2);
    assert.equal(d2.rates!.rxBytes, 2000);
    assert.equal(d2.rates!.txBytes, 500);
    assert.equal(d2.rates!.rxPackets, 20);
  });

  it('prefers a reading at least a second old over a fresher one', async () => {
    now += 300; // a poll 0.3 s after the last one
    writeDev(14_300, 6_000);
    const r = await manager.list();
    assert.equal(r.rateWindowSeconds, 2.3, 'the reading 2.3 s old, not the one 0.3 s old');
    assert.equal(r.items[0]!.rates!.rxBytes, 1869.57);
    now += 900; // readings now 3.2 s, 1.2 s and 0.9 s old
    writeDev(15_500, 6_000);
    const r2 = await manager.list();
    assert.equal(r2.rateWindowSeconds, 1.2, 'the newest reading that is at least 1 s old');
    assert.equal(r2.items[0]!.rates!.rxBytes, 1250);
  });

  it('gives no rate when counters went back (a reset)', async () => {
    now += 2000;
    writeDev(100, 100);
    const r = await manager.list();
    assert.equal(r.items[0]!.counters.rxBytes, 100);
    assert.equal(r.items[0]!.rates, null);
  });
});

describe('sockets collector', () => {
  it('counts sockets by protocol and state, every state present', async () => {
    const families = await socketsCollector.collect({
      host: new LocalHost(tree('network')),
      log: pino({ level: 'silent' }),
      settings: defaultSettings(),
      skipped: () => () => undefined,
    });
    const f = families.find((x) => x.name === 'hyperion_network_connections')!;
    const v = (protocol: string, state: string) =>
      f.samples.find((s) => s.labels.protocol === protocol && s.labels.state === state)?.value;
    assert.equal(v('tcp', 'established'), 6);
    assert.equal(v('tcp', 'listen'), 2);
    assert.equal(v('tcp', 'time_wait'), 0);
    assert.equal(v('udp', 'unconn'), 2);
    assert.equal(v('udp', 'established'), 1);
    assert.ok(
      f.samples.every((s) => Object.keys(s.labels).sort().join() === 'protocol,state'),
      'no other labels',
    );
  });

  it('exports nothing (and does not fail) where no socket file exists', async () => {
    const families = await socketsCollector.collect({
      host: new LocalHost(tree('mountns')),
      log: pino({ level: 'silent' }),
      settings: defaultSettings(),
      skipped: () => () => undefined,
    });
    assert.deepEqual(families, []);
  });
});
