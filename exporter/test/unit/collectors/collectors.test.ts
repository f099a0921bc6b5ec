/**
 * Runs every collector spec in one process: each test file costs a process and tsx's start-up
 * (about a second on the shared 2-core machine) while the tests take milliseconds. Run one
 * alone with `node --import tsx --test test/unit/collectors/<name>.spec.ts`.
 */
import './bonding.spec.js';
import './conntrack.spec.js';
import './cpu.spec.js';
import './diskstats.spec.js';
import './filefd.spec.js';
import './filesystem.spec.js';
import './hwmon.spec.js';
import './loadavg.spec.js';
import './mdadm.spec.js';
import './meminfo.spec.js';
import './netdev.spec.js';
import './pressure.spec.js';
import './processes.spec.js';
import './system.spec.js';
import './textfile.spec.js';
import './thermal.spec.js';
import './time.spec.js';
import './timex.spec.js';
import './vmstat.spec.js';
