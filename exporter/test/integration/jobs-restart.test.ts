/**
 * Jobs survive the exporter: definitions and history are read back from the data directory,
 * run numbering continues, the metrics are restored from history before any new run, and a run
 * in progress when the exporter stops is killed (no orphan) and recorded as aborted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ApiClient, startApi } from '../support/api.js';
import { startExporter, type RunningExporter } from '../support/exporter.js';
import {
  YEARLY,
  finishedRun,
  gone,
  jobSeries,
  runsOf,
  waitFor,
  type JobView,
  type RunView,
} from './jobs-helpers.js';

describe('jobs across an exporter restart', () => {
  const storagePath = mkdtempSync(path.join(os.tmpdir(), 'hyperion-jobs-restart-'));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-jobs-work-'));
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const stop of stops) await stop();
    rmSync(storagePath, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('keeps definitions and history, continues numbering, restores metrics and records the run it cut short', async () => {
    const api = await startApi({ storagePath, config: 'security:\n  otp: disabled\n' });
    stops.push(() => api.stop());
    const admin = api.admin;
    const ticks = path.join(tmp, 'ticks');
    const pidFile = path.join(tmp, 'long.pid');
    const definitions = [
      {
        name: 'every-second',
        schedule: '* * * * * *',
        timezone: 'Europe/Paris',
        command: { shell: 'echo tick >> "$OUT"', env: { OUT: ticks } },
        timeoutSeconds: 10,
        overlap: 'allow',
      },
      {
        name: 'by-hand',
        description: 'run by an operator',
        schedule: YEARLY,
        command: { argv: ['/bin/echo', 'ran'] },
        enabled: false,
      },
      {
        name: 'long',
        schedule: YEARLY,
        command: { shell: `sleep 30 & echo $! > ${pidFile}; wait` },
        timeoutSeconds: 60,
      },
    ];
    for (const body of definitions) assert.equal((await admin.call('post', '/jobs', { body })).status, 201);

    const byHand = await finishedRun(
      admin,
      'by-hand',
      (await admin.call<{ id: number }>('post', '/jobs/by-hand/run')).body.id,
    );
    assert.equal(byHand.result, 'success');
    await waitFor('two scheduled runs', async () =>
      (await runsOf(admin, 'every-second')).length >= 2 ? true : undefined,
    );
    assert.equal((await admin.call('post', '/jobs/long/run')).status, 202);
    const pid = await waitFor('the long run to start its sleep', async () => {
      try {
        const text = readFileSync(pidFile, 'utf8').trim();
        return text === '' ? undefined : Number(text);
      } catch {
        return undefined;
      }
    });

    const jobsBefore = (await admin.call<{ items: JobView[] }>('get', '/jobs')).body.items;
    const metricsBefore = (await jobSeries(api.exporter.url, 'by-hand')).values;
    await api.exporter.stop();
    const runsAfter = new Map<string, RunView[]>();
    assert.ok(await gone(pid), 'stopping the exporter killed the run in progress, and what it started');

    const restarted: RunningExporter = await startExporter({ storagePath });
    stops.push(() => restarted.stop());
    const again = new ApiClient(restarted.url, admin.token);

    // Metrics first, before a new run could set them: restored from history.
    const metricsAfter = (await jobSeries(restarted.url, 'by-hand')).values;
    for (const name of [
      'hyperion_job_last_run_timestamp_seconds',
      'hyperion_job_last_success_timestamp_seconds',
      'hyperion_job_duration_seconds',
    ]) {
      assert.ok(metricsBefore.has(name), name);
      assert.equal(metricsAfter.get(name), metricsBefore.get(name), name);
    }
    assert.equal(metricsAfter.has('hyperion_job_next_run_timestamp_seconds'), false, 'still disabled');

    const jobsAfter = (await again.call<{ items: JobView[] }>('get', '/jobs')).body.items;
    const definition = (j: JobView) => ({
      ...j,
      nextRuns: undefined,
      running: undefined,
      lastRun: undefined,
      lastSuccessAt: undefined,
    });
    assert.deepEqual(jobsAfter.map(definition), jobsBefore.map(definition));
    assert.equal(jobsAfter.find((j) => j.name === 'every-second')?.effectiveTimezone, 'Europe/Paris');

    for (const name of ['every-second', 'by-hand', 'long']) runsAfter.set(name, await runsOf(again, name));
    const hand = runsAfter.get('by-hand')!;
    assert.deepEqual(
      hand.map((r) => [r.id, r.result, r.actor]),
      [[byHand.id, 'success', 'test-admin']],
    );
    assert.equal((await again.call<RunView>('get', `/jobs/by-hand/runs/${byHand.id}`)).body.stdout, 'ran\n');
    const [aborted] = runsAfter.get('long')!;
    assert.equal(aborted?.result, 'aborted');
    assert.match(aborted!.error!, /the exporter stopped while the job ran/);

    // The schedule resumes, numbering on from the runs before the restart.
    const lastBefore = runsAfter.get('every-second')![0]!;
    const resumed = await waitFor('a run after the restart', async () => {
      const runs = await runsOf(again, 'every-second');
      return runs[0] && Date.parse(runs[0].startedAt) > Date.parse(lastBefore.endedAt) ? runs[0] : undefined;
    });
    assert.equal(resumed.result, 'success');
    assert.ok(resumed.id > lastBefore.id, `${resumed.id} after ${lastBefore.id}`);
    assert.equal((await again.call('post', '/jobs/every-second/disable')).status, 200);
  });
});
