import { parseLoadavg } from '../parsers/loadavg.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

export const loadavgCollector: Collector = {
  name: 'loadavg',
  description: '1, 5 and 15 minute load averages from /proc/loadavg',
  defaultEnabled: true,
  async collect({ host }) {
    const load = parseLoadavg(await host.readFile(under(host.paths.procfs, 'loadavg')));
    const m = new FamilyBuilder();
    sample(m.gauge('hyperion_load1', '1 minute load average.'), load.load1);
    sample(m.gauge('hyperion_load5', '5 minute load average.'), load.load5);
    sample(m.gauge('hyperion_load15', '15 minute load average.'), load.load15);
    return m.build();
  },
};
