/**
 * Runs some of the exporter's collectors once, on this process's view of the machine, and
 * prints the exposition: started with `ip netns exec NS node --import tsx collect-here.ts NAME…`
 * it shows what the collectors see inside a test's network namespace (its conntrack table, its
 * sysfs with its own network devices), through the same registry and renderer as /metrics.
 */
import pino from 'pino';
import { ALL_COLLECTORS } from '../../src/collectors/index.js';
import { CollectorRegistry } from '../../src/collectors/registry.js';
import { LocalHost } from '../../src/hosts/local-host.js';
import { renderFamilies } from '../../src/server/exposition.js';
import { defaultSettings } from '../unit/helpers.js';

const names = process.argv.slice(2);
const registry = new CollectorRegistry(
  ALL_COLLECTORS,
  new Set(names),
  defaultSettings(),
  pino({ level: 'silent' }),
);
process.stdout.write(renderFamilies(await registry.collect(new LocalHost(), names)));
