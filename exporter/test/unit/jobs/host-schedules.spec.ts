import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { readHostSchedules } from '../../../src/managers/jobs/host-schedules.js';
import { FIXTURES } from '../helpers.js';

describe('readHostSchedules', () => {
  const root = path.join(FIXTURES, 'jobs/host');
  const host = new LocalHost({
    rootfs: root,
    procfs: path.join(root, 'proc'),
    sysfs: path.join(root, 'sys'),
  });

  it('lists every cron table with its entries, skipped files flagged, paths as the host sees them', async () => {
    const s = await readHostSchedules(host);
    assert.equal(s.host, 'local');
    assert.deepEqual(
      s.crontabs.map((c) => [
        c.path,
        c.kind,
        c.owner,
        c.ignoredByCron !== null,
        c.entries.length,
        c.problems.length,
      ]),
      [
        ['/etc/crontab', 'system', null, false, 4, 0],
        ['/etc/cron.d/.placeholder', 'cron.d', null, true, 0, 0],
        ['/etc/cron.d/backup', 'cron.d', null, false, 4, 4],
        ['/etc/cron.d/backup.dpkg-old', 'cron.d', null, true, 4, 4],
        ['/etc/cron.d/e2scrub_all', 'cron.d', null, false, 2, 0],
        ['/var/spool/cron/crontabs/alice', 'user', 'alice', false, 3, 0],
      ],
    );
    const alice = s.crontabs.find((c) => c.owner === 'alice')!;
    assert.deepEqual(
      alice.entries.map((e) => e.user),
      ['alice', 'alice', 'alice'],
    );
  });

  it('says clearly that systemd timers are not available where systemd does not run', async () => {
    const s = await readHostSchedules(host);
    assert.deepEqual(s.systemdTimers, {
      available: false,
      reason: 'systemd is not the service manager on host local (no /run/systemd/system)',
      timers: [],
    });
  });

  it('shows an unreadable table with its error instead of failing, and skips absent ones', async () => {
    // A directory where /etc/crontab should be fails to read (EISDIR), as a permission problem
    // would for a non-root exporter; there is no /etc/cron.d and no spool at all.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-cron-'));
    try {
      mkdirSync(path.join(tmp, 'etc/crontab'), { recursive: true });
      const s = await readHostSchedules(new LocalHost({ rootfs: tmp }));
      assert.equal(s.crontabs.length, 1);
      assert.equal(s.crontabs[0]!.path, '/etc/crontab');
      assert.match(s.crontabs[0]!.error!, /EISDIR/);
      assert.deepEqual(s.crontabs[0]!.entries, []);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
