/** Every collector Hyperion has. Adding one is adding a file and a line here. */
import type { Collector } from './collector.js';
import { cpuCollector } from './cpu.js';
import { diskstatsCollector } from './diskstats.js';
import { filesystemCollector } from './filesystem.js';
import { hwmonCollector } from './hwmon.js';
import { loadavgCollector } from './loadavg.js';
import { meminfoCollector } from './meminfo.js';
import { netdevCollector } from './netdev.js';
import { pressureCollector } from './pressure.js';
import { processesCollector } from './processes.js';
import { socketsCollector } from './sockets.js';
import { systemCollector } from './system.js';
import { thermalCollector } from './thermal.js';

export const ALL_COLLECTORS: readonly Collector[] = [
  cpuCollector,
  diskstatsCollector,
  filesystemCollector,
  hwmonCollector,
  loadavgCollector,
  meminfoCollector,
  netdevCollector,
  pressureCollector,
  processesCollector,
  socketsCollector,
  systemCollector,
  thermalCollector,
];
