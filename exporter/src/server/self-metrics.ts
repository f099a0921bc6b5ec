/** The exporter's own metrics: build info and prom-client's process_* and nodejs_* series. */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from '../version.js';

export function createSelfRegistry(): Registry {
  const registry = new Registry();
  // The event-loop delay monitor wakes every 10 ms by default: ~10 ms of CPU per idle second,
  // ten times the cost of a scrape. One sample a second still catches a blocked loop.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
  // prom-client names these gauges with a _total suffix, which Prometheus reserves for
  // counters (promtool check metrics flags them); the per-type nodejs_active_* gauges remain.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ]) {
    registry.removeSingleMetric(name);
  }
  const info = new Gauge({
    name: 'hyperion_exporter_build_info',
    help: 'Version of the running exporter and of Node.js; the value is always 1.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  info.set({ version: VERSION, node_version: process.version }, 1);
  return registry;
}
