/**
 * One Overview row per host, from two sources: the hosts the exporter can act on, and what
 * Prometheus knows about each instance. An SSH host's instance is its inventory name (the
 * /probe relabelling sets it so); the exporter's own machine is scraped at the exporter's
 * address, which is how "local" is recognised.
 */
import type { Sample } from '../../api/prometheus';
import type { HostSummary } from '../../api/types';
import { PAGES } from '../../constants';

export interface OverviewData {
  up: Sample[];
  probe: Sample[];
  cpu: Sample[];
  memory: Sample[];
  busiestFs: Sample[];
  soonestFull: Sample[];
  memoryExhausted?: Sample[];
  fsTrend?: Sample[];
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
  /** The fullest disk's trend: the share of its size it fills per second (negative: emptying). */
  fsTrend: number | null;
  memoryExhaustedSeconds: number | null;
  alerts: Alert[];
}

export interface Alert {
  name: string;
  severity: string;
  labels: Record<string, string>;
}

/** Below this, a forecast counts as "running out soon" in the fleet summary. */
export const SOON_SECONDS = 7 * 86400;

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
  const exhausted = byInstance(data?.memoryExhausted ?? []);
  const alerts = new Map<string, Alert[]>();
  for (const a of data?.alerts ?? []) {
    // SSH-host alerts may carry the host in `host` when the exporter itself raises them.
    const key = a.labels.instance ?? a.labels.host;
    if (!key) continue;
    const list = alerts.get(key) ?? [];
    list.push({
      name: a.labels.alertname ?? 'alert',
      severity: a.labels.severity ?? 'none',
      labels: a.labels,
    });
    alerts.set(key, list);
  }
  const trendOf = (instance: string, mountpoint: string | undefined) =>
    (data?.fsTrend ?? []).find((t) => t.labels.instance === instance && t.labels.mountpoint === mountpoint)
      ?.value;

  const row = (host: string | null, instance: string | null): OverviewRow => {
    const at = <T>(m: Map<string, T>) => (instance === null ? undefined : m.get(instance));
    const probed = at(probe);
    const scraped = at(up);
    const fsSample = at(fs);
    const fullSample = at(full);
    const trend = instance === null ? undefined : trendOf(instance, fsSample?.labels.mountpoint);
    const memoryLeft = at(exhausted)?.value;
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
      fsTrend: trend !== undefined && Number.isFinite(trend) ? trend : null,
      memoryExhaustedSeconds: memoryLeft !== undefined && Number.isFinite(memoryLeft) ? memoryLeft : null,
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

export interface FleetSummary {
  up: number;
  down: number;
  unknown: number;
  /** Firing alerts by severity, most severe first. */
  alerts: { severity: string; count: number }[];
  /** Hosts whose disk or memory runs out within SOON_SECONDS, soonest first. */
  runningOut: { name: string; what: string; seconds: number }[];
}

const SEVERITY_ORDER = ['critical', 'warning', 'info', 'none'];

export function fleetSummary(rows: readonly OverviewRow[]): FleetSummary {
  const bySeverity = new Map<string, number>();
  const runningOut: FleetSummary['runningOut'] = [];
  for (const r of rows) {
    for (const a of r.alerts) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
    const name = r.host ?? r.instance ?? '?';
    if (r.soonestFull && r.soonestFull.seconds < SOON_SECONDS)
      runningOut.push({ name, what: `disk ${r.soonestFull.mountpoint}`, seconds: r.soonestFull.seconds });
    if (r.memoryExhaustedSeconds !== null && r.memoryExhaustedSeconds < SOON_SECONDS)
      runningOut.push({ name, what: 'memory', seconds: r.memoryExhaustedSeconds });
  }
  const rank = (s: string) =>
    SEVERITY_ORDER.includes(s) ? SEVERITY_ORDER.indexOf(s) : SEVERITY_ORDER.length;
  return {
    up: rows.filter((r) => r.up === true).length,
    down: rows.filter((r) => r.up === false).length,
    unknown: rows.filter((r) => r.up === null).length,
    alerts: [...bySeverity.entries()]
      .map(([severity, count]) => ({ severity, count }))
      .sort((a, b) => rank(a.severity) - rank(b.severity)),
    runningOut: runningOut.sort((a, b) => a.seconds - b.seconds),
  };
}

/**
 * The app page (and filter) where an alert can be acted on, relative to the Overview: a busy
 * CPU opens the host's processes busiest first, a filling disk its files, an unreachable host
 * the host list… Undefined when the alert is not about one host this exporter manages.
 */
export function alertLink(alert: Alert, host: string | null): string | undefined {
  if (!host) return undefined;
  const q = (page: string, extra: Record<string, string> = {}) =>
    `../${page}?${new URLSearchParams({ host, ...extra }).toString()}`;
  switch (alert.name) {
    case 'HyperionCpuBusy':
    case 'HyperionLoadHigh':
    case 'HyperionTemperatureHigh':
    case 'HyperionDiskIoSaturated':
      return q(PAGES.processes, { sort: 'cpuPercent' });
    case 'HyperionMemoryAvailableLow':
    case 'HyperionMemoryExhaustionForecast':
    case 'HyperionSwapFilling':
      return q(PAGES.processes, { sort: 'rssBytes' });
    case 'HyperionFilesystemAlmostFull':
    case 'HyperionFilesystemFillingUp':
    case 'HyperionFilesystemInodesAlmostFull':
    case 'HyperionFilesystemInodesFillingUp':
      return q(PAGES.files);
    case 'HyperionNetworkReceiveErrors':
    case 'HyperionNetworkTransmitErrors':
      return q(PAGES.network);
    case 'HyperionJobFailed':
    case 'HyperionJobMissedSchedule':
      return q(PAGES.jobs);
    case 'HyperionSystemdUnitFailed':
      // The failed unit's details and log, or the failed units when the alert does not say which.
      return alert.labels.name
        ? q(PAGES.services, { unit: alert.labels.name })
        : q(PAGES.services, { state: 'failed' });
    case 'HyperionHostUnreachable':
    case 'HyperionSshHostKeyMismatch':
    case 'HyperionExporterDown':
    case 'HyperionCollectorFailing':
      return q(PAGES.hosts);
    default:
      return undefined;
  }
}
