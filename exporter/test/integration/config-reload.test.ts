/**
 * Configuration reload against the real exporter process: POST /-/reload (and its API path
 * /api/v1/config/reload) and SIGHUP read hyperion.yml again. A broken file leaves the running
 * configuration in force — its file roots and body limit still answer — with
 * hyperion_config_last_reload_successful 0 and the reason in the answer and the log; a valid one
 * takes effect (new roots, a new body limit, another second-factor policy, job limits) with the
 * metric back at 1 and a later success time. Blocks that need a restart (ssh) keep their running values and are named. Only an admin
 * may reload: an operator or viewer gets 403, a client without a token 401, and every attempt by
 * a token holder is audited.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startApi, type ApiClient, type ApiFixture } from '../support/api.js';
import { parseExposition, valueOf } from '../support/exposition.js';

let api: ApiFixture;
let configFile: string;
let rootsDir: string;

/** A configuration with one file root named `root`, readable by viewers, and a body limit. */
function configText(
  root: string,
  options: { bodyLimitBytes?: number; extra?: string; ssh?: string; otp?: string } = {},
): string {
  mkdirSync(path.join(rootsDir, root), { recursive: true });
  return [
    'api:',
    `  bodyLimitBytes: ${options.bodyLimitBytes ?? 65536}`,
    'files:',
    '  roots:',
    `    - name: ${root}`,
    `      path: ${path.join(rootsDir, root)}`,
    '      readRole: viewer',
    ...(options.ssh ? ['ssh:', `  connectTimeoutSeconds: ${options.ssh}`] : []),
    ...(options.otp ? ['security:', `  otp: ${options.otp}`] : []),
    options.extra ?? '',
  ].join('\n');
}

