/**
 * Issue 5's jobs, end to end on a real exporter: jobs run by the real scheduler on this host
 * (writing only into a temporary directory), their history, timeouts, overlap, validation,
 * roles and metrics. The second factor is off here: its own tests cover it on every route.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startApi, type ApiFixture } from '../support/api.js';
import { TEST_USER } from '../support/exporter.js';
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

const PROBLEM = 'urn:hyperion:problem:';

describe('recurring jobs through the control API', () => {
  let api: ApiFixture;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-jobs-'));

  before(async () => {
    // Unprivileged, as deployed: runs are made by the root agent.
    api = await startApi({ config: 'security:\n  otp: disabled\n', user: TEST_USER });
  });
  after(async () => {
    await api?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const create = (body: Record<string, unknown>) => api.admin.call<JobView>('post', '/jobs', { body });
  const runNow = (job: string) => api.admin.call<{ id: number; state: string }>('post', `/jobs/${job}/run`);
  const lines = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');

  it('runs a job every second and records each run, with its output', async () => {
    const out = path.join(tmp, 'ticks');
    const res = await create({
      name: 'tick',
      schedule: '* * * * * *',
      timezone: 'UTC',
      command: { shell: 'echo tick >> "$OUT"; echo to-stdout; echo to-stderr >&2', env: { OUT: out } },
      timeoutSeconds: 10,
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.enabled, true);
    assert.equal(res.body.host, 'local');
    assert.equal(res.body.overlap, 'skip');
    const next = res.body.nextRuns.map((t) => Date.parse(t));
    assert.equal(next.length, 5);
    assert.deepEqual(
      next.slice(1).map((t, i) => t - next[i]!),
      [1000, 1000, 1000, 1000],
    );

    const runs = await waitFor('two scheduled runs', async () => {
      const r = await runsOf(api.admin, 'tick');
      return r.length >= 2 ? r : undefined;
    });
    for (const run of runs) {
      assert.equal(run.result, 'success', JSON.stringify(run));
      assert.equal(run.exitCode, 0);
      assert.equal(run.trigger, 'schedule');
      assert.equal(run.timedOut, false);
      // Each run is for a whole-second slot, starts at or after it and ends after it starts.
      assert.match(run.scheduledFor!, /\.000Z$/);
      assert.ok(Date.parse(run.startedAt) >= Date.parse(run.scheduledFor!));
      assert.ok(Date.parse(run.endedAt) >= Date.parse(run.startedAt));
      assert.ok(run.durationSeconds >= 0 && run.durationSeconds < 5);
      assert.equal('stdout' in run, false, 'the list carries no output');
    }
    // Newest first, one slot each.
    assert.ok(Date.parse(runs[0]!.scheduledFor!) > Date.parse(runs[1]!.scheduledFor!));
    assert.ok(runs[0]!.id > runs[1]!.id);

    // A run's output often echoes what the job knows: operators and admins read it, viewers not.
    const hidden = await api.viewer.call('get', `/jobs/tick/runs/${runs[1]!.id}`);
    assert.equal(hidden.status, 403);
    assert.ok(!hidden.text.includes('to-stdout'));
    const detail = await api.operator.call<RunView>('get', `/jobs/tick/runs/${runs[1]!.id}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.state, 'finished');
    assert.equal(detail.body.stdout, 'to-stdout\n');
    assert.equal(detail.body.stderr, 'to-stderr\n');
    assert.ok(lines(out).length >= 2, 'the runs did their work');

    // Disabled, it stops: no next runs, and no new work once the run in flight (if any) ends.
    const disabled = await api.admin.call<JobView>('post', '/jobs/tick/disable');
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.enabled, false);
    assert.deepEqual(disabled.body.nextRuns, []);
    await delay(1200);
    const settled = lines(out).length;
    await delay(2000);
    assert.equal(lines(out).length, settled);
  });

  it('records the exit code of a failing run, the signal that ended one, and why one could not start', async () => {
    assert.equal(
      (
        await create({
          name: 'fails',
          schedule: YEARLY,
          timezone: 'UTC',
          command: { argv: ['/bin/sh', '-c', 'echo "disk full" >&2; exit 7'] },
        })
      ).status,
      201,
    );
    const started = await runNow('fails');
    assert.equal(started.status, 202, started.text);
    assert.equal(started.body.state, 'running');
    const run = await finishedRun(api.admin, 'fails', started.body.id);
    assert.equal(run.result, 'failure');
    assert.equal(run.exitCode, 7);
    assert.equal(run.signal, null);
    assert.equal(run.stderr, 'disk full\n');
    assert.equal(run.trigger, 'manual');
    assert.equal(run.actor, 'test-admin');
    assert.equal(run.scheduledFor, null);

    await create({
      name: 'signalled',
      schedule: YEARLY,
      command: { argv: ['/bin/sh', '-c', 'kill -TERM $$'] },
    });
    const killed = await finishedRun(api.admin, 'signalled', (await runNow('signalled')).body.id);
    assert.deepEqual([killed.result, killed.exitCode, killed.signal], ['failure', null, 'SIGTERM']);

    await create({
      name: 'nowhere',
      schedule: YEARLY,
      command: { argv: ['/bin/true'], cwd: path.join(tmp, 'no-such-dir') },
    });
    const nowhere = await finishedRun(api.admin, 'nowhere', (await runNow('nowhere')).body.id);
    assert.equal(nowhere.result, 'error');
    assert.match(nowhere.error!, /working directory .*no-such-dir does not exist on host local/);
  });

  it('kills a run that outlives its timeout, with everything it started', async () => {
    const pidFile = path.join(tmp, 'slow.pid');
    await create({
      name: 'slow',
      schedule: YEARLY,
      command: { shell: `echo started; sleep 30 & echo $! > ${pidFile}; wait` },
      timeoutSeconds: 1,
    });
    const run = await finishedRun(api.admin, 'slow', (await runNow('slow')).body.id, 15_000);
    assert.equal(run.result, 'timeout');
    assert.equal(run.timedOut, true);
    assert.equal(run.signal, 'SIGKILL');
    assert.equal(run.exitCode, null);
    assert.equal(run.stdout, 'started\n', 'what it printed before the kill is kept');
    assert.ok(run.durationSeconds >= 1 && run.durationSeconds < 5, `took ${run.durationSeconds} s`);
    assert.match(run.error!, /1 s timeout/);
    assert.ok(await gone(Number(readFileSync(pidFile, 'utf8'))), 'the sleep it started was killed too');
  });

  it('skips a run due while the previous one still runs (overlap skip), and runs both with allow', async () => {
    const script = (log: string) => ({ shell: `echo start >> ${log}; sleep 2.2; echo end >> ${log}` });
    for (const overlap of ['skip', 'allow']) {
      const res = await create({
        name: `overlap-${overlap}`,
        schedule: '* * * * * *',
        command: script(path.join(tmp, `overlap-${overlap}.log`)),
        overlap,
        timeoutSeconds: 10,
      });
      assert.equal(res.status, 201, res.text);
    }
    const finished = (runs: RunView[]) => runs.filter((r) => r.result === 'success');
    await waitFor(
      'overlapping slots',
      async () => {
        const skip = await runsOf(api.admin, 'overlap-skip');
        const allow = await runsOf(api.admin, 'overlap-allow');
        const enough =
          finished(skip).length >= 1 &&
          skip.filter((r) => r.result === 'skipped').length >= 2 &&
          finished(allow).length >= 2;
        return enough ? true : undefined;
      },
      20_000,
    );
    for (const name of ['overlap-skip', 'overlap-allow'])
      await api.admin.call('post', `/jobs/${name}/disable`);

    const skip = await runsOf(api.admin, 'overlap-skip');
    const skipped = skip.filter((r) => r.result === 'skipped');
    assert.match(skipped[0]!.error!, /is still running and the overlap policy is "skip"/);
    assert.equal(skipped[0]!.exitCode, null);
    const intervals = (runs: RunView[]) =>
      finished(runs)
        .map((r) => [Date.parse(r.startedAt), Date.parse(r.endedAt)] as const)
        .sort((a, b) => a[0] - b[0]);
    const s = intervals(skip);
    for (let i = 1; i < s.length; i += 1) assert.ok(s[i]![0] >= s[i - 1]![1], 'skip: runs never overlap');
    const a = intervals(await runsOf(api.admin, 'overlap-allow'));
    assert.ok(
      a.some((x, i) => i > 0 && x[0] < a[i - 1]![1]),
      'allow: a run started while the previous one ran',
    );
  });

  it('refuses a manual run while one is in progress under "skip", and deleting kills it', async () => {
    const pidFile = path.join(tmp, 'hold.pid');
    await create({
      name: 'hold',
      schedule: YEARLY,
      command: { shell: `sleep 30 & echo $! > ${pidFile}; wait` },
      timeoutSeconds: 20,
    });
    const first = await runNow('hold');
    assert.equal(first.status, 202);
    const second = await runNow('hold');
    assert.equal(second.status, 409, second.text);
    assert.match(
      String((second.body as unknown as { detail: string }).detail),
      /run \d+, started .* is still running/,
    );
    const job = await api.admin.call<JobView>('get', '/jobs/hold');
    assert.deepEqual(
      job.body.running.map((r) => [r.id, r.trigger]),
      [[first.body.id, 'manual']],
    );
    const pid = await waitFor('the pid file', async () => {
      try {
        const text = readFileSync(pidFile, 'utf8').trim();
        return text === '' ? undefined : Number(text);
      } catch {
        return undefined;
      }
    });
    const deleted = await api.admin.call<{ runsKilled: number }>('delete', '/jobs/hold');
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.runsKilled, 1);
    assert.ok(await gone(pid), 'the run was killed');
    assert.equal((await api.admin.call('get', '/jobs/hold')).status, 404);
    assert.equal((await api.admin.call('get', '/jobs/hold/runs')).status, 404);
  });

  it('refuses an invalid cron expression with a 400 that says what is wrong, and creates nothing', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ schedule: '61 * * * * *' }, /^body\/schedule: "61" is not a valid second \(0–59\)$/],
      [{ schedule: '* * *' }, /^body\/schedule: expected 5 fields .* got 3$/],
      [
        { schedule: '0 0 0 1 * 1#5' },
        /^body\/schedule: the schedule matches no date in the next hundred years$/,
      ],
      [{ schedule: '@reboot' }, /^body\/schedule: unknown nickname "@reboot"/],
      [
        { schedule: '* * * * *', timezone: 'Mars/Olympus_Mons' },
        /^body\/timezone: unknown time zone "Mars\/Olympus_Mons"/,
      ],
    ];
    for (const [fields, detail] of cases) {
      const res = await create({ name: 'invalid', command: { argv: ['/bin/true'] }, ...fields });
      assert.equal(res.status, 400, res.text);
      const problem = res.body as unknown as { type: string; detail: string };
      assert.equal(problem.type, `${PROBLEM}validation`);
      assert.match(problem.detail, detail);
    }
    assert.equal((await api.admin.call('get', '/jobs/invalid')).status, 404);

    // An update with a bad schedule changes nothing either.
    const res = await api.admin.call('put', '/jobs/fails', {
      body: { schedule: '* * 31 2 *', command: { argv: ['/bin/true'] } },
    });
    assert.equal(res.status, 400);
    assert.match(res.text, /day of month \\"31\\" never occurs/);
    assert.equal((await api.admin.call<JobView>('get', '/jobs/fails')).body.schedule, YEARLY);
  });

  it('previews the next runs of an expression in a time zone, and explains a bad one', async () => {
    const q = (s: string) => encodeURIComponent(s);
    const ok = await api.viewer.call<{ nextRuns: string[]; timezone: string }>(
      'get',
      `/cron/next-runs?schedule=${q('0 30 9 * * mon-fri')}&timezone=${q('Asia/Kolkata')}&count=3`,
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.timezone, 'Asia/Kolkata');
    assert.equal(ok.body.nextRuns.length, 3);
    for (const t of ok.body.nextRuns) {
      assert.equal(t.slice(11), '04:00:00.000Z'); // 09:30 at UTC+05:30
      assert.ok([1, 2, 3, 4, 5].includes(new Date(Date.parse(t) + 5.5 * 3600_000).getUTCDay()), t);
    }
    const bad = await api.viewer.call('get', `/cron/next-runs?schedule=${q('0 60 * * * *')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /query\/schedule: \\"60\\" is not a valid minute \(0–59\)/);
    const tooMany = await api.viewer.call('get', `/cron/next-runs?schedule=${q('* * * * *')}&count=21`);
    assert.equal(tooMany.status, 400);
  });

  it('refuses bad definitions and unknown jobs with a clear 4xx, changing nothing', async () => {
    const before = (await api.admin.call<{ items: JobView[] }>('get', '/jobs')).body.items.map(
      (j) => `${j.name} ${j.updatedAt}`,
    );
    const base = { name: 'bad', schedule: YEARLY, command: { argv: ['/bin/true'] } };
    const refusals: [string, string, Record<string, unknown> | undefined, number, RegExp][] = [
      ['post', '/jobs', { ...base, host: 'no-such-host' }, 400, /body\/host: unknown host "no-such-host"/],
      ['post', '/jobs', { ...base, name: 'fails' }, 409, /a job named "fails" exists/],
      [
        'post',
        '/jobs',
        { ...base, command: { argv: ['/bin/true'], shell: 'true' } },
        400,
        /give argv or shell, not both/,
      ],
      [
        'post',
        '/jobs',
        { ...base, command: {} },
        400,
        /give argv \(a program and its arguments, no shell\) or shell/,
      ],
      ['post', '/jobs', { ...base, command: { argv: [''] } }, 400, /argv\[0\] is the program/],
      ['post', '/jobs', { ...base, command: { argv: ['/bin/true'], cwd: 'relative' } }, 400, /absolute path/],
      ['post', '/jobs', { ...base, command: { shell: 'true', env: { '1X': 'y' } } }, 400, /variable names/],
      ['post', '/jobs', { ...base, command: { argv: ['a\u0000b'] } }, 400, /NUL/],
      ['post', '/jobs', { ...base, timeoutSeconds: 0 }, 400, /body\/timeoutSeconds/],
      ['post', '/jobs', { ...base, overlap: 'queue' }, 400, /body\/overlap/],
      [
        'put',
        '/jobs/ghost',
        { schedule: YEARLY, command: { argv: ['/bin/true'] } },
        404,
        /no job named "ghost"/,
      ],
      ['post', '/jobs/ghost/run', undefined, 404, /no job named "ghost"/],
      ['post', '/jobs/ghost/enable', undefined, 404, /no job named "ghost"/],
      ['delete', '/jobs/ghost', undefined, 404, /no job named "ghost"/],
      ['get', '/jobs/fails/runs/999', undefined, 404, /has no run 999/],
      ['get', '/jobs/fails/runs/0', undefined, 400, /a run id is a positive whole number/],
      ['get', '/jobs/.hidden', undefined, 400, /a job name is/],
    ];
    for (const [method, url, body, status, detail] of refusals) {
      const res = await api.admin.call(method, url, body === undefined ? {} : { body });
      assert.equal(res.status, status, `${method} ${url} ${JSON.stringify(body)}: ${res.text}`);
      assert.match(String((res.body as { detail?: string }).detail), detail, `${method} ${url}`);
    }
    const after = (await api.admin.call<{ items: JobView[] }>('get', '/jobs')).body.items.map(
      (j) => `${j.name} ${j.updatedAt}`,
    );
    assert.deepEqual(after, before);
  });

  it('gives each role its part: definitions for admins, run-now for operators, reading for viewers', async () => {
    // The script checks the secret by its hash: the script itself is shown to viewers.
    const digest = createHash('sha256').update('pa55-w0rd-s3cret').digest('hex').slice(0, 16);
    const check = `test "$(printf %s "$PASSWORD" | sha256sum | cut -c1-16)" = ${digest}`;
    const secret = await create({
      name: 'secretive',
      schedule: YEARLY,
      command: {
        shell: `test -n "$TOKEN" && ${check}`,
        env: { TOKEN: 's3cret' },
        secretEnv: { PASSWORD: 'pa55-w0rd-s3cret' },
      },
    });
    assert.equal(secret.status, 201);
    assert.equal(secret.body.command.env?.TOKEN, 's3cret', 'the admin sees what it set');
    // A secret value is write-only: no answer carries it, to anyone, nor the audit log.
    assert.deepEqual(secret.body.command.secretEnv, { PASSWORD: '[secret]' });
    for (const client of [api.admin, api.operator, api.viewer]) {
      for (const url of ['/jobs', '/jobs/secretive']) {
        const res = await client.call('get', url);
        assert.equal(res.status, 200);
        assert.ok(!res.text.includes('pa55-w0rd'), `${url} leaked the secret`);
      }
    }
    const recorded = api.auditLines().find((l) => l.action === 'job.create' && l.target === 'secretive')!;
    assert.deepEqual(
      (recorded.args as { body: { command: { secretEnv: unknown } } }).body.command.secretEnv,
      { PASSWORD: '[redacted]' },
    );
    assert.ok(!JSON.stringify(api.auditLines()).includes('pa55-w0rd'));
    const asViewer = await api.viewer.call<JobView>('get', '/jobs/secretive');
    assert.deepEqual(asViewer.body.command.env, { TOKEN: '(hidden)' });
    const listed = await api.operator.call<{ items: JobView[] }>('get', '/jobs');
    assert.deepEqual(listed.body.items.find((j) => j.name === 'secretive')?.command.env, {
      TOKEN: '(hidden)',
    });

    const byOperator = await api.operator.call('post', '/jobs', {
      body: { name: 'sneaky', schedule: YEARLY, command: { shell: 'id' } },
    });
    assert.equal(byOperator.status, 403);
    assert.equal((byOperator.body as { type: string }).type, `${PROBLEM}role`);
    assert.equal((await api.operator.call('post', '/jobs/secretive/disable')).status, 403);
    assert.equal((await api.viewer.call('post', '/jobs/secretive/run')).status, 403);

    const run = await api.operator.call<{ id: number }>('post', '/jobs/secretive/run');
    assert.equal(run.status, 202);
    const done = await finishedRun(api.operator, 'secretive', run.body.id);
    assert.equal(done.result, 'success', 'the variables, the secret one too, reached the run');
    // A change that does not send the secret keeps it (an editor never sees it to send it back).
    const changed = await api.admin.call<JobView>('put', '/jobs/secretive', {
      body: {
        schedule: YEARLY,
        command: { shell: check, env: { TOKEN: 's3cret' } },
      },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body.command.secretEnv, { PASSWORD: '[secret]' });
    const again = await api.operator.call<{ id: number }>('post', '/jobs/secretive/run');
    assert.equal((await finishedRun(api.operator, 'secretive', again.body.id)).result, 'success');
    assert.equal(done.actor, 'test-operator');

    // The shell script is in the audit record of its creation; the run-now names its operator.
    const audit = api.auditLines();
    const created = audit.find(
      (l) => l.action === 'job.create' && l.target === 'secretive' && l.result === 'ok',
    );
    assert.equal(
      (created?.args as { body: { command: { shell: string } } }).body.command.shell,
      `test -n "$TOKEN" && ${check}`,
    );
    assert.ok(audit.some((l) => l.action === 'job.run' && l.actor === 'test-operator' && l.status === 202));
    assert.ok(
      audit.some((l) => l.action === 'job.create' && l.actor === 'test-operator' && l.result === 'refused'),
    );
  });

  it('exposes the job metrics on /metrics', async () => {
    const tick = await jobSeries(api.exporter.url, 'tick');
    assert.equal(tick.types.get('hyperion_job_duration_seconds'), 'gauge');
    assert.equal(tick.types.get('hyperion_job_runs_total'), 'counter');
    assert.ok(tick.values.get('hyperion_job_runs_total{success}')! >= 2);
    assert.equal(tick.values.get('hyperion_job_runs_total{failure}'), 0, 'every result starts at 0');
    const lastRun = tick.values.get('hyperion_job_last_run_timestamp_seconds')!;
    assert.ok(Math.abs(lastRun - Date.now() / 1000) < 120, `last run ${lastRun}`);
    assert.equal(
      tick.values.get('hyperion_job_last_success_timestamp_seconds'),
      lastRun,
      'it succeeded last',
    );
    assert.ok(tick.values.get('hyperion_job_duration_seconds')! >= 0);
    assert.equal(tick.values.has('hyperion_job_next_run_timestamp_seconds'), false, 'disabled: no next run');

    const fails = await jobSeries(api.exporter.url, 'fails');
    assert.equal(fails.values.get('hyperion_job_runs_total{failure}'), 1);
    assert.ok(fails.values.get('hyperion_job_last_run_timestamp_seconds')! > 0);
    assert.equal(
      fails.values.has('hyperion_job_last_success_timestamp_seconds'),
      false,
      'it never succeeded',
    );
    const next = fails.values.get('hyperion_job_next_run_timestamp_seconds')!;
    // 1 January 00:00 UTC of next year: the slot the scheduler waits for.
    assert.equal(next * 1000, Date.UTC(new Date().getUTCFullYear() + 1, 0, 1));
    assert.equal(fails.values.get('hyperion_job_running'), 0);

    const slow = await jobSeries(api.exporter.url, 'slow');
    assert.equal(slow.values.get('hyperion_job_runs_total{timeout}'), 1);
    const skip = await jobSeries(api.exporter.url, 'overlap-skip');
    assert.ok(skip.values.get('hyperion_job_runs_total{skipped}')! >= 2);
    // A skipped slot is not a run: last_run is the end of a real run, which succeeded.
    assert.equal(
      skip.values.get('hyperion_job_last_run_timestamp_seconds'),
      skip.values.get('hyperion_job_last_success_timestamp_seconds'),
    );

    // A deleted job leaves no series behind.
    assert.equal((await api.admin.call('delete', '/jobs/signalled')).status, 200);
    assert.equal((await jobSeries(api.exporter.url, 'signalled')).values.size, 0);
  });
});
