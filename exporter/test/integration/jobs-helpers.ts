/** Shared by the jobs-*.test.ts files: waiting on runs, reading job series, process checks. */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseExposition, type ParsedSample } from '../support/exposition.js';
import type { ApiClient } from '../support/api.js';

export interface RunView {
  id: number;
  job: string;
  host: string;
  state?: 'running' | 'finished';
  trigger: 'schedule' | 'manual';
  actor: string | null;
  scheduledFor: string | null;
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  result: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  error: string | null;
  stdout?: string;
  stderr?: string;
  outputTruncated: boolean;
  lastSuccessAt: string | null;
}

export interface JobView {
  name: string;
  schedule: string;
  timezone: string | null;
  effectiveTimezone: string;
  host: string;
  command: {
    argv?: string[];
    shell?: string;
    cwd?: string;
    env?: Record<string, string>;
    secretEnv?: Record<string, string>;
  };
  timeoutSeconds: number;
  overlap: string;
  enabled: boolean;
  nextRuns: string[];
  running: { id: number; trigger: string; startedAt: string }[];
  lastRun: RunView | null;
  lastSuccessAt: string | null;
  createdBy: string;
  updatedAt: string;
}

/** Polls `probe` until it returns something (not undefined); bounded in time. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(200);
  }
}

/** The finished runs of a job, newest first (skipped ones included). */
export async function runsOf(client: ApiClient, job: string): Promise<RunView[]> {
  const res = await client.call<{ items: RunView[] }>('get', `/jobs/${job}/runs?limit=1000`);
  if (res.status !== 200) throw new Error(`runs of ${job}: ${res.status} ${res.text}`);
  return res.body.items;
}

/** Waits for one run to finish and returns it with its output. */
export async function finishedRun(
  client: ApiClient,
  job: string,
  id: number,
  timeoutMs = 20_000,
): Promise<RunView> {
  return waitFor(
    `run ${id} of ${job} to finish`,
    async () => {
      const res = await client.call<RunView>('get', `/jobs/${job}/runs/${id}`);
      if (res.status !== 200) throw new Error(`run ${id} of ${job}: ${res.status} ${res.text}`);
      return res.body.state === 'finished' ? res.body : undefined;
    },
    timeoutMs,
  );
}

/** Every hyperion_job_* sample of one job, keyed "name" or "name{result}". */
export async function jobSeries(
  url: string,
  job: string,
): Promise<{ values: Map<string, number>; types: Map<string, string> }> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  // Only the job families: prom-client writes NaN as "Nan" (nodejs_eventloop_lag_* before its
  // first sample), which the shared reader refuses and which is not ours to judge here.
  const text = (await res.text())
    .split('\n')
    .filter((l) => l.startsWith('hyperion_job_') || /^# (HELP|TYPE) hyperion_job_/.test(l))
    .join('\n');
  const exposition = parseExposition(text);
  const values = new Map<string, number>();
  for (const s of exposition.samples.filter(
    (x: ParsedSample) => x.name.startsWith('hyperion_job_') && x.labels.job === job,
  )) {
    values.set(s.labels.result === undefined ? s.name : `${s.name}{${s.labels.result}}`, s.value);
  }
  return { values, types: exposition.types };
}

/** Whether a pid is a live process (a zombie awaiting its reaper counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await delay(100);
  return !alive(pid);
}

/** A schedule that will not come due while a test runs: 1 January, 00:00:00. */
export const YEARLY = '0 0 0 1 1 *';
