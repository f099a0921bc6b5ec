import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { thermalCollector } from '../../../src/collectors/thermal.js';
import { collect, family, tempDir, tree, value } from '../helpers.js';

describe('thermal collector', () => {
  it('exports readable zones in degrees Celsius and skips the one whose temp cannot be read', async () => {
    const { families } = await collect(thermalCollector, tree('constructed'));
    assert.equal(value(families, 'hyperion_thermal_zone_temp_celsius', { zone: '0', type: 'acpitz' }), 27.8);
    assert.equal(
      value(families, 'hyperion_thermal_zone_temp_celsius', { zone: '1', type: 'x86_pkg_temp' }),
      52,
    );
    // thermal_zone2 has no readable temp; cooling_device0 is not a zone.
    assert.deepEqual(
      family(families, 'hyperion_thermal_zone_temp_celsius')?.samples.map((s) => s.labels.zone),
      ['0', '1'],
    );
  });

  it('returns no series, without failing, when there is no class/thermal', async () => {
    const empty = tempDir();
    try {
      assert.deepEqual((await collect(thermalCollector, { sysfs: empty.dir })).families, []);
    } finally {
      empty.cleanup();
    }
  });
});
