/**
 * Runs every parser spec in one process. Each test file costs a process and tsx's start-up
 * (about a second on the shared 2-core machine) while the tests themselves take milliseconds,
 * so the specs stay small files of their own and are loaded from here. Run one alone with
 * `node --import tsx --test test/unit/parsers/<name>.spec.ts`.
 */
import './adjtimex.spec.js';
import './diskstats.spec.js';
import './file-nr.spec.js';
import './loadavg.spec.js';
import './mdstat.spec.js';
import './meminfo.spec.js';
import './mounts.spec.js';
import './net-dev.spec.js';
import './nf-conntrack.spec.js';
import './os-release.spec.js';
import './pid-stat.spec.js';
import './pressure.spec.js';
import './proc-stat.spec.js';
import './prom-text.spec.js';
import './vmstat.spec.js';
