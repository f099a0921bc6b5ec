/**
 * PromQL through Grafana's data source proxy (api/datasources/proxy/uid/<uid>/api/v1/…), on the
 * Prometheus data source the app is configured with. The Overview reads Prometheus (and the
 * recording rules of alerting/) rather than the exporter: it shows every host Prometheus
 * scrapes, with history and history-based forecasts the exporter alone cannot make — and it
 * still works when the exporter cannot be reached, which is when it is needed most.
 */
import { lastValueFrom } from 'rxjs';
import type { Point } from '../components/Sparkline';
import type { FetchFn } from './client';
import { toApiError } from './errors';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Series {
  labels: Record<string, string>;
  points: Point[];
}

interface PromAnswer<R> {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: R[] };
}

async function ask<R>(
  fetch: FetchFn,
  uid: string,
  api: string,
  params: Record<string, string>,
): Promise<R[]> {
  let answer: PromAnswer<R>;
  try {
    const response = await lastValueFrom(
      fetch<PromAnswer<R>>({
        url: `api/datasources/proxy/uid/${encodeURIComponent(uid)}/api/v1/${api}`,
        method: 'GET',
        params,
        showErrorAlert: false,
      }),
    );
    answer = response.data;
  } catch (error) {
    const e = toApiError(error);
    const data = (error as { data?: PromAnswer<R> }).data;
    throw data?.error ? new Error(`Prometheus: ${data.error}`) : e;
  }
  if (answer.status !== 'success' || !answer.data)
    throw new Error(`Prometheus: ${answer.error ?? 'no data'}`);
  return answer.data.result;
}

export async function instantQuery(fetch: FetchFn, uid: string, expr: string): Promise<Sample[]> {
  const result = await ask<{ metric: Record<string, string>; value: [number, string] }>(fetch, uid, 'query', {
    query: expr,
  });
  return result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** A range query over the last `rangeSeconds`, about `points` points per series. */
export async function rangeQuery(
  fetch: FetchFn,
  uid: string,
  expr: string,
  rangeSeconds: number,
  points = 60,
  now = Date.now() / 1000,
): Promise<Series[]> {
  const step = Math.max(1, Math.round(rangeSeconds / points));
  const result = await ask<{ metric: Record<string, string>; values: [number, string][] }>(
    fetch,
    uid,
    'query_range',
    {
      query: expr,
      start: String(Math.floor(now - rangeSeconds)),
      end: String(Math.floor(now)),
      step: String(step),
    },
  );
  return result.map((r) => ({
    labels: r.metric,
    points: r.values.map(([t, v]) => ({ t, v: Number(v) })).filter((p) => Number.isFinite(p.v)),
  }));
}

/** The instant queries of the Overview, one sample per instance each (recording rules from alerting/). */
export const OVERVIEW_QUERIES = {
  up: 'max by (instance) (up{job=~"hyperion.*"})',
  probe: 'max by (instance) (hyperion_probe_success)',
  cpu: 'max by (instance) (hyperion:cpu_busy:ratio_rate5m)',
  memory: 'max by (instance) (1 - hyperion:memory_available:ratio)',
  busiestFs: 'topk by (instance) (1, hyperion:filesystem_used:ratio)',
  soonestFull: 'bottomk by (instance) (1, hyperion:filesystem_seconds_until_full)',
  memoryExhausted: 'min by (instance) (hyperion:memory_seconds_until_exhausted)',
  /** How fast each file system fills, as a share of its size per second (the forecast's trend). */
  fsTrend: '-deriv(hyperion_filesystem_avail_bytes[6h]) / hyperion_filesystem_size_bytes',
  alerts: 'ALERTS{alertstate="firing"}',
  info: 'hyperion_host_info',
} as const;

export type OverviewKey = keyof typeof OVERVIEW_QUERIES;

/** The history behind each host's sparklines. */
export const OVERVIEW_HISTORY = {
  cpu: 'max by (instance) (hyperion:cpu_busy:ratio_rate5m)',
  memory: 'max by (instance) (1 - hyperion:memory_available:ratio)',
  fs: 'hyperion:filesystem_used:ratio',
} as const;

export type HistoryKey = keyof typeof OVERVIEW_HISTORY;

/** One host's interfaces and disks, for its detail row. */
export function hostDetailQueries(instance: string): Record<'rx' | 'tx' | 'disk', string> {
  const sel = `instance=${JSON.stringify(instance)}`;
  return {
    rx: `sum by (device) (rate(hyperion_network_receive_bytes_total{${sel}}[1m]))`,
    tx: `sum by (device) (rate(hyperion_network_transmit_bytes_total{${sel}}[1m]))`,
    disk: `sum by (device) (rate(hyperion_disk_io_time_seconds_total{${sel}}[1m]))`,
  };
}
