/**
 * The JobManager in-process, with a real LocalHost and data directory: what is hard to provoke
 * through a separate exporter — a blocked event loop (missed slots) and the global limit on
 * runs in progress — and stop() killing what runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { jobsConfigSchema } from '../../../src/managers/jobs/config.js';
import { jobCreateSchema } from '../../../src/managers/jobs/definition.js';
import { JobManager } from '../../../src/managers/jobs/manager.js';
import { DataDir } from '../../../src/storage/data-dir.js';
import { HyperionError } from '../../../src/util/errors.js';
import { checkMetrics } from '../../support/promtool.js';

const host = new LocalHost();

function manager(root: string, config: Record<string, unknown> = {}) {
  const registry = new Registry();
  const jobs = new JobManager({
    dir: new DataDir(root),
    config: jobsConfigSchema.parse(config),
    metrics: registry,
    hosts: (name) => {
      if (name !== 'local') throw new HyperionError('not-found', `unknown host "${name}"`);
      return host;
    },
    log: pino({ level: 'silent' }),
  });
  return { jobs, registry };
}

async function until(what: string, test: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

describe('JobManager', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hyperion-jobmanager-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('records the slots it could not start on time (a blocked event loop) as missed', async () => {
    const { jobs, registry } = manager(path.join(root, 'missed'));
    jobs.start();
    try {
      jobs.create(
        jobCreateSchema.parse({ name: 'busy', schedule: '* * * * * *', command: { argv: ['true'] } }),
        't',
      );
      await until('a first run', () => jobs.runs('busy', 0, 100).items.some((r) => r.result === 'success'));
      // Hold the event loop for 2.5 s: the slots that pass meanwhile cannot be started on time.
      const end = Date.now() + 2500;
      while (Date.now() < end) {
        // busy on purpose
      }
      await until('missed slots', () => jobs.runs('busy', 0, 100).items.some((r) => r.result === 'missed'));
      const missed = jobs.runs('busy', 0, 100).items.filter((r) => r.result === 'missed');
      assert.match(missed[0]!.error!, /could not start it on time/);
      assert.match(missed[0]!.scheduledFor!, /\.000Z$/);
      const metric = await registry.getSingleMetric('hyperion_job_runs_total')!.get();
      const count = metric.values.find((v) => v.labels.job === 'busy' && v.labels.result === 'missed')?.value;
      assert.equal(count, missed.length);
      // The reference linter accepts the job families as they are exposed.
      const lint = await checkMetrics(await registry.metrics());
      assert.ok(lint.ok, lint.problems);
    } finally {
      await jobs.stop();
    }
  });

  it('holds all jobs to maxConcurrentRuns, and stop() kills and records what runs', async () => {
    const { jobs } = manager(path.join(root, 'limit'), { maxConcurrentRuns: 1 });
    jobs.start();
    const make = (name: string) =>
      jobs.create(
        jobCreateSchema.parse({
          name,
          schedule: '0 0 0 1 1 *',
          command: { argv: ['sleep', '30'] },
          overlap: 'allow',
        }),
        't',
      );
    make('a');
    make('b');
    const first = jobs.runNow('a', 't');
    assert.throws(
      () => jobs.runNow('b', 't'),
      (e: HyperionError) =>
        e.type === 'conflict' && /1 job runs are in progress, the most allowed at once/.test(e.message),
    );
    const started = Date.now();
    await jobs.stop();
    assert.ok(Date.now() - started < 3000, 'stop does not wait for the sleep');
    // Stopped: nothing starts any more, and the killed run was recorded before the history closed.
    assert.throws(() => jobs.runNow('a', 't'), /stopping/);
    const reopened = manager(path.join(root, 'limit')).jobs;
    const [run] = reopened.runs('a', 0, 10).items;
    assert.deepEqual([run?.id, run?.result], [first.id, 'aborted']);
    assert.deepEqual(reopened.runs('b', 0, 10).items, []);
    await reopened.stop();
  });
});
