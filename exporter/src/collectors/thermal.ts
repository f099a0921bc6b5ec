import { isNotFound } from '../util/errors.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';
import { sysfsNumber } from '../parsers/skip.js';

export const thermalCollector: Collector = {
  name: 'thermal',
  description: 'Thermal zone temperatures from /sys/class/thermal (none is not an error)',
  defaultEnabled: true,
  async collect({ host }) {
    const root = under(host.paths.sysfs, 'class/thermal');
    let zones: string[];
    try {
      zones = (await host.listDir(root)).map((d) => d.name).filter((n) => n.startsWith('thermal_zone'));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const paths = zones.flatMap((z) => [under(root, z, 'type'), under(root, z, 'temp')]);
    const files = await host.readFiles(paths);
    const m = new FamilyBuilder();
    const temp = m.gauge('hyperion_thermal_zone_temp_celsius', 'Temperature of a thermal zone.');
    for (const zone of zones.sort()) {
      const type = files.get(under(root, zone, 'type'));
      const millis = files.get(under(root, zone, 'temp'));
      // Some zones refuse to be read while their device sleeps (EAGAIN, ENODATA): skip them.
      if (!millis?.ok) continue;
      sample(temp, sysfsNumber(millis.text) / 1000, {
        zone: zone.slice('thermal_zone'.length),
        type: type?.ok ? type.text.trim() : '',
      });
    }
    return m.build();
  },
};
