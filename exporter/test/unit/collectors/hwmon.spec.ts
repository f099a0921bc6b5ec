import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { chipLabel, hwmonCollector } from '../../../src/collectors/hwmon.js';
import { collect, family, labelValues, tempDir, tree, value } from '../helpers.js';

const constructed = tree('constructed');

describe('hwmon collector', () => {
  it('exports each temperature sensor in degrees Celsius with its label, max and crit', async () => {
    const { families } = await collect(hwmonCollector, constructed);
    const core0 = { chip: 'platform_coretemp_0', sensor: 'temp2', label: 'Core 0' };
    assert.equal(value(families, 'hyperion_hwmon_temp_celsius', core0), 50);
    assert.equal(value(families, 'hyperion_hwmon_temp_max_celsius', core0), 84);
    assert.equal(value(families, 'hyperion_hwmon_temp_crit_celsius', core0), 100);
    const pkg = { chip: 'platform_coretemp_0', sensor: 'temp1', label: 'Package id 0' };
    assert.equal(value(families, 'hyperion_hwmon_temp_celsius', pkg), 52);
    assert.equal(
      value(families, 'hyperion_hwmon_temp_celsius', {
        chip: 'platform_coretemp_0',
        sensor: 'temp3',
        label: 'Core 1',
      }),
      49,
    );
  });

  it('names each chip from its device path, as node_exporter does, and two chips of one driver apart', async () => {
    const { families } = await collect(hwmonCollector, constructed);
    const composite = (chip: string): number | undefined =>
      value(families, 'hyperion_hwmon_temp_celsius', { chip, sensor: 'temp1', label: 'Composite' });
    assert.equal(composite('nvme_nvme0'), 38.85);
    assert.equal(composite('nvme_nvme1'), 41.85);
    const chips = new Set(labelValues(families, 'hyperion_hwmon_temp_celsius', 'chip'));
    // hwmon5 has no device link: its driver name; hwmon6 has neither: its directory.
    assert.deepEqual([...chips].sort(), [
      'hwmon6',
      'nvme_nvme0',
      'nvme_nvme1',
      'platform_coretemp_0',
      'thermal_thermal_zone0',
      'virtual_chip_1',
    ]);
  });

  it('keeps the driver names in hyperion_hwmon_chip_names, one series per chip with a name', async () => {
    const { families } = await collect(hwmonCollector, constructed);
    const names = family(families, 'hyperion_hwmon_chip_names')!.samples.map(
      (s) => `${s.labels.chip}=${s.labels.chip_name}=${s.value}`,
    );
    assert.deepEqual(names.sort(), [
      'nvme_nvme0=nvme=1',
      'nvme_nvme1=nvme=1',
      'platform_coretemp_0=coretemp=1',
      'power_supply_bat0=bat0=1', // a chip without a temperature is still named
      'thermal_thermal_zone0=acpitz=1',
      'virtual_chip_1=virtual_chip_1=1',
    ]);
  });

  it('keeps each sensor in its series when the kernel numbers the chips differently at the next boot', async () => {
    // Two boots of one machine: the same two NVMe drives, registered in the opposite order.
    const boot = (order: string[]) => {
      const root = tempDir();
      for (const [index, drive] of order.entries()) {
        const device = path.join(root.dir, 'devices/pci0000:00', drive, 'nvme', drive);
        const chip = path.join(device, `hwmon${index}`);
        mkdirSync(chip, { recursive: true });
        writeFileSync(path.join(chip, 'name'), 'nvme\n');
        writeFileSync(path.join(chip, 'temp1_input'), drive === 'nvme0' ? '30850\n' : '45850\n');
        symlinkSync(`../../${drive}`, path.join(chip, 'device'));
        mkdirSync(path.join(root.dir, 'class/hwmon'), { recursive: true });
        symlinkSync(chip, path.join(root.dir, 'class/hwmon', `hwmon${index}`));
      }
      return root;
    };
    const first = boot(['nvme0', 'nvme1']);
    const second = boot(['nvme1', 'nvme0']);
    try {
      const temps = async (sysfs: string) => {
        const { families } = await collect(hwmonCollector, { sysfs });
        return family(families, 'hyperion_hwmon_temp_celsius')!
          .samples.map((s) => `${s.labels.chip}=${s.value}`)
          .sort();
      };
      assert.deepEqual(await temps(first.dir), ['nvme_nvme0=30.85', 'nvme_nvme1=45.85']);
      assert.deepEqual(await temps(second.dir), await temps(first.dir));
    } finally {
      first.cleanup();
      second.cleanup();
    }
  });

  it('derives the label as node_exporter does: parent and device, cleaned; then the name; then hwmonN', () => {
    assert.equal(
      chipLabel('/sys/devices/pci0000:00/0000:00:18.3', 'k10temp', 'hwmon1'),
      'pci0000:00_0000:00:18_3',
    );
    assert.equal(
      chipLabel('/sys/devices/platform/applesmc.768', 'applesmc', 'hwmon3'),
      'platform_applesmc_768',
    );
    assert.equal(
      chipLabel('/host/sys/devices/platform/nct6775.656', 'nct6779', 'hwmon2'),
      'platform_nct6775_656',
    );
    assert.equal(chipLabel(undefined, 'Dell-SMM', 'hwmon4'), 'dell_smm');
    assert.equal(chipLabel(undefined, '', 'hwmon4'), 'hwmon4');
  });

  it('leaves out thresholds a sensor does not have, and labels it "" without a label file', async () => {
    const { families } = await collect(hwmonCollector, constructed);
    const acpitz = { chip: 'thermal_thermal_zone0', sensor: 'temp1', label: '' };
    assert.equal(value(families, 'hyperion_hwmon_temp_celsius', acpitz), 27.8);
    assert.equal(value(families, 'hyperion_hwmon_temp_crit_celsius', acpitz), 105);
    assert.equal(value(families, 'hyperion_hwmon_temp_max_celsius', acpitz), undefined);
    const sensor1 = { chip: 'nvme_nvme0', sensor: 'temp2', label: 'Sensor 1' };
    assert.equal(value(families, 'hyperion_hwmon_temp_max_celsius', sensor1), 65261.85);
    assert.equal(value(families, 'hyperion_hwmon_temp_crit_celsius', sensor1), undefined);
    // 3 coretemp + 1 acpitz + 2 + 1 nvme sensors + 2 bare chips; the battery (voltage only) has none.
    assert.equal(family(families, 'hyperion_hwmon_temp_celsius')?.samples.length, 9);
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
