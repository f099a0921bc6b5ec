/** Every collector Hyperion has. Adding one is adding a file and a line here. */
import { bondingCollector } from './bonding.js';
import type { Collector } from './collector.js';
import { conntrackCollector } from './conntrack.js';
import { cpuCollector } from './cpu.js';
import { diskstatsCollector } from './diskstats.js';
import { filefdCollector } from './filefd.js';
import { filesystemCollector } from './filesystem.js';
import { hwmonCollector } from './hwmon.js';
import { loadavgCollector } from './loadavg.js';
import { mdadmCollector } from './mdadm.js';
import { meminfoCollector } from './meminfo.js';
import { netdevCollector } from './netdev.js';
import { pressureCollector } from './pressure.js';
import { processesCollector } from './processes.js';
import { socketsCollector } from './sockets.js';
import { systemCollector } from './system.js';
import { systemdCollector } from './systemd.js';
import { textfileCollector } from './textfile.js';
import { thermalCollector } from './thermal.js';
import { timeCollector } from './time.js';
import { timexCollector } from './timex.js';
import { vmstatCollector } from './vmstat.js';

export const ALL_COLLECTORS: readonly Collector[] = [
  bondingCollector,
  conntrackCollector,
  cpuCollector,
  diskstatsCollector,
  filefdCollector,
  filesystemCollector,
  hwmonCollector,
  loadavgCollector,
  mdadmCollector,
  meminfoCollector,
  netdevCollector,
  pressureCollector,
  processesCollector,
  socketsCollector,
  systemCollector,
  systemdCollector,
  textfileCollector,
  thermalCollector,
  timeCollector,
  timexCollector,
  vmstatCollector,
];
