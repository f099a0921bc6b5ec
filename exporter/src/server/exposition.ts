/**
 * Renders metric families in the Prometheus text format through prom-client, so there is one
 * serializer for host metrics and the exporter's own (process_*, nodejs_*, API) metrics.
 */
import { Registry, type Metric } from 'prom-client';
import type { MetricFamily } from '../collectors/collector.js';

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * prom-client renders any registered object whose get() returns {name, help, type, values};
 * its typings only admit its own metric classes, hence the cast. Collected values are set
 * fresh each scrape, which prom-client's Counter (increment-only) cannot express.
 */
function adapt(family: MetricFamily): Metric {
  const value = {
    name: family.name,
    help: family.help,
    type: family.type,
    aggregator: 'sum',
    values: family.samples,
  };
  return { name: family.name, type: family.type, get: () => value } as unknown as Metric;
}

export async function render(families: readonly MetricFamily[], ...extra: Registry[]): Promise<string> {
  const registry = new Registry();
  for (const family of families) registry.registerMetric(adapt(family));
  const parts = await Promise.all([registry, ...extra].map((r) => r.metrics()));
  return parts.filter((p) => p.trim() !== '').join('\n');
}
