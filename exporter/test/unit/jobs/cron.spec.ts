import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  neverRunsProblem,
  nextRuns,
  scheduleProblem,
  timeZoneProblem,
} from '../../../src/managers/jobs/cron.js';
import { jobCreateSchema } from '../../../src/managers/jobs/definition.js';

describe('cron expressions (node-cron v4)', () => {
  it('accepts 5 fields, 6 with seconds, nicknames, names and node-cron’s extensions', () => {
    for (const ok of [
      '*/5 * * * *',
      '*/10 * * * * *',
      '0 30 2 * * mon-fri',
      '@daily',
      '0 0 L * *',
      '0 0 9 * * 1#2',
    ]) {
      assert.equal(scheduleProblem(ok), null, ok);
    }
  });

  it('says what is wrong, naming the field and its range', () => {
    assert.equal(scheduleProblem('61 * * * * *'), '"61" is not a valid second (0–59)');
    assert.equal(scheduleProblem('0 0 25 * * *'), '"25" is not a valid hour (0–23)');
    assert.equal(scheduleProblem('* * * * 13'), '"13" is not a valid day of week (0–7 or sun–sat, n#k, nL)');
    assert.equal(
      scheduleProblem('* * *'),
      'expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got 3',
    );
    assert.equal(scheduleProblem('* * 31 2 *'), 'day of month "31" never occurs in the month(s) given');
    assert.equal(scheduleProblem(''), 'the schedule is empty');
    assert.equal(
      scheduleProblem('* * * * * ;'),
      'only digits, letters, spaces and * , - / # ? may appear in a cron expression',
    );
    assert.match(scheduleProblem('@reboot')!, /unknown nickname "@reboot".*not supported/);
    // Every bad field is named, not just the first.
    assert.equal(
      scheduleProblem('99 99 * * *'),
      '"99" is not a valid minute (0–59); "99" is not a valid hour (0–23)',
    );
  });

  it('knows IANA time zones and refuses others', () => {
    assert.equal(timeZoneProblem('Europe/Paris'), null);
    assert.equal(timeZoneProblem('UTC'), null);
    assert.match(timeZoneProblem('Mars/Olympus_Mons')!, /unknown time zone "Mars\/Olympus_Mons"/);
  });

  it('computes the next runs in the schedule’s time zone', () => {
    // 09:30 in Kolkata (UTC+05:30, no DST) is 04:00 UTC.
    const runs = nextRuns('0 30 9 * * *', 'Asia/Kolkata', 3);
    assert.equal(runs.length, 3);
    for (const r of runs) assert.equal(r.toISOString().slice(11), '04:00:00.000Z');
    assert.equal(runs[1]!.getTime() - runs[0]!.getTime(), 86_400_000);
    assert.ok(runs[0]!.getTime() > Date.now() && runs[0]!.getTime() <= Date.now() + 86_400_000);
  });

  it('computes second-level runs', () => {
    const runs = nextRuns('*/15 * * * * *', 'UTC', 4);
    assert.deepEqual(
      runs.map((r) => r.getUTCSeconds() % 15),
      [0, 0, 0, 0],
    );
    assert.deepEqual(
      runs.slice(1).map((r, i) => r.getTime() - runs[i]!.getTime()),
      [15_000, 15_000, 15_000],
    );
  });

  it('finds schedules that are valid but never run', () => {
    // The 1st of a month is never its fifth Monday.
    assert.equal(
      neverRunsProblem('0 0 0 1 * 1#5', 'UTC'),
      'the schedule matches no date in the next hundred years',
    );
    assert.equal(neverRunsProblem('0 0 0 29 2 *', 'UTC'), null);
  });

  it('validates a definition in one pass: each problem at its field', () => {
    const result = jobCreateSchema.safeParse({
      name: 'x',
      schedule: '0 0 0 1 * 1#5',
      command: { argv: ['/bin/true'] },
    });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error!.issues.map((i) => [i.path.join('/'), i.message]),
      [['schedule', 'the schedule matches no date in the next hundred years']],
    );
    const both = jobCreateSchema.safeParse({
      name: 'x',
      schedule: '* * * * *',
      command: { argv: ['/bin/true'], shell: 'true' },
    });
    assert.deepEqual(
      both.error!.issues.map((i) => [i.path.join('/'), i.message]),
      [['command', 'give argv or shell, not both']],
    );
    const defaults = jobCreateSchema.parse({ name: 'x', schedule: '* * * * *', command: { shell: 'true' } });
    assert.deepEqual(
      {
        host: defaults.host,
        timeoutSeconds: defaults.timeoutSeconds,
        overlap: defaults.overlap,
        enabled: defaults.enabled,
      },
      { host: 'local', timeoutSeconds: 3600, overlap: 'skip', enabled: true },
    );
  });
});
