import { isNotFound } from '../util/errors.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';
import { sysfsNumber } from '../parsers/skip.js';

const TEMP_INPUT = /^temp(\d+)_input$/;

/** hwmon reports millidegrees Celsius (Documentation/hwmon/sysfs-interface.rst). */
function celsius(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = sysfsNumber(text);
  return Number.isFinite(n) ? n / 1000 : undefined;
}

export const hwmonCollector: Collector = {
  name: 'hwmon',
  description: 'Temperature sensors from /sys/class/hwmon (none is not an error)',
  defaultEnabled: true,
  async collect({ host }) {
    const root = under(host.paths.sysfs, 'class/hwmon');
    let chips: string[];
    try {
      chips = (await host.listDir(root)).map((d) => d.name).sort();
    } catch (error) {
      if (isNotFound(error)) return []; // a machine without sensors (most VMs)
      throw error;
    }
    const listings = await Promise.all(
      chips.map((chip) => host.listDir(under(root, chip)).catch(() => [] as { name: string }[])),
    );
    // One batch read for every name and sensor file: a single round trip on remote hosts.
    const wanted: string[] = [];
    const sensors: { chip: string; sensor: string }[] = [];
    chips.forEach((chip, i) => {
      wanted.push(under(root, chip, 'name'));
      for (const { name } of listings[i]!) {
        const match = TEMP_INPUT.exec(name);
        if (!match) continue;
        const sensor = `temp${match[1]}`;
        sensors.push({ chip, sensor });
        for (const suffix of ['input', 'max', 'crit', 'label'])
          wanted.push(under(root, chip, `${sensor}_${suffix}`));
      }
    });
    const files = await host.readFiles(wanted);
    const text = (...parts: string[]): string | undefined => {
      const r = files.get(under(root, ...parts));
      return r?.ok ? r.text.trim() : undefined;
    };

    // Chips are named by their driver; two chips of one driver are told apart by their hwmonN.
    const driverNames = chips.map((chip) => text(chip, 'name') ?? chip);
    const chipLabel = (i: number): string => {
      const name = driverNames[i]!;
      return driverNames.filter((n) => n === name).length > 1 ? `${name}_${chips[i]}` : name;
    };

    const m = new FamilyBuilder();
    const temp = m.gauge('hyperion_hwmon_temp_celsius', 'Temperature of a hardware sensor.');
    const max = m.gauge('hyperion_hwmon_temp_max_celsius', 'The sensor’s high threshold.');
    const crit = m.gauge('hyperion_hwmon_temp_crit_celsius', 'The sensor’s critical threshold.');
    for (const { chip, sensor } of sensors) {
      const labels = {
        chip: chipLabel(chips.indexOf(chip)),
        sensor,
        label: text(chip, `${sensor}_label`) ?? '',
      };
      sample(temp, celsius(text(chip, `${sensor}_input`)), labels);
      sample(max, celsius(text(chip, `${sensor}_max`)), labels);
      sample(crit, celsius(text(chip, `${sensor}_crit`)), labels);
    }
    return m.build();
  },
};
