/** The exporter's own metrics: build info and prom-client's process_* and nodejs_* series. */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from '../version.js';

export function createSelfRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'hyperion_exporter_build_info',
    help: 'Version of the running exporter and of Node.js; the value is always 1.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  info.set({ version: VERSION, node_version: process.version }, 1);
  return registry;
}
