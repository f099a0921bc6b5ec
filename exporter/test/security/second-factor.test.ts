/**
 * The second factor, tried as an attacker and lived with as a user would, against a real
 * exporter: who an actor is comes from Grafana's immutable user id, never from a login the
 * caller chooses; a new identity cannot enrol itself; a code is never spent on a request that
 * would be refused; elevation spares codes for a while, for that actor on that token only;
 * lockouts survive a restart, lengthen, and are counted; recovery codes stand in for a phone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient, Authenticator, startApi, type ApiFixture } from '../support/api.js';
import { startExporter } from '../support/exporter.js';

const PROBLEM = 'urn:hyperion:problem:';
type Problem = { type: string; status: number; detail: string; reason?: string };

/** What Grafana's plugin proxy sends for a signed-in user. */
function grafana(userId: number, login: string, orgId = 1): Record<string, string> {
  return {
    'x-grafana-context': JSON.stringify({ UserID: userId, OrgID: orgId, Login: login, OrgRole: 'Editor' }),
  };
}

function sleeper(): ChildProcess {
  return spawn('sleep', ['3600'], { stdio: 'ignore', detached: false });
}

const niceOf = async (pid: number) =>
  Number((await import('node:fs')).readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);

describe('identity through Grafana, and enrolment with an admin’s consent', () => {
  let api: ApiFixture;
  let grafanaOperator: ApiClient;
  let adminOtp: Authenticator;
  before(async () => {
    api = await startApi({ config: 'security:\n  otpElevationSeconds: 0\n' });
    grafanaOperator = api.client('grafana-editor', 'operator', true);
    adminOtp = await api.enrol(api.admin); // the first admin of a new installation needs no code
  });
  after(async () => {
    await api?.stop();
  });

  it('refuses a Grafana token without Grafana’s user context, as an identity problem', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { 'x-grafana-user': 'alice' },
      { 'x-grafana-context': '{"Login":"alice"}' },
    ];
    for (const headers of attempts) {
      const res = await grafanaOperator.call<Problem>('get', '/auth/whoami', { headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(res.body.type, `${PROBLEM}identity`);
    }
  });

  it('keys a Grafana actor on its user id: a forged new identity can neither enrol nor act', async () => {
    const forged = grafana(9001, 'mallory');
    const who = await grafanaOperator.call<{ key: string; actor: string }>('get', '/auth/whoami', {
      headers: forged,
    });
    assert.deepEqual([who.body.key, who.body.actor], ['grafana:1:9001', 'mallory']);
    const enrol = await grafanaOperator.call<Problem>('post', '/auth/otp/enrol', { headers: forged });
    assert.equal(enrol.status, 403);
    assert.equal(enrol.body.reason, 'enrolment-code');
    assert.match(enrol.body.detail, /ask an admin/);
    // A code guessed, or one issued for someone else, does not enrol either.
    const forAlice = api.issueEnrolmentCode('grafana:1:42', 'alice');
    for (const enrolmentCode of ['ABCD-EFGH-IJKL-MNOP', forAlice]) {
      const res = await grafanaOperator.call<Problem>('post', '/auth/otp/enrol', {
        headers: forged,
        body: { enrolmentCode },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.type, `${PROBLEM}otp-invalid`);
    }
    const act = await grafanaOperator.call<Problem>('post', '/hosts/local/processes/999999/signal', {
      headers: forged,
      body: { signal: 'TERM' },
    });
    assert.ok([403, 404].includes(act.status));
    const audit = api.auditLines().filter((r) => r.actorKey === 'grafana:1:9001');
    assert.ok(audit.length >= 3 && audit.every((r) => r.result === 'refused'), 'every attempt is audited');
  });

  it('enrols a Grafana user with the code an admin issued in the app; a renamed login stays the same actor', async () => {
    const alice = grafana(42, 'alice');
    const issued = await api.admin.call<{ code: string; expiresAt: string }>(
      'post',
      '/auth/enrolment-codes',
      {
        body: { actor: 'grafana:1:42', name: 'alice' },
        otp: await adminOtp.next(),
      },
    );
    assert.equal(issued.status, 201, issued.text);
    assert.ok(Date.parse(issued.body.expiresAt) > Date.now());
    const issuedRecord = api.auditLines().at(-1)!;
    assert.equal(issuedRecord.action, 'otp.enrolment-code.issue');
    assert.ok(!JSON.stringify(issuedRecord).includes(issued.body.code), 'the code is not in the audit log');
    const started = await grafanaOperator.call<{ secret: string }>('post', '/auth/otp/enrol', {
      headers: alice,
      body: { enrolmentCode: issued.body.code },
    });
    assert.equal(started.status, 200, started.text);
    const auth = new Authenticator(started.body.secret);
    const confirmed = await grafanaOperator.call<{ recoveryCodes: string[] }>('post', '/auth/otp/confirm', {
      headers: alice,
      body: { code: await auth.next() },
    });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.body.recoveryCodes.length, 10);
    // Single-use: the same code cannot start another enrolment for anyone.
    await api.admin.call('post', '/auth/otp/reset', {
      body: { actor: 'grafana:1:77' },
      otp: await adminOtp.next(),
    });
    const reuse = await grafanaOperator.call<Problem>('post', '/auth/otp/enrol', {
      headers: grafana(77, 'bob'),
      body: { enrolmentCode: issued.body.code },
    });
    assert.equal(reuse.status, 403);
    // Alice renamed herself in Grafana: same id, same enrolment, and her code works.
    const renamed = grafana(42, 'alice.smith');
    const who = await grafanaOperator.call<{ otp: { confirmed: boolean }; actor: string }>(
      'get',
      '/auth/whoami',
      {
        headers: renamed,
      },
    );
    assert.equal(who.body.otp.confirmed, true);
    assert.equal(who.body.actor, 'alice.smith');
    const sleeperProcess = sleeper();
    try {
      const ok = await grafanaOperator.call('post', `/hosts/local/processes/${sleeperProcess.pid}/renice`, {
        headers: renamed,
        body: { nice: 3 },
        otp: await auth.next(),
      });
      assert.equal(ok.status, 200, ok.text);
      // A recovery code stands in for the phone, once.
      const recovery = confirmed.body.recoveryCodes[0]!;
      const byRecovery = await grafanaOperator.call(
        'post',
        `/hosts/local/processes/${sleeperProcess.pid}/renice`,
        {
          headers: renamed,
          body: { nice: 4 },
          otp: recovery,
        },
      );
      assert.equal(byRecovery.status, 200, byRecovery.text);
      assert.equal((api.auditLines().at(-1)!.secondFactor as { method: string }).method, 'recovery');
      const again = await grafanaOperator.call<Problem>(
        'post',
        `/hosts/local/processes/${sleeperProcess.pid}/renice`,
        { headers: renamed, body: { nice: 5 }, otp: recovery },
      );
      assert.equal(again.status, 403);
      assert.equal(await niceOf(sleeperProcess.pid!), 4);
      const left = await grafanaOperator.call<{ otp: { recoveryCodesLeft: number } }>('get', '/auth/whoami', {
        headers: renamed,
      });
      assert.equal(left.body.otp.recoveryCodesLeft, 9);
    } finally {
      sleeperProcess.kill('SIGKILL');
    }
    // Another user in another organisation with the same id is someone else.
    const other = await grafanaOperator.call<{ otp: { confirmed: boolean } }>('get', '/auth/whoami', {
      headers: grafana(42, 'alice', 2),
    });
    assert.equal(other.body.otp.confirmed, false);
  });

  it('lets an admin see who waits for a code, reset a factor, and audits both', async () => {
    await grafanaOperator.call('post', '/auth/otp/enrol', { headers: grafana(55, 'carol') });
    const actors = await api.admin.call<{ items: { key: string; name: string; state: string }[] }>(
      'get',
      '/auth/actors',
    );
    assert.deepEqual(
      actors.body.items.find((a) => a.key === 'grafana:1:55'),
      { ...actors.body.items.find((a) => a.key === 'grafana:1:55'), name: 'carol', state: 'waiting' },
    );
    assert.equal(actors.body.items.find((a) => a.key === 'grafana:1:42')?.state, 'enrolled');
    assert.equal((await api.operator.call('get', '/auth/actors')).status, 403, 'admins only');
    const reset = await api.admin.call('post', '/auth/otp/reset', {
      body: { actor: 'grafana:1:42' },
      otp: await adminOtp.next(),
    });
    assert.equal(reset.status, 200, reset.text);
    assert.equal(api.auditLines().at(-1)!.action, 'otp.reset');
    const who = await grafanaOperator.call<{ otp: { confirmed: boolean } }>('get', '/auth/whoami', {
      headers: grafana(42, 'alice'),
    });
    assert.equal(who.body.otp.confirmed, false);
  });
});

