/**
 * Renders metric families in the Prometheus text format (0.0.4). Collected families are written
 * here directly; the exporter's own metrics (process_*, nodejs_*, API) come from prom-client
 * registries, rendered by prom-client. The output is byte for byte what prom-client writes
 * (same escaping, number formatting, blank line between families), so both halves read alike.
 *
 * Why not through prom-client for the collected families too: that meant a throw-away Registry
 * and an adapter object per family on every scrape, then prom-client's generic path (label
 * objects copied, shared-label lookups, arrays joined per family). On this exporter's hot path
 * it cost about as much as collecting the metrics from /proc in the first place.
 */
import { Registry } from 'prom-client';
import type { Labels, MetricFamily } from '../collectors/collector.js';

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** HELP text and metric names: backslash and newline escaped (prom-client's escapeString). */
function escapeText(text: string): string {
  // Almost no text needs escaping: test once rather than run two replaces on every string.
  return /[\\\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text;
}

function escapeLabelValue(value: string): string {
  return /[\\\n"]/.test(value) ? escapeText(value).replace(/"/g, '\\"') : value;
}

/** prom-client's getValueAsString, including its spelling "Nan". */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

function formatLabels(labels: Labels): string {
  let out = '';
  for (const name in labels) {
    out += `${out === '' ? '{' : ','}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return out === '' ? '' : `${out}}`;
}

/**
 * The families as one text block, each family's lines joined by "\n", families separated by a
 * blank line, a final "\n"; "" when there is no family at all.
 */
export function renderFamilies(families: readonly MetricFamily[]): string {
  if (families.length === 0) return '';
  // Two families of one name would be an invalid exposition; prom-client refused them with this
  // error (a 500 for the scrape), and so does this renderer.
  const seen = new Set<string>();
  let out = '';
  for (const family of families) {
    if (seen.has(family.name)) {
      throw new Error(`A metric with the name ${family.name} has already been registered.`);
    }
    seen.add(family.name);
    const name = escapeText(family.name);
    if (out !== '') out += '\n\n';
    out += `# HELP ${name} ${escapeText(family.help)}\n# TYPE ${name} ${family.type}`;
    for (const sample of family.samples) {
      const suffix = sample.suffix ?? '';
      out += `\n${name}${suffix}${formatLabels(sample.labels)} ${formatValue(sample.value)}`;
    }
  }
  return `${out}\n`;
}

export async function render(families: readonly MetricFamily[], ...extra: Registry[]): Promise<string> {
  const parts = [renderFamilies(families), ...(await Promise.all(extra.map((r) => r.metrics())))];
  return parts.filter((p) => p.trim() !== '').join('\n');
}
