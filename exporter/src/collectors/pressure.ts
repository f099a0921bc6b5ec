import { parsePressure } from '../parsers/pressure.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

const RESOURCES = ['cpu', 'memory', 'io'] as const;

export const pressureCollector: Collector = {
  name: 'pressure',
  description: 'Pressure stall information (PSI) from /proc/pressure, where the kernel has it',
  defaultEnabled: true,
  async collect({ host, skipped }) {
    const paths = RESOURCES.map((r) => under(host.paths.procfs, 'pressure', r));
    const files = await host.readFiles(paths);
    const m = new FamilyBuilder();
    RESOURCES.forEach((resource, i) => {
      const file = files.get(paths[i]!);
      // Kernels before 4.20, or booted with psi=0, have no /proc/pressure: not a failure.
      if (!file?.ok) return;
      const psi = parsePressure(file.text, skipped(`pressure/${resource}`));
      const waiting = m.counter(
        `hyperion_pressure_${resource}_waiting_seconds_total`,
        `Seconds during which at least one task waited for ${resource}.`,
      );
      const stalled = m.counter(
        `hyperion_pressure_${resource}_stalled_seconds_total`,
        `Seconds during which all non-idle tasks were stalled on ${resource}.`,
      );
      sample(waiting, micros(psi.someMicros));
      sample(stalled, micros(psi.fullMicros));
    });
    return m.build();
  },
};

function micros(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value / 1e6;
}
