/**
 * A real Prometheus (Debian's /usr/bin/prometheus) for a test: its own port on 127.0.0.1, its
 * own temporary configuration and TSDB directory, and small helpers to query it and to wait for
 * a PromQL expression to reach a state.
 *
 *   const prom = await startPrometheus({ scrapeConfigs: [scrapeJob('hyperion', exporter.url)] });
 *   const rates = await prom.waitFor('rate(hyperion_cpu_seconds_total[1m])', (r) => r.length > 0);
 *   await prom.stop();
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { startDaemonOnFreePort } from './daemon.js';

export const PROMETHEUS_BIN = process.env.HYPERION_PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** One `scrape_configs` entry, in Prometheus' own YAML shape. */
export type ScrapeConfig = Record<string, unknown>;

export interface PrometheusOptions {
  /** Appended to the configuration's scrape_configs. */
  scrapeConfigs?: ScrapeConfig[];
  /**
   * A whole prometheus.yml to start from; the other options are merged into it. It is written to
   * a temporary directory, so relative paths inside it (rule_files…) must be made absolute.
   */
  configYaml?: string;
  /** Absolute paths of rule files (set as rule_files). */
  ruleFiles?: string[];
  /** e.g. "1s"; Prometheus' default is 1m, far too slow for a test. */
  evaluationInterval?: string;
  scrapeInterval?: string;
  /** e.g. "http://127.0.0.1:9093" (a path prefix is kept). */
  alertmanagerUrl?: string;
  extraArgs?: string[];
  /** How long to wait for /-/ready; 20 s by default. */
  startTimeoutMs?: number;
}

/** One element of an instant vector, with the value already a number. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
  /** Seconds since the epoch, as Prometheus returned it. */
  timestamp: number;
}

export interface RunningPrometheus {
  url: string;
  port: number;
  /** The configuration file it runs with (useful in failure messages). */
  configFile: string;
  /** Instant query; a scalar result comes back as one sample without labels. */
  query(expr: string): Promise<Sample[]>;
  /**
   * Polls `expr` (every 250 ms) until `predicate` holds and returns that result; throws with the
   * last result and Prometheus' log tail after `timeoutMs` (15 s by default).
   */
  waitFor(expr: string, predicate: (result: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  /** GET any /api/v1 endpoint (alerts, rules, targets…) and return its `data`. */
  api<T>(endpoint: string, params?: Record<string, string>): Promise<T>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** A static scrape job for one HTTP target such as an exporter started by startExporter(). */
export function scrapeJob(
  jobName: string,
  targetUrl: string,
  options: { scrapeInterval?: string; metricsPath?: string; params?: Record<string, string[]> } = {},
): ScrapeConfig {
  const url = new URL(targetUrl);
  const job: ScrapeConfig = {
    job_name: jobName,
    scheme: url.protocol.replace(':', ''),
    metrics_path: options.metricsPath ?? '/metrics',
    static_configs: [{ targets: [url.host] }],
  };
  if (options.scrapeInterval !== undefined) {
    job.scrape_interval = options.scrapeInterval;
    // Prometheus refuses a timeout longer than the interval, and its default timeout is 10 s.
    job.scrape_timeout = options.scrapeInterval;
  }
  if (options.params !== undefined) job.params = options.params;
  return job;
}

function buildConfig(options: PrometheusOptions): string {
  const parsed: unknown = options.configYaml === undefined ? {} : parse(options.configYaml);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('startPrometheus: configYaml must be a YAML mapping');
  }
  const config = parsed as Record<string, unknown>;
  const global = { ...((config.global as Record<string, unknown> | undefined) ?? {}) };
  if (options.scrapeInterval !== undefined) {
    global.scrape_interval = options.scrapeInterval;
    global.scrape_timeout = options.scrapeInterval;
  }
  if (options.evaluationInterval !== undefined) global.evaluation_interval = options.evaluationInterval;
  config.global = global;
  if (options.scrapeConfigs !== undefined) {
    const existing = (config.scrape_configs as ScrapeConfig[] | undefined) ?? [];
    config.scrape_configs = [...existing, ...options.scrapeConfigs];
  }
  if (options.ruleFiles !== undefined) {
    for (const file of options.ruleFiles) {
      if (!path.isAbsolute(file))
        throw new Error(`startPrometheus: rule file ${file} must be an absolute path`);
    }
    config.rule_files = options.ruleFiles;
  }
  if (options.alertmanagerUrl !== undefined) {
    const am = new URL(options.alertmanagerUrl);
    config.alerting = {
      alertmanagers: [
        {
          scheme: am.protocol.replace(':', ''),
          path_prefix: am.pathname,
          static_configs: [{ targets: [am.host] }],
        },
      ],
    };
  }
  return stringify(config);
}

interface ApiReply {
  status: 'success' | 'error';
  data?: unknown;
  errorType?: string;
  error?: string;
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  // Built first: a configuration the options cannot make is refused before anything is created.
  const config = buildConfig(options);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  try {
    writeFileSync(configFile, config);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const daemon = await startDaemonOnFreePort(
    (port) => ({
      name: 'prometheus',
      binary: PROMETHEUS_BIN,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        ...(options.extraArgs ?? []),
      ],
      readyUrl: `http://127.0.0.1:${port}/-/ready`,
      timeoutMs: options.startTimeoutMs ?? 20_000,
      cwd: dir,
    }),
    { dir },
  );
  const { port } = daemon;
  const url = `http://127.0.0.1:${port}`;

  async function api<T>(endpoint: string, params: Record<string, string> = {}): Promise<T> {
    const target = new URL(`/api/v1/${endpoint.replace(/^\//, '')}`, url);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    const res = await fetch(target, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as ApiReply;
    if (body.status !== 'success') {
      throw new Error(`prometheus ${endpoint} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    }
    return body.data as T;
  }

  async function query(expr: string): Promise<Sample[]> {
    const data = await api<{ resultType: string; result: unknown }>('query', { query: expr });
    if (data.resultType === 'scalar') {
      const [ts, v] = data.result as [number, string];
      return [{ metric: {}, value: Number(v), timestamp: ts }];
    }
    if (data.resultType !== 'vector') {
      throw new Error(`query(${expr}) returned a ${data.resultType}; use api('query', …) for that`);
    }
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
      metric: s.metric,
      value: Number(s.value[1]),
      timestamp: s.value[0],
    }));
  }

  async function waitFor(
    expr: string,
    predicate: (result: Sample[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<Sample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: Sample[] | string = 'no answer yet';
    for (;;) {
      try {
        const result = await query(expr);
        if (predicate(result)) return result;
        last = result;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `prometheus: ${expr} did not reach the expected state within ${timeoutMs} ms; last result: ` +
        `${JSON.stringify(last).slice(0, 2000)}\n--- log tail ---\n${daemon.logTail(20)}`,
    );
  }

  return {
    url,
    port,
    configFile,
    query,
    waitFor,
    api,
    logTail: daemon.logTail,
    // startDaemonOnFreePort's stop() also removes the directory it was given.
    stop: daemon.stop,
  };
}
