import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNetDev } from '../../../src/parsers/net-dev.js';
import { readFixture } from '../helpers.js';

describe('parseNetDev', () => {
  it('reads the captured /proc/net/dev, without reporting the two header lines', () => {
    const skips: string[] = [];
    const devices = parseNetDev(readFixture('captured/proc/net/dev'), (line) => skips.push(line));
    assert.deepEqual(skips, []);
    assert.deepEqual(
      devices.map((d) => d.device),
      ['lo', 'ifb0', 'ifb1', 'eth0'],
    );
    // "  eth0: 411514824   12993    0    0    0     0          0         0   866414    7914 …"
    const eth0 = devices.find((d) => d.device === 'eth0');
    assert.deepEqual(eth0?.receive, {
      bytes: 411514824,
      packets: 12993,
      errs: 0,
      drop: 0,
      fifo: 0,
      frameOrColls: 0,
      compressed: 0,
      multicastOrCarrier: 0,
    });
    assert.equal(eth0?.transmit.bytes, 866414);
    assert.equal(eth0?.transmit.packets, 7914);
    assert.equal(devices[0]?.receive.bytes, 384550);
  });

  it('keeps an interface whose name contains "|" (captured in a network namespace)', () => {
    const devices = parseNetDev(readFixture('netns/proc/net/dev'));
    assert.deepEqual(
      devices.map((d) => d.device),
      ['lo', 'a|b', 'v2', 'v1'],
    );
    // "   a|b:      70       1    0    1 …"
    const ab = devices.find((d) => d.device === 'a|b');
    assert.equal(ab?.receive.bytes, 70);
    assert.equal(ab?.receive.packets, 1);
    assert.equal(ab?.receive.drop, 1);
    // The veth pair mirrors itself: what v1 sent, v2 received.
    assert.equal(devices.find((d) => d.device === 'v1')?.transmit.bytes, 266);
    assert.equal(devices.find((d) => d.device === 'v2')?.receive.bytes, 266);
  });

  it('skips a line without interface, a short line, a non-numeric counter and an empty name', () => {
    const skips: string[] = [];
    const devices = parseNetDev(readFixture('malformed/proc/net/dev'), (line) => skips.push(line.trim()));
    assert.deepEqual(
      devices.map((d) => d.device),
      ['lo', 'ifb0'],
    );
    assert.equal(skips.length, 4);
    assert.equal(skips[0], 'this line is not an interface');
    assert.ok(skips[1]?.startsWith('eth0:'));
    assert.ok(skips[2]?.startsWith('eth1:'));
    assert.ok(skips[3]?.startsWith(':'));
  });
});
