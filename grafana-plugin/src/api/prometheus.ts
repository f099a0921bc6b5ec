/**
 * Instant PromQL queries through Grafana's data source proxy — the Overview reads Prometheus
 * (and the recording rules of alerting/) rather than the exporter, so it shows every host
 * Prometheus scrapes, with history-based forecasts the exporter alone cannot make.
 */
import { lastValueFrom } from 'rxjs';
import type { FetchFn } from './client';
import { toApiError } from './errors';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface PromAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export async function instantQuery(fetch: FetchFn, datasourceUid: string, expr: string): Promise<Sample[]> {
  let answer: PromAnswer;
  try {
    const response = await lastValueFrom(
      fetch<PromAnswer>({
        url: `api/datasources/proxy/uid/${encodeURIComponent(datasourceUid)}/api/v1/query`,
        method: 'GET',
        params: { query: expr },
        showErrorAlert: false,
      }),
    );
    answer = response.data;
  } catch (error) {
    const e = toApiError(error);
    const data = (error as { data?: PromAnswer }).data;
    throw data?.error ? new Error(`Prometheus: ${data.error}`) : e;
  }
  if (answer.status !== 'success' || !answer.data)
    throw new Error(`Prometheus: ${answer.error ?? 'no data'}`);
  return answer.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** The queries of the Overview, one sample per instance each (recording rules from alerting/). */
export const OVERVIEW_QUERIES = {
  up: 'max by (instance) (up{job=~"hyperion.*"})',
  probe: 'max by (instance) (hyperion_probe_success)',
  cpu: 'max by (instance) (hyperion:cpu_busy:ratio_rate5m)',
  memory: 'max by (instance) (1 - hyperion:memory_available:ratio)',
  busiestFs: 'topk by (instance) (1, hyperion:filesystem_used:ratio)',
  soonestFull: 'bottomk by (instance) (1, hyperion:filesystem_seconds_until_full)',
  alerts: 'ALERTS{alertstate="firing"}',
  info: 'hyperion_host_info',
} as const;

export type OverviewKey = keyof typeof OVERVIEW_QUERIES;
