import path from 'node:path';
import type { Host } from '../hosts/host.js';
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

/** node_exporter's spelling of a name in a label value: lower case, odd characters as "_". */
export function cleanChipName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9:_]/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The chip's label value, from the device it belongs to rather than from its hwmonN directory.
 * The kernel numbers hwmonN in the order drivers register, which changes from one boot to the
 * next (a module loads sooner, a disk is added), and a label built on it would move a sensor's
 * history to another series. The device path is stable: `.../platform/coretemp.0` gives
 * `platform_coretemp_0`, `.../nvme/nvme0` gives `nvme_nvme0` — node_exporter's names, so
 * queries carry over. A chip without a device link (the ABI allows it) falls back to its
 * driver name, and only without that to hwmonN.
 */
export function chipLabel(
  devicePath: string | undefined,
  driverName: string | undefined,
  dir: string,
): string {
  if (devicePath !== undefined) {
    const parts = devicePath.split('/').filter((p) => p !== '');
    const device = cleanChipName(parts.at(-1) ?? '');
    const parent = cleanChipName(parts.at(-2) ?? '');
    if (device !== '' && parent !== '') return `${parent}_${device}`;
    if (device !== '') return device;
  }
  const name = cleanChipName(driverName ?? '');
  return name !== '' ? name : cleanChipName(dir);
}

/** A symbolic link's target as a path, resolved against the directory that holds the link. */
async function follow(host: Host, link: string): Promise<string> {
  return path.posix.resolve(path.posix.dirname(link), await host.readLink(link));
}

/**
 * The directory of a chip under devices/: class/hwmon/hwmonN is a link into it. (A kernel with
 * the old sysfs layout has a directory, not a link, in class/hwmon: it is its own place.)
 */
function chipDirectory(host: Host, root: string, chip: string): Promise<string> {
  return follow(host, under(root, chip)).catch(() => under(root, chip));
}

/**
 * Where a chip's `device` link leads. The link is relative to the chip's directory under
 * devices/, whose parents are real directories, so the resolved path is the device's own.
 * Undefined for a chip without the link.
 */
function devicePath(host: Host, chipDir: string): Promise<string | undefined> {
  return follow(host, under(chipDir, 'device')).catch(() => undefined);
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
    // Each step's requests at once: on a remote host, one round trip per step.
    const [listings, chipDirs] = await Promise.all([
      Promise.all(chips.map((chip) => host.listDir(under(root, chip)).catch(() => [] as { name: string }[]))),
      Promise.all(chips.map((chip) => chipDirectory(host, root, chip))),
    ]);
    // One batch read for every name and sensor file: a single round trip on remote hosts.
    const wanted: string[] = [];
    const sensors: { index: number; sensor: string }[] = [];
    chips.forEach((chip, index) => {
      wanted.push(under(root, chip, 'name'));
      for (const { name } of listings[index]!) {
        const match = TEMP_INPUT.exec(name);
        if (!match) continue;
        const sensor = `temp${match[1]}`;
        sensors.push({ index, sensor });
        for (const suffix of ['input', 'max', 'crit', 'label'])
          wanted.push(under(root, chip, `${sensor}_${suffix}`));
      }
    });
    const [files, devices] = await Promise.all([
      host.readFiles(wanted),
      Promise.all(chipDirs.map((dir) => devicePath(host, dir))),
    ]);
    const text = (...parts: string[]): string | undefined => {
      const r = files.get(under(root, ...parts));
      return r?.ok ? r.text.trim() : undefined;
    };

    const driverNames = chips.map((chip) => text(chip, 'name'));
    const labels = chips.map((chip, i) => chipLabel(devices[i], driverNames[i], chip));
    // Two chips can only share a label when neither has a device link and their drivers share
    // a name: the hwmonN suffix then keeps the series apart (unstable, but never a broken scrape).
    const chipOf = labels.map((label, i) =>
      labels.indexOf(label) !== labels.lastIndexOf(label) ? `${label}_${cleanChipName(chips[i]!)}` : label,
    );

    const m = new FamilyBuilder();
    // The driver's name (coretemp, nvme, k10temp) is what a person recognises; it lives in a
    // series of its own so `chip` can stay stable: join on chip for a legend.
    const names = m.gauge(
      'hyperion_hwmon_chip_names',
      'The driver name of each hwmon chip (chip_name), as node_exporter spells it; always 1.',
    );
    chips.forEach((_chip, i) => {
      const name = cleanChipName(driverNames[i] ?? '');
      if (name !== '') sample(names, 1, { chip: chipOf[i]!, chip_name: name });
    });
    const temp = m.gauge('hyperion_hwmon_temp_celsius', 'Temperature of a hardware sensor.');
    const max = m.gauge('hyperion_hwmon_temp_max_celsius', 'The sensor’s high threshold.');
    const crit = m.gauge('hyperion_hwmon_temp_crit_celsius', 'The sensor’s critical threshold.');
    for (const { index, sensor } of sensors) {
      const chip = chips[index]!;
      const sensorLabels = { chip: chipOf[index]!, sensor, label: text(chip, `${sensor}_label`) ?? '' };
      sample(temp, celsius(text(chip, `${sensor}_input`)), sensorLabels);
      sample(max, celsius(text(chip, `${sensor}_max`)), sensorLabels);
      sample(crit, celsius(text(chip, `${sensor}_crit`)), sensorLabels);
    }
    return m.build();
  },
};
