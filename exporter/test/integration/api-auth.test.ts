/**
 * The security model of the control API against a real exporter: tokens, roles, Grafana
 * identity, the TOTP second factor with replay refusal and lockout, and the audit trail of
 * every attempt. Token management routes serve as the mutating target here; the processes
 * tests prove the same on real processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ApiClient, startApi, type ApiFixture, type Authenticator } from '../support/api.js';
import { startExporter } from '../support/exporter.js';

const PROBLEM = 'urn:hyperion:problem:';

describe('control API security', () => {
  let api: ApiFixture;
  let adminOtp: Authenticator;

  before(async () => {
    // One code per action here (elevation has tests of its own in test/security/).
    api = await startApi({ config: 'security:\n  otpElevationSeconds: 0\n' });
  });
  after(async () => {
    await api?.stop();
  });

  it('answers 401 problem+json without a token or with an unknown one', async () => {
    const unknown = new ApiClient(api.exporter.url, `hyp_000000000000_${'A'.repeat(43)}`);
    for (const client of [api.anonymous, unknown]) {
      const res = await client.call('get', '/auth/whoami');
      assert.equal(res.status, 401);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal((res.body as { type: string }).type, `${PROBLEM}unauthenticated`);
    }
  });

  it('tells each token who it is', async () => {
    const res = await api.viewer.call<{ actor: string; role: string }>('get', '/auth/whoami');
    assert.equal(res.status, 200);
    assert.equal(res.body.actor, 'test-viewer');
    assert.equal(res.body.role, 'viewer');
  });

  it('refuses a role with 403 (never 401) and audits the refusal', async () => {
    const res = await api.viewer.call('post', '/tokens', { body: { name: 'x1', role: 'viewer' } });
    assert.equal(res.status, 403);
    assert.equal((res.body as { type: string }).type, `${PROBLEM}role`);
    const last = api.auditLines().at(-1)!;
    assert.equal(last.action, 'token.create');
    assert.equal(last.actor, 'test-viewer');
    assert.equal(last.result, 'refused');
    assert.equal(last.status, 403);
  });

  it('requires an enrolled second factor before any action', async () => {
    const res = await api.admin.call('post', '/tokens', { body: { name: 'x2', role: 'viewer' } });
    assert.equal(res.status, 403);
    assert.equal((res.body as { type: string }).type, `${PROBLEM}otp-required`);
    assert.match((res.body as { detail: string }).detail, /enrol/);
  });

  it('enrols with an otpauth URI and a QR code, confirmed by one code', async () => {
    const started = await api.admin.call<{ otpauthUri: string; qrCode: string }>('post', '/auth/otp/enrol');
    assert.equal(started.status, 200);
    assert.match(started.body.otpauthUri, /^otpauth:\/\/totp\/Hyperion:test-admin\?secret=[A-Z2-7]+/);
    assert.match(started.body.qrCode, /^data:image\/png;base64,/);
    // Start again from scratch through the fixture (a second enrol replaces the pending secret).
    adminOtp = await api.enrol(api.admin);
    const who = await api.admin.call<{ otp: { confirmed: boolean } }>('get', '/auth/whoami');
    assert.equal(who.body.otp.confirmed, true);
    const again = await api.admin.call('post', '/auth/otp/enrol');
    assert.equal(again.status, 409, 'a confirmed actor cannot silently re-enrol');
  });

  it('needs the code on each mutating call, accepts it once, refuses a replay', async () => {
    const none = await api.admin.call('post', '/tokens', { body: { name: 'x3', role: 'viewer' } });
    assert.equal((none.body as { type: string }).type, `${PROBLEM}otp-required`);

    const code = await adminOtp.next();
    const ok = await api.admin.call<{ secret: string }>('post', '/tokens', {
      body: { name: 'x3', role: 'viewer' },
      otp: code,
    });
    assert.equal(ok.status, 201, ok.text);
    assert.match(ok.body.secret, /^hyp_/);

    const replay = await api.admin.call('post', '/tokens', {
      body: { name: 'x4', role: 'viewer' },
      otp: code,
    });
    assert.equal(replay.status, 403);
    assert.equal((replay.body as { type: string }).type, `${PROBLEM}otp-invalid`);
    const listed = await api.admin.call<{ items: { name: string }[] }>('get', '/tokens');
    assert.ok(listed.body.items.some((t) => t.name === 'x3'));
    assert.ok(!listed.body.items.some((t) => t.name === 'x4'), 'the replayed request changed nothing');

    // Acting again within the same 30 s step is a mistake, not a guess: said so, never locked.
    for (let i = 0; i < 6; i += 1) {
      const again = await api.admin.call<{ reason: string; detail: string }>('post', '/tokens', {
        body: { name: 'x4', role: 'viewer' },
        otp: code,
      });
      assert.equal(again.status, 403, `replay ${i + 1}: ${again.text}`);
      assert.equal(again.body.reason, 'replayed');
      assert.match(again.body.detail, /already used .*the next one comes in about \d+ s/);
    }
    const next = await api.admin.call('post', '/tokens', {
      body: { name: 'x4', role: 'viewer' },
      otp: await adminOtp.next(),
    });
    assert.equal(next.status, 201, `the next code still works: ${next.text}`);

    const audit = api.auditLines().filter((l) => l.action === 'token.create' && l.actor === 'test-admin');
    const okLine = audit.find((l) => l.result === 'ok')!;
    assert.equal(okLine.otpUsed, true);
    assert.equal(okLine.target, 'x3');
    assert.ok(
      audit.some(
        (l) => l.result === 'refused' && l.error !== null && String(l.error).includes('already used'),
      ),
    );
  });

  it('locks an actor out after five wrong codes (429 with Retry-After)', async () => {
    const victim = api.client('lockout-op', 'admin');
    const auth = await api.enrol(victim);
    const wrong = await auth.wrong();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i += 1) {
      const res = await victim.call('post', '/tokens', {
        body: { name: `lock${i}`, role: 'viewer' },
        otp: wrong,
      });
      statuses.push(res.status);
      retryAfter = res.headers.get('retry-after');
    }
    // The fifth wrong code is answered with the lockout it starts.
    assert.deepEqual(statuses, [403, 403, 403, 403, 429, 429]);
    assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 300, `Retry-After ${retryAfter}`);
    // Locked means locked: even a valid code is refused now.
    const valid = await victim.call('post', '/tokens', {
      body: { name: 'lock-valid', role: 'viewer' },
      otp: await auth.next(),
    });
    assert.equal(valid.status, 429);
    const lines = api.auditLines().filter((l) => l.actor === 'lockout-op' && l.action === 'token.create');
    assert.equal(lines.length, 7, 'every attempt is audited');
    assert.ok(lines.every((l) => l.result === 'refused'));
  });

  it('trusts X-Grafana-Context only on Grafana tokens', async () => {
    const context = JSON.stringify({ UserID: 7, OrgID: 1, Login: 'alice', OrgRole: 'Editor' });
    const grafana = api.client('grafana-operator', 'operator', true);
    const direct = api.client('plain-operator', 'operator', false);
    const viaGrafana = await grafana.call<{ actor: string; viaGrafana: boolean }>('get', '/auth/whoami', {
      headers: { 'x-grafana-context': context },
    });
    assert.equal(viaGrafana.body.actor, 'alice');
    assert.equal(viaGrafana.body.viaGrafana, true);
    assert.equal((viaGrafana.body as unknown as { key: string }).key, 'grafana:1:7');
    const spoofed = await direct.call<{ actor: string }>('get', '/auth/whoami', {
      headers: { 'x-grafana-context': context },
    });
    assert.equal(spoofed.body.actor, 'plain-operator');
    // A Grafana user acting is audited under their login, with the token that carried them.
    await grafana.call('post', '/auth/otp/enrol', { headers: { 'x-grafana-context': context } });
    const line = api.auditLines().at(-1)!;
    assert.equal(line.actor, 'alice');
    assert.equal(line.tokenName, 'grafana-operator');
    assert.equal(line.viaGrafana, true);
  });

  it('refuses bad bodies with 4xx, changes nothing and spends no code', async () => {
    // A code is verified only for an otherwise valid request, so one code serves every bad
    // attempt below and still works afterwards.
    const code = await adminOtp.next();
    const before = (await api.admin.call<{ items: unknown[] }>('get', '/tokens')).body.items.length;
    const cases: [string, Record<string, string>, number][] = [
      ['{"name": "bad", "role": ', { 'content-type': 'application/json' }, 400],
      ['name=bad&role=viewer', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      [
        JSON.stringify({ name: 'b'.repeat(200_000), role: 'viewer' }),
        { 'content-type': 'application/json' },
        413,
      ],
      [JSON.stringify({ name: 'bad', role: 'root' }), { 'content-type': 'application/json' }, 400],
      [JSON.stringify({ name: '../etc', role: 'viewer' }), { 'content-type': 'application/json' }, 400],
      [
        JSON.stringify({ name: 'bad', role: 'viewer', extra: 1 }),
        { 'content-type': 'application/json' },
        400,
      ],
    ];
    for (const [rawBody, headers, status] of cases) {
      const res = await api.admin.call('post', '/tokens', { rawBody, headers, otp: code });
      assert.equal(res.status, status, `${rawBody.slice(0, 40)} → ${res.text}`);
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    }
    const validation = await api.admin.call<{ field: string }>('post', '/tokens', {
      body: { name: 'bad', role: 'root' },
      otp: code,
    });
    assert.equal(validation.body.field, 'body/role');
    const afterCount = (await api.admin.call<{ items: unknown[] }>('get', '/tokens')).body.items.length;
    assert.equal(afterCount, before);
    const valid = await api.admin.call('post', '/tokens', {
      body: { name: 'after-bad', role: 'viewer' },
      otp: code,
    });
    assert.equal(valid.status, 201, 'the code was not spent by the refused requests');
  });
});

describe('first start', () => {
  it('creates an admin token in a 0600 file and logs where, not what', async () => {
    const exporter = await startExporter();
    try {
      const file = `${exporter.storagePath}/admin-token`;
      const mode = statSync(file).mode & 0o777;
      assert.equal(mode, 0o600);
      const secret = readFileSync(file, 'utf8').trim();
      assert.match(secret, /^hyp_[0-9a-f]{12}_/);
      const logged = JSON.stringify(exporter.logs);
      assert.ok(logged.includes(file), 'the log names the file');
      assert.ok(!logged.includes(secret), 'the log never contains the secret');
      const res = await fetch(`${exporter.url}/api/v1/auth/whoami`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.deepEqual(((await res.json()) as { role: string }).role, 'admin');
    } finally {
      await exporter.stop();
    }
  });

  it('refuses to start on an invalid configuration, naming the key', async () => {
    const dir = mkdtempSync('/tmp/hyperion-badcfg-');
    writeFileSync(`${dir}/hyperion.yml`, 'security:\n  otp: sometimes\n');
    await assert.rejects(startExporter({ storagePath: dir }), /security\.otp|otp/);
  });
});
