/**
 * The audit log and what no answer may carry, against a real exporter. Anonymous clients cannot
 * write to the log at all (a thousand requests leave it unchanged, and are counted instead);
 * what a token holder can make it write is validated and bounded, and an actor's flood of
 * refusals is cut short; it rotates by size and GET /audit pages across the rotated files,
 * newest first, without reading them whole; and /probe, like the API, needs a token.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiFixture } from '../support/api.js';

const PROBLEM = 'urn:hyperion:problem:';

interface AuditPage {
  items: {
    action: string;
    actor: string;
    target: string | null;
    result: string;
    time: string;
    host: string | null;
  }[];
  nextCursor: string | null;
}

describe('an audit log nobody can flood', () => {
  let api: ApiFixture;
  before(async () => {
    // Small files, so that a few hundred records rotate through several of them.
    api = await startApi({
      config: 'security:\n  otp: disabled\naudit:\n  maxFileBytes: 65536\n  maxFiles: 3\n',
    });
  });
  after(async () => {
    await api?.stop();
  });

  const auditFile = () => path.join(api.exporter.storagePath, 'audit.jsonl');

  it('writes nothing for a thousand requests without a valid token, and counts them', async () => {
    const before = readFileSync(auditFile());
    const longHost = 'h'.repeat(12_000);
    const requests = Array.from({ length: 1000 }, (_, i) => {
      const headers: Record<string, string> =
        i % 3 === 0
          ? {}
          : { authorization: i % 3 === 1 ? 'Bearer nope' : `Bearer hyp_000000000000_${'A'.repeat(43)}` };
      const target = i % 2 === 0 ? `/api/v1/hosts/${longHost}/processes/1/signal` : '/api/v1/tokens';
      return fetch(`${api.exporter.url}${target}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{"signal":"KILL","name":"x","role":"admin"}',
      }).then((r) => r.status);
    });
    const statuses = await Promise.all(requests);
    assert.ok(
      statuses.every((s) => s === 401),
      'every one refused as unauthenticated',
    );
    assert.deepEqual(readFileSync(auditFile()), before, 'the audit log is byte for byte unchanged');
    const metrics = await (await fetch(`${api.exporter.url}/metrics`)).text();
    const counted = [
      ...metrics.matchAll(/^hyperion_unauthenticated_requests_total\{surface="api",reason="\w+"\} (\d+)$/gm),
    ]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
    assert.equal(counted, 1000);
    // …and logged at most once a minute, not once per request.
    const logged = api.exporter.logs.filter((l) =>
      String(l.msg).startsWith('refused requests without a valid token'),
    );
    assert.ok(logged.length <= 2, `${logged.length} log lines`);
  });

  it('bounds what a token holder makes it write, and cuts a flood of refusals short', async () => {
    const refusals = await Promise.all(
      Array.from({ length: 300 }, () =>
        api.viewer.call('post', '/tokens', { body: { name: 'v'.repeat(60), role: 'admin' } }),
      ),
    );
    assert.ok(refusals.every((r) => r.status === 403));
    // Counted through the API: the log rotates meanwhile (its files are small here).
    const written = (
      await api.operator.call<AuditPage>('get', '/audit?actor=test-viewer&action=token.create&limit=1000')
    ).body.items;
    assert.ok(written.length >= 100 && written.length <= 130, `${written.length} of 300 refusals written`);
    const metrics = await (await fetch(`${api.exporter.url}/metrics`)).text();
    const suppressed = Number(/^hyperion_audit_suppressed_total (\d+)$/m.exec(metrics)?.[1]);
    assert.equal(suppressed, 300 - written.length, 'the rest are counted');
    // Each record written for the actor says how many were left out since its previous one: an
    // allowed action says the rest.
    const ok = await api.viewer.call('post', '/auth/elevation/drop');
    assert.equal(ok.status, 200);
    const told = written.reduce((sum, r) => sum + ((r as { suppressed?: number }).suppressed ?? 0), 0);
    assert.equal(told + Number(api.auditLines().at(-1)!.suppressed ?? 0), suppressed);
    // Every field bounded: a path of 4 000 characters is named in part, never written whole.
    const deep = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(200, 'x')).join('/');
    const long = await api.admin.call('post', '/hosts/local/file-operations/mkdir', {
      body: { root: 'data', path: deep, parents: false },
    });
    assert.equal(long.status, 404, long.text);
    const line = readFileSync(auditFile(), 'utf8').trim().split('\n').at(-1)!;
    const record = JSON.parse(line) as { target: string };
    assert.ok(
      record.target.length <= 513 && record.target.endsWith('…'),
      `target of ${record.target.length}`,
    );
    assert.ok(line.length < 8192 + 2048, `a record of ${line.length} bytes`);
  });

  it('rotates by size, keeps a bounded number of files, and pages across them newest first', async () => {
    for (let i = 0; i < 400; i += 1) {
      const res = await api.admin.call('post', '/tokens', { body: { name: `rot-${i}`, role: 'viewer' } });
      assert.equal(res.status, 201);
    }
    const files = readdirSync(api.exporter.storagePath).filter((f) => f.startsWith('audit.jsonl'));
    assert.deepEqual(files.sort(), ['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
    for (const f of files) assert.ok(statSync(path.join(api.exporter.storagePath, f)).size <= 65_536);

    // Page through every token.create record, 37 at a time, across the files.
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const query: string = `/audit?action=token.create&result=ok&limit=37${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.operator.call<AuditPage>('get', query);
      assert.equal(res.status, 200, res.text);
      seen.push(...res.body.items.map((r) => r.target!));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    // Newest first, no record twice, none skipped, back to the oldest the retention kept.
    assert.equal(seen[0], 'rot-399');
    assert.equal(new Set(seen).size, seen.length);
    const numbers = seen.map((t) => Number(t.slice(4)));
    for (let i = 1; i < numbers.length; i += 1) assert.equal(numbers[i], numbers[i - 1]! - 1);
    assert.ok(numbers.at(-1)! > 0, 'the oldest records went with the oldest file');
    assert.ok(seen.length > 150, `${seen.length} records kept`);
  });

  it('filters by actor, action, result, text and time, for operators and admins only', async () => {
    const viewer = await api.viewer.call<{ type: string }>('get', '/audit');
    assert.equal(viewer.status, 403);
    assert.equal(viewer.body.type, `${PROBLEM}role`);
    const byText = await api.operator.call<AuditPage>('get', '/audit?search=ROT-12&limit=100');
    assert.deepEqual(
      byText.body.items.map((r) => r.target).sort(),
      [
        'rot-12',
        'rot-120',
        'rot-121',
        'rot-122',
        'rot-123',
        'rot-124',
        'rot-125',
        'rot-126',
        'rot-127',
        'rot-128',
        'rot-129',
      ]
        .filter((t) => byText.body.items.some((r) => r.target === t))
        .sort(),
    );
    assert.ok(byText.body.items.every((r) => r.target?.startsWith('rot-12')));
    // A viewer of its own: the flood above emptied test-viewer's refusal bucket, which refills
    // at its own pace.
    const filtered = api.client('filter-viewer', 'viewer');
    for (let i = 0; i < 6; i += 1)
      await filtered.call('post', '/tokens', { body: { name: `f${i}`, role: 'viewer' } });
    const refused = await api.operator.call<AuditPage>(
      'get',
      '/audit?actor=filter-viewer&result=refused&limit=5',
    );
    assert.equal(refused.body.items.length, 5);
    assert.ok(refused.body.items.every((r) => r.actor === 'filter-viewer' && r.result === 'refused'));
    const newest = (await api.operator.call<AuditPage>('get', '/audit?limit=1')).body.items[0]!;
    const until = new Date(Date.parse(newest.time) - 1).toISOString();
    const older = await api.operator.call<AuditPage>('get', `/audit?until=${until}&limit=3`);
    assert.ok(older.body.items.every((r) => Date.parse(r.time) <= Date.parse(until)));
    const since = await api.operator.call<AuditPage>('get', `/audit?since=${newest.time}`);
    assert.ok(since.body.items.length >= 1 && since.body.items.every((r) => r.time >= newest.time));
    const stale = await api.operator.call<{ type: string }>('get', '/audit?cursor=1:100');
    assert.equal(stale.status, 404);
  });
});

describe('/probe needs a token', () => {
  let api: ApiFixture;
  before(async () => {
    api = await startApi({ config: 'security:\n  otp: disabled\n' });
  });
  after(async () => {
    await api?.stop();
  });

  it('refuses an anonymous probe with 401 before looking at the target, and counts it', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Basic d3Jvbmc6d3Jvbmc=' }];
    for (const headers of attempts) {
      const res = await fetch(`${api.exporter.url}/probe?target=anything`, { headers });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    }
    // With a viewer's token, the request gets as far as the target (unknown here: 400).
    const known = await fetch(`${api.exporter.url}/probe?target=anything`, {
      headers: { authorization: `Bearer ${api.viewer.token}` },
    });
    assert.equal(known.status, 400);
    const metrics = await (await fetch(`${api.exporter.url}/metrics`)).text();
    assert.match(metrics, /^hyperion_unauthenticated_requests_total\{surface="probe",reason="missing"\} 1$/m);
    assert.match(
      metrics,
      /^hyperion_unauthenticated_requests_total\{surface="probe",reason="malformed"\} 1$/m,
    );
  });
});
