import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCrontab } from '../../../src/parsers/crontab.js';
import { readFixture } from '../helpers.js';

describe('parseCrontab', () => {
  it("reads Debian's /etc/crontab: tab-separated fields, SHELL and PATH, four entries", () => {
    const tab = parseCrontab(readFixture('jobs/host/etc/crontab'), { system: true });
    assert.deepEqual(tab.env, {
      SHELL: '/bin/sh',
      PATH: '/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin',
    });
    assert.deepEqual(tab.problems, []);
    assert.deepEqual(
      tab.entries.map((e) => [e.line, e.schedule, e.user]),
      [
        [18, '17 * * * *', 'root'],
        [19, '25 6 * * *', 'root'],
        [20, '47 6 * * 7', 'root'],
        [21, '52 6 1 * *', 'root'],
      ],
    );
    // The command is kept as written, shell syntax and all.
    assert.equal(
      tab.entries[1]!.command,
      'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }',
    );
  });

  it('reads the captured /etc/cron.d/e2scrub_all', () => {
    const tab = parseCrontab(readFixture('jobs/host/etc/cron.d/e2scrub_all'), { system: true });
    assert.deepEqual(
      tab.entries.map((e) => [e.schedule, e.user, e.command.slice(0, 30)]),
      [
        ['30 3 * * 0', 'root', 'test -e /run/systemd/system ||'],
        ['10 3 * * *', 'root', 'test -e /run/systemd/system ||'],
      ],
    );
  });

  it('accepts names, ranges, steps, lists, nicknames and spaced or quoted variables', () => {
    const tab = parseCrontab(readFixture('jobs/host/etc/cron.d/backup'), { system: true });
    assert.deepEqual(tab.env, { MAILTO: 'ops@example.com', PATH: '/usr/local/bin:/usr/bin:/bin' });
    assert.deepEqual(
      tab.entries.map((e) => [e.schedule, e.user]),
      [
        ['*/15 8-18 * * mon-fri', 'backup'],
        ['30 2 1,15 jan-jun,sep *', 'root'],
        ['@reboot', 'root'],
        ['@weekly', 'root'],
      ],
    );
    assert.equal(tab.entries[0]!.command, '/usr/local/bin/backup --incremental --target "/srv/backup dir"');
    assert.equal(tab.entries[3]!.command, '/usr/local/bin/prune-backups % keep=4');
  });

  it('reports each line cron would refuse, with its number and why, and keeps the rest', () => {
    const tab = parseCrontab(readFixture('jobs/host/etc/cron.d/backup'), { system: true });
    assert.deepEqual(
      tab.problems.map((p) => [p.line, p.message]),
      [
        [12, '"60" is not a valid minute (0–59)'],
        // Without a user field, "/usr/bin/no-user-field" is the user and nothing is left to run.
        [13, 'expected five time fields, a user and a command'],
        [14, '"5-2": the range runs backwards'],
        [
          15,
          'unknown nickname @fortnightly (known: @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)',
        ],
      ],
    );
    assert.equal(tab.problems[0]!.text, '60 * * * * root /bin/true');
  });

  it('reads a user crontab: no user field, the % kept in the command', () => {
    const tab = parseCrontab(readFixture('jobs/host/var/spool/cron/crontabs/alice'), { system: false });
    assert.deepEqual(tab.env, { MAILTO: '' });
    assert.deepEqual(tab.problems, []);
    assert.deepEqual(
      tab.entries.map((e) => [e.line, e.schedule, e.user, e.command]),
      [
        [6, '*/5 * * * *', null, '/home/alice/bin/sync-mail >/dev/null 2>&1'],
        [7, '0 9 * * 1', null, "/usr/bin/printf 'weekly report%%\\n' | mail -s report alice"],
        [8, '@daily', null, '/home/alice/bin/cleanup'],
      ],
    );
  });

  it('refuses values cron refuses, field by field', () => {
    const problem = (line: string) => parseCrontab(line, { system: false }).problems[0]?.message ?? null;
    assert.equal(problem('* 24 * * * x'), '"24" is not a valid hour (0–23)');
    assert.equal(problem('* * 0 * * x'), '"0" is not a valid day of month (1–31)');
    assert.equal(problem('* * * 13 * x'), '"13" is not a valid month (1–12 or jan–dec)');
    assert.equal(problem('* * * * 8 x'), '"8" is not a valid day of week (0–7 or sun–sat)');
    assert.equal(problem('*/0 * * * * x'), '"*/0": a step must be at least 1');
    assert.equal(problem('1,,2 * * * * x'), '"" is not a valid minute (0–59)');
    assert.equal(problem('* * * * funday x'), '"funday" is not a valid day of week (0–7 or sun–sat)');
    // and accepts what it accepts: 7 is Sunday, names in any case, a step on a range
    assert.equal(problem('0-30/10 * * DEC 7 x'), null);
  });

  it('ignores blank lines, comments and Windows line ends', () => {
    const tab = parseCrontab('# c\r\n\r\n  \r\n5 4 * * * /bin/true\r\n', { system: false });
    assert.deepEqual(tab.entries, [{ line: 4, schedule: '5 4 * * *', user: null, command: '/bin/true' }]);
  });
});
