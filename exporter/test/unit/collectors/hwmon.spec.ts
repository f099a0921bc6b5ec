import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hwmonCollector } from '../../../src/collectors/hwmon.js';
import { collect, family, tempDir, tree, value } from '../helpers.js';

const constructed = tree('constructed');

describe('hwmon collector', () => {
  it('exports each temperature sensor in degrees Celsius with its label, max and crit', async () => {
    const { families } = await collect(hwmonCollector, constructed);
    const core0 = { chip: 'coretemp', sensor: 'temp2', label: 'Core 0' };
    assert.equal(value(families, 'hyperion_hwmon_temp_celsius', core0), 50);
    assert.equal(value(families, 'hyperion_hwmon_temp_max_celsius', core0), 84);
    assert.equal(value(families, 'hyperion_hwmon_temp_crit_celsius', core0), 100);
    const pkg = { chip: 'coretemp', sensor: 'temp1', label: 'Package id 0' };
    assert.equal(value(families, 'hyperion_hwmon_temp_celsius', pkg), 52);
    assert.equal(
      value(families, 'hyperion_hwmon_temp_celsius', { chip: 'coretemp', sensor: 'temp3', label: 'Core 1' }),
      49,
    );
  });

  it('tells two chips with the same driver name apart by their hwmon directory', async () => {
    const { families } = await collect(hwmonCollector, constructed);
    const composite = (chip: string): number | undefined =>
      value(families, 'hyperion_hwmon_temp_celsius', { chip, sensor: 'temp1', label: 'Composite' });
    assert.equal(composite('nvme_hwmon2'), 38.85);
    assert.equal(composite('nvme_hwmon3'), 41.85);
    const chips = new Set(family(families, 'hyperion_hwmon_temp_celsius')?.samples.map((s) => s.labels.chip));
    assert.deepEqual([...chips].sort(), ['acpitz', 'coretemp', 'nvme_hwmon2', 'nvme_hwmon3']);
  });

  it('leaves out thresholds a sensor does not have, and labels it "" without a label file', async () => {
    const { families } = await collect(hwmonCollector, constructed);
    const acpitz = { chip: 'acpitz', sensor: 'temp1', label: '' };
    assert.equal(value(families, 'hyperion_hwmon_temp_celsius', acpitz), 27.8);
    assert.equal(value(families, 'hyperion_hwmon_temp_crit_celsius', acpitz), 105);
    assert.equal(value(families, 'hyperion_hwmon_temp_max_celsius', acpitz), undefined);
    const sensor1 = { chip: 'nvme_hwmon2', sensor: 'temp2', label: 'Sensor 1' };
    assert.equal(value(families, 'hyperion_hwmon_temp_max_celsius', sensor1), 65261.85);
    assert.equal(value(families, 'hyperion_hwmon_temp_crit_celsius', sensor1), undefined);
    // 3 coretemp + 1 acpitz + 2 + 1 nvme sensors; the battery (voltage only) has none.
    assert.equal(family(families, 'hyperion_hwmon_temp_celsius')?.samples.length, 7);
    assert.equal(family(families, 'hyperion_hwmon_temp_max_celsius')?.samples.length, 6);
    assert.equal(family(families, 'hyperion_hwmon_temp_crit_celsius')?.samples.length, 6);
  });

  it('returns no series, without failing, when there is no class/hwmon', async () => {
    const empty = tempDir();
    try {
      assert.deepEqual((await collect(hwmonCollector, { sysfs: empty.dir })).families, []);
      assert.deepEqual((await collect(hwmonCollector, tree('captured'))).families, []);
    } finally {
      empty.cleanup();
    }
  });
});
