import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeCollector } from '../../../src/collectors/time.js';
import { collect, family, tempDir, tree, value } from '../helpers.js';

describe('time collector', () => {
  it('exports the captured clock sources, available and current', async () => {
    const { families } = await collect(timeCollector, tree('captured'));
    const labels = { clocksource: 'kvm-clock', device: '0' };
    assert.equal(value(families, 'hyperion_time_clocksource_available_info', labels), 1);
    assert.equal(value(families, 'hyperion_time_clocksource_current_info', labels), 1);
    assert.equal(family(families, 'hyperion_time_clocksource_available_info')!.samples.length, 1);
  });

  it('lists every available source, one current', async () => {
    const dir = tempDir();
    try {
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const cs = `${dir.dir}/devices/system/clocksource/clocksource0`;
      mkdirSync(cs, { recursive: true });
      writeFileSync(`${cs}/available_clocksource`, 'tsc hpet acpi_pm \n');
      writeFileSync(`${cs}/current_clocksource`, 'hpet\n');
      const { families } = await collect(timeCollector, { sysfs: dir.dir });
      assert.deepEqual(
        family(families, 'hyperion_time_clocksource_available_info')!.samples.map(
          (s) => s.labels.clocksource,
        ),
        ['tsc', 'hpet', 'acpi_pm'],
      );
      assert.deepEqual(
        family(families, 'hyperion_time_clocksource_current_info')!.samples.map((s) => s.labels.clocksource),
        ['hpet'],
      );
      assert.deepEqual((await collect(timeCollector, { sysfs: `${dir.dir}/none` })).families, []);
    } finally {
      dir.cleanup();
    }
  });
});