async function reload(client: ApiClient, at = '/-/reload', init: RequestInit = {}) {
  const headers: Record<string, string> = {};
  if (client.token) headers.authorization = `Bearer ${client.token}`;
  const res = await fetch(`${api.exporter.url}${at}`, {
    method: 'POST',
    headers,
    signal: AbortSignal.timeout(20_000),
    ...init,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

async function reloadMetrics(): Promise<{ successful: number; time: number }> {
  const text = await (await fetch(`${api.exporter.url}/metrics`)).text();
  const { samples } = parseExposition(text);
  return {
    successful: valueOf(samples, 'hyperion_config_last_reload_successful'),
    time: valueOf(samples, 'hyperion_config_last_reload_success_timestamp_seconds'),
  };
}

async function rootNames(): Promise<string[]> {
  const res = await api.viewer.call<{ items: { name: string }[] }>('get', '/hosts/local/files');
  assert.equal(res.status, 200, res.text);
  return res.body.items.map((r) => r.name);
}

/** A body of about `bytes` bytes to a route that takes one: 413 over the limit, else a 400 for its content. */
async function postBodyOf(bytes: number): Promise<number> {
  const res = await api.operator.call('post', '/hosts/local/firewall/blocks', {
    body: { padding: 'x'.repeat(bytes) },
  });
  return res.status;
}

/** The second-factor policy in force, as the caller's whoami reports it. */
async function otpPolicy(): Promise<string> {
  const res = await api.operator.call<{ otp: { policy: string } }>('get', '/auth/whoami');
  assert.equal(res.status, 200, res.text);
  return res.body.otp.policy;
}

async function logged(msg: string, since: number, ms = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = api.exporter.logs.slice(since).find((l) => l.msg === msg);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`the exporter did not log "${msg}" within ${ms} ms`);
    await delay(100);
  }
}

before(async () => {
  rootsDir = mkdtempSync(path.join(os.tmpdir(), `hyperion-reload-roots-${process.pid}-`));
  api = await startApi({ config: configText('first') });
  configFile = path.join(api.exporter.storagePath, 'hyperion.yml');
});

after(async () => {
  await api?.stop();
  if (rootsDir) rmSync(rootsDir, { recursive: true, force: true });
});

describe('POST /-/reload', () => {
  it('starts with a successful load: metric 1, the file roots of the file', async () => {
    const m = await reloadMetrics();
    assert.equal(m.successful, 1);
    assert.ok(Math.abs(m.time - Date.now() / 1000) < 120, `start-up time: ${m.time}`);
    assert.deepEqual(await rootNames(), ['first']);
    assert.equal(await postBodyOf(4000), 400, 'within the 64 KiB limit: refused for its content only');
  });

  it('a broken file keeps the running configuration: 409 with the reason, metric 0, old roots and limit still in force', async () => {
    const before = await reloadMetrics();
    for (const [broken, reason] of [
      // The new roots and a smaller limit, with a typo elsewhere: nothing of it may apply.
      [configText('second', { bodyLimitBytes: 1024, extra: 'audit:\n  maxFile: 3\n' }), /maxFile/],
      [configText('second', { bodyLimitBytes: 10 }), /bodyLimitBytes/],
      ['files: [\n', /not valid YAML/],
    ] as const) {
      writeFileSync(configFile, broken);
      const since = api.exporter.logs.length;
      const res = await reload(api.admin);
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.type, 'application/problem+json; charset=utf-8');
      assert.match(String(res.body.detail), reason);
      assert.match(String(res.body.detail), /hyperion\.yml/);
      const line = await logged('configuration not reloaded; the previous one stays in force', since);
      assert.match(String(line.err), reason);
      const m = await reloadMetrics();
      assert.equal(m.successful, 0);
      assert.equal(m.time, before.time, 'no success: the success time stays');
      assert.deepEqual(await rootNames(), ['first']);
      assert.equal(await postBodyOf(4000), 400, 'the old body limit is still in force');
    }
  });

  it('a valid file takes effect: metric 1, a later success time, new roots, body limit and second-factor policy', async () => {
    const before = await reloadMetrics();
    assert.equal(await otpPolicy(), 'required');
    await delay(1100); // the success time has a resolution the test can see
    writeFileSync(configFile, configText('second', { bodyLimitBytes: 2048, otp: 'optional' }));
    const res = await reload(api.admin);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      success: true,
      changed: ['api', 'security', 'files'],
      restartRequired: [],
      webConfig: 'none',
    });
    assert.equal(await otpPolicy(), 'optional');
    const m = await reloadMetrics();
    assert.equal(m.successful, 1);
    assert.ok(m.time > before.time, `${m.time} > ${before.time}`);
    assert.deepEqual(await rootNames(), ['second']);
    assert.equal(await postBodyOf(4000), 413, 'the new 2 KiB limit refuses a 4 KB body');
    assert.equal(await postBodyOf(500), 400);
  });

  it('a block that needs a restart (ssh) keeps its running value and is named, the rest applies', async () => {
    writeFileSync(configFile, configText('third', { bodyLimitBytes: 2048, otp: 'optional', ssh: '3' }));
    const since = api.exporter.logs.length;
    const res = await reload(api.admin, '/api/v1/config/reload');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.changed, ['files']);
    assert.deepEqual(res.body.restartRequired, ['ssh']);
    const warning = await logged(
      'configuration changes that need a restart were not applied; their running values stay until then',
      since,
    );
    assert.deepEqual(warning.keys, ['ssh']);
    assert.deepEqual(await rootNames(), ['third']);
    // Still differing from the running value: named again at the next reload.
    const again = await reload(api.admin);
    assert.deepEqual(again.body.restartRequired, ['ssh']);
    assert.deepEqual(again.body.changed, []);
  });

  it('job limits apply to the next definition', async () => {
    // The second-factor policy in force is "optional" (reloaded above): an admin who never
    // enrolled defines jobs without a code.
    const job = (name: string) =>
      api.admin.call('post', '/jobs', {
        body: { name, schedule: '0 0 1 1 *', timezone: 'UTC', command: { argv: ['/bin/true'] } },
      });
    assert.equal((await job(`reload-a-${process.pid}`)).status, 201);
    writeFileSync(
      configFile,
      configText('third', { bodyLimitBytes: 2048, otp: 'optional', extra: 'jobs:\n  maxJobs: 1\n' }),
    );
    const res = await reload(api.admin);
    assert.deepEqual([res.body.changed, res.body.restartRequired], [['jobs'], []]);
    const refused = await job(`reload-b-${process.pid}`);
    assert.equal(refused.status, 409, refused.text);
    assert.match(String((refused.body as { detail: string }).detail), /jobs\.maxJobs/);
    writeFileSync(
      configFile,
      configText('third', { bodyLimitBytes: 2048, otp: 'optional', extra: 'jobs:\n  maxJobs: 2\n' }),
    );
    assert.equal((await reload(api.admin)).status, 200);
    assert.equal((await job(`reload-b-${process.pid}`)).status, 201);
  });

  it('only an admin reloads: 401 without a token, 403 for operator and viewer, on both paths; all audited', async () => {
    writeFileSync(configFile, configText('fourth'));
    for (const at of ['/-/reload', '/api/v1/config/reload']) {
      const anonymous = await reload(api.anonymous, at);
      assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
      for (const client of [api.operator, api.viewer]) {
        const refused = await reload(client, at);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assert.equal(refused.body.type, 'urn:hyperion:problem:role');
      }
      assert.deepEqual(await rootNames(), ['third'], 'a refused reload read nothing');
    }
    const body = await reload(api.admin, '/-/reload', {
      body: '{}',
      headers: { authorization: `Bearer ${api.admin.token}`, 'content-type': 'application/json' },
    });
    assert.equal(body.status, 400, 'the reload takes no body');
    const records = api.auditLines().filter((r) => r.action === 'config.reload');
    const refusedRoles = records.filter((r) => r.result === 'refused' && r.status === 403).map((r) => r.role);
    assert.deepEqual(refusedRoles.sort(), ['operator', 'operator', 'viewer', 'viewer']);
    assert.ok(records.some((r) => r.result === 'ok' && r.role === 'admin'));
    assert.ok(records.some((r) => r.result === 'refused' && r.status === 409 && r.role === 'admin'));
  });
});

describe('SIGHUP', () => {
  it('reloads the same way: a broken file keeps the old configuration (metric 0), a good one applies (metric 1)', async () => {
    const rootsBefore = await rootNames();
    writeFileSync(configFile, configText('fifth', { extra: 'jobs:\n  historyRuns: 0\n' }));
    let since = api.exporter.logs.length;
    api.exporter.child.kill('SIGHUP');
    const failed = await logged('configuration not reloaded; the previous one stays in force', since);
    assert.equal(failed.trigger, 'SIGHUP');
    assert.match(String(failed.err), /historyRuns/);
    assert.equal((await reloadMetrics()).successful, 0);
    assert.deepEqual(await rootNames(), rootsBefore);

    writeFileSync(configFile, configText('fifth'));
    since = api.exporter.logs.length;
    api.exporter.child.kill('SIGHUP');
    const done = await logged('configuration reloaded', since);
    assert.equal(done.trigger, 'SIGHUP');
    assert.equal((await reloadMetrics()).successful, 1);
    assert.deepEqual(await rootNames(), ['fifth']);
  });
});
