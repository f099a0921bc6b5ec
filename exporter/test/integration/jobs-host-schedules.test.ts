/**
 * GET /hosts/{host}/schedules: what a host schedules on its own. Cron tables from a fixture
 * root file system (--path.rootfs), and systemd timers from a real systemd running as PID 1 of
 * a private namespace, with the exporter inside it; outside, a clear "not available".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ApiClient } from '../support/api.js';
import { startExporter } from '../support/exporter.js';
import { startSystemdNamespace, type SystemdNamespace } from '../support/systemd-namespace.js';
import { TokenStore } from '../../src/security/tokens.js';
import { DataDir } from '../../src/storage/data-dir.js';
import { FIXTURES } from '../unit/helpers.js';

interface Schedules {
  host: string;
  crontabs: {
    path: string;
    kind: string;
    owner: string | null;
    ignoredByCron: string | null;
    entries: { schedule: string; user: string | null; command: string }[];
    problems: { line: number; message: string }[];
  }[];
  systemdTimers: {
    available: boolean;
    reason?: string;
    timers: { unit: string; activates: string | null; next: string | null; last: string | null }[];
  };
}

/** A data directory with a viewer token, as the token CLI would make it. */
function dataDir(): { storagePath: string; token: string } {
  const storagePath = mkdtempSync(path.join(os.tmpdir(), 'hyperion-schedules-'));
  const { secret } = new TokenStore(new DataDir(storagePath)).create('schedules-viewer', 'viewer');
  return { storagePath, token: secret };
}

describe("a host's own schedules", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('shows the cron tables of the host, with entries, problems and skipped files', async () => {
    const { storagePath, token } = dataDir();
    cleanups.push(() => rmSync(storagePath, { recursive: true, force: true }));
    const exporter = await startExporter({
      storagePath,
      args: [`--path.rootfs=${path.join(FIXTURES, 'jobs/host')}`],
    });
    cleanups.push(() => exporter.stop());
    const viewer = new ApiClient(exporter.url, token);

    const res = await viewer.call<Schedules>('get', '/hosts/local/schedules');
    assert.equal(res.status, 200, res.text);
    const byPath = new Map(res.body.crontabs.map((c) => [c.path, c]));
    assert.deepEqual(
      [...byPath.keys()],
      [
        '/etc/crontab',
        '/etc/cron.d/.placeholder',
        '/etc/cron.d/backup',
        '/etc/cron.d/backup.dpkg-old',
        '/etc/cron.d/e2scrub_all',
        '/var/spool/cron/crontabs/alice',
      ],
    );
    assert.deepEqual(byPath.get('/etc/crontab')!.entries[0], {
      line: 18,
      schedule: '17 * * * *',
      user: 'root',
      command: 'cd / && run-parts --report /etc/cron.hourly',
    });
    assert.deepEqual(
      byPath.get('/etc/cron.d/backup')!.problems.map((p) => p.line),
      [12, 13, 14, 15],
    );
    assert.match(byPath.get('/etc/cron.d/backup.dpkg-old')!.ignoredByCron!, /cron skips/);
    assert.equal(byPath.get('/var/spool/cron/crontabs/alice')!.entries[2]!.user, 'alice');
    assert.deepEqual(res.body.systemdTimers, {
      available: false,
      reason: 'systemd is not the service manager on host local (no /run/systemd/system)',
      timers: [],
    });

    assert.equal((await viewer.call('get', '/hosts/elsewhere/schedules')).status, 404);
    assert.equal((await viewer.call('get', '/hosts/local/schedules?all=1')).status, 400);
  });

  it('lists the systemd timers where systemd runs', async () => {
    const ns: SystemdNamespace = await startSystemdNamespace();
    cleanups.push(() => ns.stop());
    await ns.installUnits({
      'hyperion-jobtest.service':
        '[Unit]\nDefaultDependencies=no\n[Service]\nType=oneshot\nExecStart=/bin/true\n',
      'hyperion-jobtest.timer': '[Unit]\nDefaultDependencies=no\n[Timer]\nOnCalendar=*-*-* 03:15:00 UTC\n',
    });
    const started = await ns.run(['systemctl', 'start', 'hyperion-jobtest.timer']);
    assert.equal(started.code, 0, started.stderr);

    const { storagePath, token } = dataDir();
    cleanups.push(() => rmSync(storagePath, { recursive: true, force: true }));
    const exporter = await startExporter({ storagePath, wrapper: ns.wrapper });
    cleanups.push(() => exporter.stop());

    const res = await new ApiClient(exporter.url, token).call<Schedules>('get', '/hosts/local/schedules');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.systemdTimers.available, true, JSON.stringify(res.body.systemdTimers));
    const timer = res.body.systemdTimers.timers.find((t) => t.unit === 'hyperion-jobtest.timer');
    assert.ok(timer, JSON.stringify(res.body.systemdTimers.timers));
    assert.equal(timer.activates, 'hyperion-jobtest.service');
    assert.equal(timer.last, null, 'it never elapsed');
    // The next 03:15 UTC, within a day.
    const next = Date.parse(timer.next!);
    assert.equal(timer.next!.slice(11), '03:15:00.000Z');
    assert.ok(next > Date.now() && next <= Date.now() + 86_400_000, timer.next!);
  });
});
