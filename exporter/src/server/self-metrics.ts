/** The exporter's own metrics: build info and prom-client's process_* and nodejs_* series. */
import { createHistogram, performance } from 'node:perf_hooks';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from '../version.js';

/**
 * prom-client's event-loop gauges, replaced below. Its collector reads the delay histogram's
 * standard deviation and mean on every scrape, and Node computes both by walking every bucket of
 * the HdrHistogram: about 0.4 ms, a tenth of a whole scrape of this host, for the one figure
 * (stddev) nobody graphs.
 */
const PROM_CLIENT_EVENT_LOOP = [
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
];

/** How often the event loop's delay is sampled: once a second still catches a blocked loop. */
const SAMPLE_INTERVAL_MS = 1000;

/**
 * The event-loop delay since the previous scrape, under prom-client's names (seconds): min, max
 * and percentiles of how late a 1 s timer fired. Measured here rather than with Node's
 * monitorEventLoopDelay: that one restarts its clock on every reset, so with a coarse interval
 * the first second after each scrape went unseen.
 */
function registerEventLoopDelay(registry: Registry): void {
  const histogram = createHistogram();
  let due = performance.now() + SAMPLE_INTERVAL_MS;
  setInterval(() => {
    const now = performance.now();
    histogram.record(Math.max(1, Math.round((now - due) * 1e6))); // nanoseconds, at least 1
    due = now + SAMPLE_INTERVAL_MS;
  }, SAMPLE_INTERVAL_MS).unref(); // never keeps the exporter (or a test) alive
  const stats: [name: string, read: () => number][] = [
    ['min', () => histogram.min],
    ['max', () => histogram.max],
    ['p50', () => histogram.percentile(50)],
    ['p90', () => histogram.percentile(90)],
    ['p99', () => histogram.percentile(99)],
  ];
  const snapshot = new Map<string, number>();
  stats.forEach(([stat], i) => {
    new Gauge({
      name: `nodejs_eventloop_lag_${stat}_seconds`,
      help: `The ${stat} of the event loop delays since the previous scrape (a 1 s timer's lateness).`,
      registers: [registry],
      collect() {
        // The first gauge (a registry collects in registration order) reads every figure and
        // starts the next interval; an empty histogram reports absurd extremes, hence 0.
        if (i === 0) {
          const empty = histogram.count === 0;
          for (const [name, read] of stats) snapshot.set(name, empty ? 0 : read() / 1e9);
          histogram.reset();
        }
        this.set(snapshot.get(stat) ?? 0);
      },
    });
  });
}

export function createSelfRegistry(): Registry {
  const registry = new Registry();
  // The resolution only matters to prom-client's own event-loop monitor, which is removed below;
  // a coarse one keeps its (now unread) timer from waking the process 100 times a second.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 60_000 });
  // prom-client names these gauges with a _total suffix, which Prometheus reserves for
  // counters (promtool check metrics flags them); the per-type nodejs_active_* gauges remain.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
    ...PROM_CLIENT_EVENT_LOOP,
  ]) {
    registry.removeSingleMetric(name);
  }
  registerEventLoopDelay(registry);
  const info = new Gauge({
    name: 'hyperion_exporter_build_info',
    help: 'Version of the running exporter and of Node.js; the value is always 1.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  info.set({ version: VERSION, node_version: process.version }, 1);
  return registry;
}