describe('a one-time code is spent only on a request that is otherwise allowed', () => {
  let api: ApiFixture;
  let operatorOtp: Authenticator;
  const child = sleeper();
  before(async () => {
    api = await startApi({ config: 'security:\n  otpElevationSeconds: 0\n' });
    await api.enrol(api.admin);
    operatorOtp = await api.enrol(api.operator);
  });
  after(async () => {
    child.kill('SIGKILL');
    await api?.stop();
  });

  it('refuses renice below 0, PID 1 and the exporter itself before the code, which then still works', async () => {
    const code = await operatorOtp.next();
    const refusals = [
      [`/hosts/local/processes/${child.pid}/renice`, { nice: -5 }, 403],
      ['/hosts/local/processes/1/signal', { signal: 'TERM' }, 409],
      [`/hosts/local/processes/${api.exporter.child.pid}/signal`, { signal: 'STOP' }, 409],
      ['/hosts/local/processes/4194303/signal', { signal: 'TERM' }, 404],
      ['/hosts/local/processes/2/signal', { signal: 'KILL' }, 409],
    ] as const;
    for (const [route, body, status] of refusals) {
      const res = await api.operator.call('post', route, { body, otp: code });
      assert.equal(res.status, status, `${route}: ${res.text}`);
      assert.equal(api.auditLines().at(-1)!.otpUsed, false, 'no code was spent');
    }
    const ok = await api.operator.call('post', `/hosts/local/processes/${child.pid}/renice`, {
      body: { nice: 7 },
      otp: code,
    });
    assert.equal(ok.status, 200, `the same code still works: ${ok.text}`);
    assert.equal(await niceOf(child.pid!), 7);
  });
});

