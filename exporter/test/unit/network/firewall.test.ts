/**
 * Firewall logic without a kernel: the table Hyperion builds compared with what nft really
 * listed for it (fixtures captured in a namespace by test/fixtures/network/capture.sh), element
 * diffs, comments, canonical targets, durations, and the anti-lockout rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firewallConfigSchema } from '../../../src/managers/firewall/config.js';
import {
  LOOPBACK_GUARDS,
  checkAddressBlock,
  checkPortBlock,
  parseSourceAddress,
  requestSources,
} from '../../../src/managers/firewall/lockout.js';
import { canonicalTarget, durationSchema, type Block } from '../../../src/managers/firewall/model.js';
import {
  diffElements,
  elementComment,
  idFromComment,
  patchCommands,
  rebuildCommands,
  structureProblems,
  COMMENT_MAX_BYTES,
} from '../../../src/managers/firewall/ruleset.js';
import { managementGuards } from '../../../src/managers/firewall/service.js';
import { parseNftTable, type NftTable } from '../../../src/parsers/nft-json.js';
import { HyperionError } from '../../../src/util/errors.js';
import { formatNetwork, hostNetwork, parseAddress, parseNetwork } from '../../../src/util/ip.js';
import { CAPTURED_BLOCKS, created } from '../../fixtures/network/blocks.js';
import { readFixture } from '../helpers.js';

function table(name: string): NftTable {
  const t = parseNftTable(readFixture(`network/nft/${name}.json`), 'inet', 'hyperion');
  assert.ok(t, `${name} holds the table`);
  return t;
}

const conflict = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof HyperionError, String(e));
  assert.equal(e.status, 409);
  assert.match(e.message, pattern);
  return true;
};

describe('nft -j listing parser', () => {
  it('reads sets, elements with timeouts and comments, chains and rules', () => {
    const t = table('table');
    assert.deepEqual(
      [...t.sets.keys()],
      ['blocked_ipv4', 'blocked_ipv6', 'blocked_tcp_ports', 'blocked_udp_ports'],
    );
    const v6 = t.sets.get('blocked_ipv6')!;
    assert.equal(v6.type, 'ipv6_addr');
    assert.deepEqual(v6.flags, ['interval', 'timeout']);
    assert.deepEqual(v6.elements[0], {
      value: { kind: 'value', text: '2001:db8::7' },
      timeoutSeconds: 3600,
      expiresSeconds: 3599,
      comment: 'hyperion:c3c3c3c3c3c3 alice: v6 "quoted" reason',
    });
    assert.deepEqual(v6.elements[1]!.value, { kind: 'prefix', address: '2001:db8:bad::', length: 48 });
    assert.deepEqual(t.sets.get('blocked_tcp_ports')!.elements[0]!.value, { kind: 'value', text: '8080' });
    assert.equal(t.chains.get('input')!.rules.length, 5);
    assert.equal(t.chains.get('input')!.priority, -10);
    assert.equal(t.chains.get('forward')!.hook, 'forward');
  });

  it('reads only its own table from a whole ruleset, and hand-added ranges', () => {
    const t = table('ruleset');
    assert.deepEqual([...t.chains.keys()], ['input', 'forward'], 'the other table’s input chain is not ours');
    assert.equal(t.chains.get('input')!.rules.length, 5);
    assert.deepEqual(t.sets.get('blocked_ipv4')!.elements.at(-1), {
      value: { kind: 'range', from: '203.0.113.10', to: '203.0.113.20' },
      timeoutSeconds: null,
      expiresSeconds: null,
      comment: null,
    });
    assert.equal(parseNftTable(readFixture('network/nft/ruleset.json'), 'inet', 'nothere'), undefined);
    assert.throws(() => parseNftTable('{"x":1}', 'inet', 'hyperion'), /no "nftables" array/);
  });
});

describe('the table Hyperion builds', () => {
  it('is exactly what nft lists back: no structural drift on a fresh table', () => {
    assert.deepEqual(structureProblems(table('table')), []);
  });

  it('notices a flushed table, a missing one, and a chain someone added', () => {
    assert.deepEqual(structureProblems(table('flushed')), [
      'chain input has 0 rule(s), not the 5 Hyperion wrote',
      'chain forward has 0 rule(s), not the 2 Hyperion wrote',
    ]);
    assert.deepEqual(structureProblems(undefined), ['table inet hyperion is missing']);
    const t = table('table');
    t.chains.set('sneaky', {
      name: 'sneaky',
      type: 'filter',
      hook: 'input',
      priority: 0,
      policy: 'accept',
      rules: [],
    });
    t.sets.delete('blocked_udp_ports');
    assert.deepEqual(structureProblems(t), [
      'set blocked_udp_ports is missing',
      'chain sneaky was added by someone else',
    ]);
  });

  it('finds the captured elements to be exactly the blocks that wrote them', () => {
    const diff = diffElements(table('table'), CAPTURED_BLOCKS);
    assert.deepEqual(diff.add, []);
    assert.deepEqual(diff.remove, []);
    assert.equal(diff.enforced.size, CAPTURED_BLOCKS.length);
    assert.equal(diff.enforced.get('e5e5e5e5e5e5'), 599, 'the kernel’s own count-down');
    assert.equal(diff.enforced.get('a1a1a1a1a1a1'), null);
  });

  it('removes elements nobody asked for, and replaces one under another block id', () => {
    const extra = diffElements(table('ruleset'), CAPTURED_BLOCKS);
    assert.deepEqual(extra.remove, [
      { set: 'blocked_ipv4', value: { kind: 'range', from: '203.0.113.10', to: '203.0.113.20' } },
    ]);
    assert.deepEqual(extra.add, []);

    const reblocked: Block[] = CAPTURED_BLOCKS.map((b) =>
      b.id === 'b2b2b2b2b2b2' ? { ...b, id: '999999999999' } : b,
    );
    const changed = diffElements(table('table'), reblocked);
    assert.deepEqual(changed.remove, [
      { set: 'blocked_ipv4', value: { kind: 'prefix', address: '198.51.100.0', length: 24 } },
    ]);
    assert.deepEqual(
      changed.add.map((b) => b.id),
      ['999999999999'],
    );

    const fewer = diffElements(
      table('table'),
      CAPTURED_BLOCKS.filter((b) => b.kind !== 'port'),
    );
    assert.deepEqual(fewer.remove.map((r) => r.set).sort(), ['blocked_tcp_ports', 'blocked_udp_ports']);
    const flushedElements = diffElements(table('flushed'), CAPTURED_BLOCKS);
    assert.deepEqual(flushedElements.add, [], '`nft flush table` keeps set elements; only the rules go');
  });

  it('writes remaining timeouts, comments, and one argument per command', () => {
    const now = Date.parse(created) + 1500; // 1.5 s after the capture's "now"
    const tx = rebuildCommands(CAPTURED_BLOCKS, now);
    assert.deepEqual(tx.nftables.slice(0, 3), [
      { add: { table: { family: 'inet', name: 'hyperion' } } },
      { delete: { table: { family: 'inet', name: 'hyperion' } } },
      { add: { table: { family: 'inet', name: 'hyperion' } } },
    ]);
    const tcp = tx.nftables.find((c) => JSON.stringify(c).includes('"blocked_tcp_ports","elem"')) as {
      add: { element: { elem: { elem: { val: number; timeout: number; comment: string } }[] } };
    };
    assert.deepEqual(tcp.add.element.elem[0]!.elem, {
      val: 8080,
      timeout: 599,
      comment: 'hyperion:e5e5e5e5e5e5 bob: temporary',
    });

    const patch = patchCommands(
      [CAPTURED_BLOCKS[0]!],
      [{ set: 'blocked_udp_ports', value: { kind: 'value', text: '53' } }],
      now,
    );
    assert.deepEqual(patch.nftables, [
      { delete: { element: { family: 'inet', table: 'hyperion', name: 'blocked_udp_ports', elem: [53] } } },
      {
        add: {
          element: {
            family: 'inet',
            table: 'hyperion',
            name: 'blocked_ipv4',
            elem: [{ elem: { val: '192.0.2.7', comment: 'hyperion:a1a1a1a1a1a1 alice: ssh brute force' } }],
          },
        },
      },
    ]);
  });

  it('cuts long comments to the kernel’s limit on a character boundary, keeping the id', () => {
    const block = { ...CAPTURED_BLOCKS[0]!, reason: 'é'.repeat(200) };
    const comment = elementComment(block);
    assert.ok(Buffer.byteLength(comment) <= COMMENT_MAX_BYTES);
    assert.ok(!comment.includes('\uFFFD'));
    assert.equal(idFromComment(comment), 'a1a1a1a1a1a1');
    assert.equal(idFromComment('hand-written'), undefined);
    assert.equal(idFromComment(null), undefined);
  });
});

describe('block targets and durations', () => {
  it('stores canonical targets (IPv4-mapped as IPv4, IPv6 in RFC 5952)', () => {
    assert.equal(canonicalTarget({ kind: 'address', address: '::ffff:10.0.0.1' }), '10.0.0.1');
    assert.equal(canonicalTarget({ kind: 'address', address: '2001:DB8:0::1' }), '2001:db8::1');
    assert.equal(canonicalTarget({ kind: 'cidr', cidr: '::ffff:10.0.0.0/104' }), '10.0.0.0/8');
    assert.equal(canonicalTarget({ kind: 'cidr', cidr: '2001:db8::/32' }), '2001:db8::/32');
    assert.equal(canonicalTarget({ kind: 'cidr', cidr: '192.0.2.1/32' }), '192.0.2.1/32');
  });

  it('reads durations in seconds or with a unit, and refuses the rest', () => {
    assert.equal(durationSchema.parse(3), 3);
    assert.equal(durationSchema.parse('90s'), 90);
    assert.equal(durationSchema.parse('15m'), 900);
    assert.equal(durationSchema.parse('2w'), 1_209_600);
    for (const bad of [0, -1, 1.5, '0s', '5x', '1h30m', ' 5m', '367d', 366 * 86400 + 1, '', null]) {
      assert.equal(durationSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});

describe('anti-lockout', () => {
  const net = (t: string) => parseNetwork(t) ?? hostNetwork(parseAddress(t)!);

  it('refuses loopback, saying why', () => {
    assert.throws(
      () => checkAddressBlock(net('127.0.0.53'), LOOPBACK_GUARDS),
      conflict(/127\.0\.0\.53.*covers 127\.0\.0\.0\/8, which is loopback/),
    );
    assert.throws(() => checkAddressBlock(net('::1'), LOOPBACK_GUARDS), conflict(/::1: it is loopback/));
    assert.throws(
      () => checkAddressBlock(net('0.0.0.0/0'), LOOPBACK_GUARDS),
      conflict(/covers 127\.0\.0\.0\/8/),
    );
    checkAddressBlock(net('192.0.2.1'), LOOPBACK_GUARDS);
  });

  it('refuses the request’s own address and every network containing it, direct or forwarded', () => {
    const sources = requestSources(
      '::ffff:10.77.0.3',
      '198.51.100.9, [2001:db8::9]:443, nonsense',
      '203.0.113.5:8080',
    );
    assert.deepEqual(
      sources.map((g) => formatNetwork(g.network)),
      ['10.77.0.3', '198.51.100.9', '2001:db8::9', '203.0.113.5'],
    );
    assert.throws(
      () => checkAddressBlock(net('10.77.0.3'), sources),
      conflict(/10\.77\.0\.3: it is the address this request came from/),
    );
    assert.throws(() => checkAddressBlock(net('10.77.0.0/24'), sources), conflict(/covers 10\.77\.0\.3/));
    assert.throws(() => checkAddressBlock(net('2001:db8::/32'), sources), conflict(/X-Forwarded-For/));
    checkAddressBlock(net('10.77.0.2'), sources);
    assert.deepEqual(requestSources(undefined, undefined, undefined), []);
    assert.equal(parseSourceAddress('fe80::1%eth0')?.family, 6);
  });

  it('refuses the configured management networks', () => {
    const guards = managementGuards(['10.20.0.0/16', '192.0.2.10']);
    assert.throws(
      () => checkAddressBlock(net('10.20.3.4'), guards),
      conflict(/management address.*10\.20\.0\.0\/16/),
    );
    assert.throws(() => checkAddressBlock(net('192.0.2.0/24'), guards), conflict(/covers 192\.0\.2\.10/));
    checkAddressBlock(net('10.21.0.0/16'), guards);
  });

  it('refuses a protected port without confirm, and names the guard with it', () => {
    const guards = [{ port: 22, protocol: 'tcp' as const, why: 'an SSH port' }];
    assert.throws(
      () => checkPortBlock(22, 'tcp', guards, false),
      conflict(/TCP port 22: it is an SSH port.*"confirm": true/),
    );
    assert.equal(checkPortBlock(22, 'tcp', guards, true), guards[0]);
    assert.equal(checkPortBlock(22, 'udp', guards, false), undefined, 'UDP 22 is not SSH');
  });

  it('validates the firewall configuration block', () => {
    assert.deepEqual(firewallConfigSchema.parse({}), {
      managementAddresses: [],
      sshPorts: [22],
      reconcileIntervalSeconds: 60,
    });
    assert.equal(firewallConfigSchema.safeParse({ managementAddresses: ['10.0.0.1/8'] }).success, false);
    assert.equal(firewallConfigSchema.safeParse({ managementAddresses: ['grafana'] }).success, false);
    assert.equal(firewallConfigSchema.safeParse({ reconcileIntervalSeconds: 0 }).success, false);
    assert.ok(
      firewallConfigSchema.safeParse({ managementAddresses: ['2001:db8::/32', '192.0.2.1'] }).success,
    );
  });
});
