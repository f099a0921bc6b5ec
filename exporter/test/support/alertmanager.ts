/**
 * A real Alertmanager (Debian's /usr/bin/prometheus-alertmanager) for a test: its own port on
 * 127.0.0.1, its own data directory, clustering off (otherwise it binds 0.0.0.0:9094 and gossips),
 * and small helpers for its v2 API.
 *
 *   const am = await startAlertmanager({ configFile });
 *   await am.postAlerts([{ labels: { alertname: 'X', severity: 'critical' } }]);
 *   const alerts = await am.alerts();
 *   await am.stop();
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemonOnFreePort } from './daemon.js';

export const ALERTMANAGER_BIN = process.env.HYPERION_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  /** Absolute path of alertmanager.yml; relative template paths in it resolve from its directory. */
  configFile: string;
  extraArgs?: string[];
  /** How long to wait for /-/ready; 20 s by default. */
  startTimeoutMs?: number;
}

/** An alert as posted to /api/v2/alerts (what Prometheus sends). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** An alert as /api/v2/alerts returns it. */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: { state: 'unprocessed' | 'active' | 'suppressed'; inhibitedBy: string[]; silencedBy: string[] };
}

export interface RunningAlertmanager {
  url: string;
  port: number;
  configFile: string;
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** Every alert Alertmanager holds, inhibited and silenced ones included. */
  alerts(): Promise<GettableAlert[]>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  if (!path.isAbsolute(options.configFile))
    throw new Error(`startAlertmanager: ${options.configFile} must be an absolute path`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-alertmanager-'));
  const daemon = await startDaemonOnFreePort(
    (port) => ({
      name: 'alertmanager',
      binary: ALERTMANAGER_BIN,
      args: [
        `--config.file=${options.configFile}`,
        `--storage.path=${dir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // The links in notifications ("Alertmanager: …") point here.
        `--web.external-url=http://127.0.0.1:${port}/`,
        // An empty address disables clustering: no 0.0.0.0:9094 listener, no gossip.
        '--cluster.listen-address=',
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

  async function request(method: 'GET' | 'POST', endpoint: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${url}/api/v2/${endpoint}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`alertmanager ${method} ${endpoint}: ${res.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  return {
    url,
    port,
    configFile: options.configFile,
    async postAlerts(alerts) {
      await request('POST', 'alerts', alerts);
    },
    async alerts() {
      return (await request('GET', 'alerts')) as GettableAlert[];
    },
    logTail: daemon.logTail,
    // startDaemonOnFreePort's stop() also removes the directory it was given.
    stop: daemon.stop,
  };
}
