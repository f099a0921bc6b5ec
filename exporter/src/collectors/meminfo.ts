import { parseMeminfo } from '../parsers/meminfo.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

/** Exported series and the /proc/meminfo key each comes from. */
const FIELDS: [metric: string, key: string, help: string][] = [
  ['total', 'MemTotal', 'Usable RAM.'],
  ['available', 'MemAvailable', 'Memory available for new work without swapping (the kernel estimate).'],
  ['free', 'MemFree', 'Memory not used at all.'],
  ['buffers', 'Buffers', 'Memory in block-device buffers.'],
  ['cached', 'Cached', 'Memory in the page cache.'],
  ['shared', 'Shmem', 'Memory in shared memory and tmpfs.'],
  ['swap_total', 'SwapTotal', 'Total swap space.'],
  ['swap_free', 'SwapFree', 'Unused swap space.'],
];

export const meminfoCollector: Collector = {
  name: 'meminfo',
  description: 'Memory and swap from /proc/meminfo',
  defaultEnabled: true,
  async collect({ host, skipped }) {
    const info = parseMeminfo(await host.readFile(under(host.paths.procfs, 'meminfo')), skipped('meminfo'));
    if (!info.has('MemTotal')) throw new Error('/proc/meminfo has no MemTotal');
    const m = new FamilyBuilder();
    for (const [metric, key, help] of FIELDS) {
      sample(m.gauge(`hyperion_memory_${metric}_bytes`, help), info.get(key));
    }
    return m.build();
  },
};
