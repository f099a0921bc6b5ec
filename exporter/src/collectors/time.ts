import type { Host } from '../hosts/host.js';
import { fields } from '../parsers/skip.js';
import { isNotFound } from '../util/errors.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

/**
 * The clock sources of /sys/devices/system/clocksource/clocksourceN (Documentation/ABI/testing/
 * sysfs-devices-system-cpu): which the kernel could use and which it uses. A switch from `tsc`
 * to `hpet` or `acpi_pm` (the kernel found the TSC unstable) is a known cause of clock drift
 * and of slow time reads. The clock itself is hyperion_time_seconds (the system collector).
 */
/**
 * The kernel registers its clocksource device (one, clocksource0) at boot and never removes it:
 * the directory is listed once per host, not on every scrape.
 */
const devicesOf = new WeakMap<Host, Promise<string[]>>();

function clocksourceDevices(host: Host, root: string): Promise<string[]> {
  let devices = devicesOf.get(host);
  if (!devices) {
    devices = host
      .listDir(root)
      .then((entries) =>
        entries
          .map((d) => d.name)
          .filter((n) => /^clocksource\d+$/.test(n))
          .sort(),
      )
      .catch((error: unknown) => {
        if (isNotFound(error)) return [];
        devicesOf.delete(host); // not kept: another failure may pass (a remote host's connection)
        throw error;
      });
    devicesOf.set(host, devices);
  }
  return devices;
}

export const timeCollector: Collector = {
  name: 'time',
  description: 'Clock sources available and in use, from /sys/devices/system/clocksource',
  defaultEnabled: true,
  async collect({ host }) {
    const root = under(host.paths.sysfs, 'devices/system/clocksource');
    const devices = await clocksourceDevices(host, root);
    if (devices.length === 0) return [];
    const files = await host.readFiles(
      devices.flatMap((d) => [
        under(root, d, 'available_clocksource'),
        under(root, d, 'current_clocksource'),
      ]),
    );
    const m = new FamilyBuilder();
    const available = m.gauge(
      'hyperion_time_clocksource_available_info',
      'A clock source the kernel can use; always 1.',
    );
    const current = m.gauge(
      'hyperion_time_clocksource_current_info',
      'The clock source the kernel uses; always 1.',
    );
    for (const dir of devices) {
      const device = dir.slice('clocksource'.length);
      const list = files.get(under(root, dir, 'available_clocksource'));
      const now = files.get(under(root, dir, 'current_clocksource'));
      if (list?.ok)
        for (const clocksource of fields(list.text))
          if (clocksource) sample(available, 1, { clocksource, device });
      if (now?.ok && now.text.trim() !== '') sample(current, 1, { clocksource: now.text.trim(), device });
    }
    return m.build();
  },
};
