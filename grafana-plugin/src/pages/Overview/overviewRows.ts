/**
 * One Overview row per host, from two sources: the hosts the exporter can act on, and what
 * Prometheus knows about each instance. An SSH host's instance is its inventory name (the
 * /probe relabelling sets it so); the exporter's own machine is scraped at the exporter's
 * address, which is how "local" is recognised.
 */
import type { Sample } from '../../api/prometheus';
import type { HostSummary } from '../../api/types';

export interface OverviewData {
  up: Sample[];
  probe: Sample[];
  cpu: Sample[];
  memory: Sample[];
  busiestFs: Sample[];
  soonestFull: Sample[];
  alerts: Sample[];
  info: Sample[];
}

export interface OverviewRow {
  /** The name to act on in the app, or null for an instance this exporter does not manage. */
  host: string | null;
  instance: string | null;
  hostname: string | null;
  up: boolean | null;
  cpu: number | null;
  memory: number | null;
  busiestFs: { mountpoint: string; used: number } | null;
  soonestFull: { mountpoint: string; seconds: number } | null;
  alerts: { name: string; severity: string }[];
}

/** "http://exporter:8470" → "exporter:8470": the instance label of a direct scrape. */
export function instanceOfUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.port ? parsed.host : `${parsed.hostname}:${parsed.protocol === 'https:' ? 443 : 80}`;
  } catch {
    return null;
  }
}

function byInstance(samples: Sample[]): Map<string, Sample> {
  const map = new Map<string, Sample>();
  for (const s of samples) {
    const instance = s.labels.instance;
    if (instance !== undefined && !map.has(instance)) map.set(instance, s);
  }
  return map;
}

export function buildRows(
  hosts: HostSummary[],
  data: OverviewData | undefined,
  localInstance: string | null,
): OverviewRow[] {
  const up = byInstance(data?.up ?? []);
  const probe = byInstance(data?.probe ?? []);
  const cpu = byInstance(data?.cpu ?? []);
  const memory = byInstance(data?.memory ?? []);
  const fs = byInstance(data?.busiestFs ?? []);
  const full = byInstance(data?.soonestFull ?? []);
  const info = byInstance(data?.info ?? []);
  const alerts = new Map<string, { name: string; severity: string }[]>();
  for (const a of data?.alerts ?? []) {
    // SSH-host alerts may carry the host in `host` when the exporter itself raises them.
    const key = a.labels.instance ?? a.labels.host;
    if (!key) continue;
    const list = alerts.get(key) ?? [];
    list.push({ name: a.labels.alertname ?? 'alert', severity: a.labels.severity ?? 'none' });
    alerts.set(key, list);
  }

  const row = (host: string | null, instance: string | null): OverviewRow => {
    const at = <T>(m: Map<string, T>) => (instance === null ? undefined : m.get(instance));
    const probed = at(probe);
    const scraped = at(up);
    const fsSample = at(fs);
    const fullSample = at(full);
    return {
      host,
      instance,
      hostname: at(info)?.labels.hostname ?? null,
      up: probed ? probed.value === 1 : scraped ? scraped.value === 1 : null,
      cpu: at(cpu)?.value ?? null,
      memory: at(memory)?.value ?? null,
      busiestFs: fsSample ? { mountpoint: fsSample.labels.mountpoint ?? '?', used: fsSample.value } : null,
      soonestFull:
        fullSample && Number.isFinite(fullSample.value)
          ? { mountpoint: fullSample.labels.mountpoint ?? '?', seconds: fullSample.value }
          : null,
      alerts: [
        ...(instance === null ? [] : (alerts.get(instance) ?? [])),
        ...(host && host !== instance ? (alerts.get(host) ?? []) : []),
      ],
    };
  };

  const rows: OverviewRow[] = [];
  const seen = new Set<string>();
  for (const h of hosts) {
    const instance = h.kind === 'local' ? localInstance : h.name;
    if (instance) seen.add(instance);
    rows.push(row(h.name, instance));
  }
  // Instances Prometheus has that this exporter does not manage (other sites): shown, not linked.
  for (const instance of new Set([...up.keys(), ...probe.keys()])) {
    if (!seen.has(instance)) rows.push(row(null, instance));
  }
  return rows;
}
