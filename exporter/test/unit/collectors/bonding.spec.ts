import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bondingCollector } from '../../../src/collectors/bonding.js';
import { collect, family, tempDir, tree, value } from '../helpers.js';

describe('bonding collector', () => {
  it('counts each bond’s slaves and those whose link is up, under both sysfs layouts', async () => {
    const { families } = await collect(bondingCollector, tree('bonding'));
    // bond0: lower_<slave> links (Linux 4.x on), one slave down
    assert.equal(value(families, 'hyperion_bonding_slaves', { master: 'bond0' }), 2);
    assert.equal(value(families, 'hyperion_bonding_active', { master: 'bond0' }), 1);
    assert.equal(value(families, 'hyperion_bonding_slave_up', { master: 'bond0', slave: 'veth0' }), 1);
    assert.equal(value(families, 'hyperion_bonding_slave_up', { master: 'bond0', slave: 'veth1' }), 0);
    // bond1: slave_<slave> links of older kernels
    assert.equal(value(families, 'hyperion_bonding_slaves', { master: 'bond1' }), 1);
    assert.equal(value(families, 'hyperion_bonding_active', { master: 'bond1' }), 1);
    // bond2: no slaves at all
    assert.equal(value(families, 'hyperion_bonding_slaves', { master: 'bond2' }), 0);
    assert.equal(value(families, 'hyperion_bonding_active', { master: 'bond2' }), 0);
    assert.equal(family(families, 'hyperion_bonding_slave_up')!.samples.length, 3);
  });

  it('returns no series, without failing, without the bonding driver', async () => {
    const empty = tempDir();
    try {
      assert.deepEqual((await collect(bondingCollector, { sysfs: empty.dir })).families, []);
      assert.deepEqual((await collect(bondingCollector, tree('captured'))).families, []);
    } finally {
      empty.cleanup();
    }
  });
});