describe('elevation: one code, then a window without codes for that actor on that token', () => {
  let api: ApiFixture;
  let operatorOtp: Authenticator;
  let otherOperator: ApiClient;
  const child = sleeper();
  before(async () => {
    api = await startApi({ config: 'security:\n  otpElevationSeconds: 4\n' });
    await api.enrol(api.admin);
    operatorOtp = await api.enrol(api.operator);
    otherOperator = api.client('other-operator', 'operator');
    await api.enrol(otherOperator);
    // Enrolment opened an elevation: let it end.
    await new Promise((r) => setTimeout(r, 4200));
  });
  after(async () => {
    child.kill('SIGKILL');
    await api?.stop();
  });

  const renice = (client: ApiClient, nice: number, otp?: string) =>
    client.call<Problem>('post', `/hosts/local/processes/${child.pid}/renice`, {
      body: { nice },
      ...(otp ? { otp } : {}),
    });

  it('acts without a code inside the window, audits the elevation used, and asks again after it', async () => {
    assert.equal((await renice(api.operator, 1)).status, 403, 'not elevated yet');
    assert.equal((await renice(api.operator, 2, await operatorOtp.next())).status, 200);
    const who = await api.operator.call<{ elevation: { secondsLeft: number } | null }>('get', '/auth/whoami');
    assert.ok(
      who.body.elevation && who.body.elevation.secondsLeft > 0 && who.body.elevation.secondsLeft <= 4,
    );
    const within = await renice(api.operator, 3);
    assert.equal(within.status, 200, within.text);
    const record = api.auditLines().at(-1)!;
    assert.deepEqual((record.secondFactor as { method: string }).method, 'elevation');
    assert.equal(record.otpUsed, true);
    // Neither another token nor another actor rides on it.
    const other = await renice(otherOperator, 4);
    assert.equal(other.status, 403);
    assert.equal(other.body.reason, 'missing-code');
    await new Promise((r) => setTimeout(r, 4200));
    assert.equal((await renice(api.operator, 5)).status, 403, 'the window ended');
    assert.equal(await niceOf(child.pid!), 3);
  });

  it('ends the window when the actor drops it', async () => {
    assert.equal((await renice(api.operator, 6, await operatorOtp.next())).status, 200);
    const dropped = await api.operator.call<{ dropped: boolean }>('post', '/auth/elevation/drop');
    assert.equal(dropped.status, 200);
    assert.equal(dropped.body.dropped, true);
    assert.equal((await renice(api.operator, 8)).status, 403);
    assert.equal(await niceOf(child.pid!), 6);
  });
});

describe('lockouts survive a restart and are counted', () => {
  const storagePath = mkdtempSync(path.join(os.tmpdir(), 'hyperion-lockout-'));
  after(() => rmSync(storagePath, { recursive: true, force: true }));

  it('locks after five wrong codes and keeps the lock across a restart, even for a right code', async () => {
    const api = await startApi({ storagePath, config: 'security:\n  otpElevationSeconds: 0\n' });
    let auth: Authenticator;
    const target = sleeper();
    try {
      await api.enrol(api.admin);
      auth = await api.enrol(api.operator);
      // An action the operator may do: only the code is wrong.
      const wrong = async () =>
        api.operator.call<Problem>('post', `/hosts/local/processes/${target.pid}/renice`, {
          body: { nice: 2 },
          otp: await auth.wrong(),
        });
      for (let i = 0; i < 4; i += 1) assert.equal((await wrong()).status, 403);
      // The fifth wrong code is answered with the lockout it starts.
      const locked = await wrong();
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get('retry-after')) > 250);
      assert.equal(await niceOf(target.pid!), 0);
    } finally {
      target.kill('SIGKILL');
      await api.exporter.stop();
    }
    const again = await startExporter({ storagePath });
    try {
      const operator = new ApiClient(again.url, api.operator.token);
      const child = sleeper();
      try {
        const res = await operator.call<Problem>('post', `/hosts/local/processes/${child.pid}/renice`, {
          body: { nice: 1 },
          otp: await auth.next(),
        });
        assert.equal(res.status, 429, res.text);
      } finally {
        child.kill('SIGKILL');
      }
      const metrics = await (await fetch(`${again.url}/metrics`)).text();
      assert.match(metrics, /^hyperion_otp_locked_actors 1$/m, 'still locked after the restart');
      assert.match(metrics, /^hyperion_otp_failures_total\{reason="locked"\} 1$/m);
    } finally {
      await again.stop();
    }
  });
});
