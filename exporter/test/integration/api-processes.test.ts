/**
 * Issue 3's end-to-end proof on real processes: the API lists, sorts, filters, signals and
 * renices processes this test started, through the full security pipeline, and audits it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parsePidStat } from '../../src/parsers/pid-stat.js';
import { startApi, type ApiFixture } from '../support/api.js';

const PROBLEM = 'urn:hyperion:problem:';

interface Proc {
  pid: number;
  ppid: number;
  user: string;
  name: string;
  command: string;
  state: string;
  nice: number;
  rssBytes: number;
  cpuPercent: number;
}
interface Page {
  total: number;
  items: Proc[];
}

const children: ChildProcess[] = [];
function sleeper(seconds: number | string = 300): ChildProcess {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function alive(pid: number): boolean {
  try {
    const stat = parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return stat.state !== 'Z';
  } catch {
    return false;
  }
}

function niceOf(pid: number): number {
  return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).nice;
}

describe('processes through the control API', () => {
  let api: ApiFixture;

  before(async () => {
    // One code per action: these tests walk the code rules (elevation: test/security/).
    api = await startApi({ config: 'security:\n  otpElevationSeconds: 0\n' });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await api?.stop();
  });

  it('lists a process the test started, with its parent, user and command line', async () => {
    const child = sleeper(301);
    const res = await api.viewer.call<Page>('get', '/hosts/local/processes?search=sleep%20301&limit=50');
    assert.equal(res.status, 200, res.text);
    const found = res.body.items.find((p) => p.pid === child.pid);
    assert.ok(found, `pid ${child.pid} not in ${JSON.stringify(res.body.items.map((p) => p.pid))}`);
    assert.equal(found.ppid, process.pid);
    assert.equal(found.user, 'root');
    assert.equal(found.name, 'sleep');
    assert.equal(found.command, 'sleep 301');
    assert.equal(found.state, 'S');
    assert.ok(found.rssBytes > 0);
  });

  it('sorts and filters on the server', async () => {
    // A duration no other process on the machine has (another test run may be sleeping 302 s).
    const seconds = `302.${process.pid}`;
    const a = sleeper(seconds);
    const b = sleeper(seconds);
    const desc = await api.viewer.call<Page>(
      'get',
      `/hosts/local/processes?search=${encodeURIComponent(`sleep ${seconds}`)}&sort=pid&order=desc`,
    );
    assert.deepEqual(
      desc.body.items.map((p) => p.pid),
      [b.pid, a.pid].sort((x, y) => y! - x!),
    );
    const asc = await api.viewer.call<Page>(
      'get',
      '/hosts/local/processes?sort=rssBytes&order=asc&limit=1000',
    );
    const rss = asc.body.items.map((p) => p.rssBytes);
    assert.deepEqual(
      rss,
      [...rss].sort((x, y) => x - y),
    );
    const paged = await api.viewer.call<Page>('get', '/hosts/local/processes?limit=3&offset=1');
    assert.equal(paged.body.items.length, 3);
    assert.ok(paged.body.total > 3);
    const running = await api.viewer.call<Page>('get', '/hosts/local/processes?state=S&user=root&limit=1000');
    assert.ok(
      running.body.items.length > 0 && running.body.items.every((p) => p.state === 'S' && p.user === 'root'),
    );
  });

  it('refuses bad input with 4xx before anything happens', async () => {
    const child = sleeper();
    const op = api.client('proc-bad-input', 'operator');
    const auth = await api.enrol(op);
    const code = await auth.next();
    const cases: [string, string, unknown, number, string][] = [
      ['post', '/hosts/local/processes/4194000/signal', { signal: 'TERM' }, 404, 'not-found'],
      ['post', `/hosts/local/processes/${child.pid}/renice`, { nice: 42 }, 400, 'validation'],
      ['post', `/hosts/local/processes/${child.pid}/signal`, { signal: 'BOOM' }, 400, 'validation'],
      ['post', `/hosts/local/processes/abc/signal`, { signal: 'TERM' }, 400, 'validation'],
      ['post', `/hosts/nowhere/processes/${child.pid}/signal`, { signal: 'TERM' }, 404, 'not-found'],
      ['get', '/hosts/local/processes/4194000', undefined, 404, 'not-found'],
      ['get', '/hosts/local/processes?sort=nope', undefined, 400, 'validation'],
    ];
    for (const [method, path, body, status, type] of cases) {
      // The unknown PID is only found unknown after the code was checked: give it its own code.
      const otp = status === 404 && method === 'post' && path.includes('4194000') ? await auth.next() : code;
      const res = await op.call(method, path, { body, otp });
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)} → ${res.text}`);
      assert.equal((res.body as { type: string }).type, PROBLEM + type);
    }
    assert.ok(alive(child.pid!), 'the target survived every refused request');
    const pid1 = await op.call('post', '/hosts/local/processes/1/signal', {
      body: { signal: 'TERM' },
      otp: await auth.next(),
    });
    assert.equal(pid1.status, 409);
    assert.match((pid1.body as { detail: string }).detail, /PID 1/);
  });

  it('walks the second-factor rules on a real signal and audits every attempt', async () => {
    const child = sleeper();
    const pid = child.pid!;
    const op = api.client('proc-operator', 'operator');

    const viewer = await api.viewer.call('post', `/hosts/local/processes/${pid}/signal`, {
      body: { signal: 'TERM' },
    });
    assert.equal(viewer.status, 403);
    assert.equal((viewer.body as { type: string }).type, `${PROBLEM}role`);

    const auth = await api.enrol(op);
    const noCode = await op.call('post', `/hosts/local/processes/${pid}/signal`, {
      body: { signal: 'TERM' },
    });
    assert.equal((noCode.body as { type: string }).type, `${PROBLEM}otp-required`);
    assert.ok(alive(pid));

    const code = await auth.next();
    const ok = await op.call<{ pid: number; signal: string }>(
      'post',
      `/hosts/local/processes/${pid}/signal`,
      {
        body: { signal: 'TERM' },
        otp: code,
      },
    );
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual([ok.body.pid, ok.body.signal], [pid, 'TERM']);
    for (let i = 0; i < 50 && alive(pid); i += 1) await delay(20);
    assert.equal(alive(pid), false, 'SIGTERM ended the sleep');

    const other = sleeper();
    const replay = await op.call('post', `/hosts/local/processes/${other.pid}/signal`, {
      body: { signal: 'TERM' },
      otp: code,
    });
    const spent = replay.body as { type: string; reason: string; retryAfterSeconds: number };
    assert.equal(spent.type, `${PROBLEM}otp-invalid`);
    assert.equal(replay.status, 403);
    assert.equal(spent.reason, 'replayed', 'told apart from a wrong code');
    assert.ok(spent.retryAfterSeconds >= 1 && spent.retryAfterSeconds <= 60, `${spent.retryAfterSeconds} s`);
    assert.equal(replay.headers.get('retry-after'), String(spent.retryAfterSeconds));
    assert.ok(alive(other.pid!), 'a replayed code changes nothing');

    const wrong = await auth.wrong();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await op.call('post', `/hosts/local/processes/${other.pid}/signal`, {
        body: { signal: 'KILL' },
        otp: wrong,
      });
      statuses.push(res.status);
    }
    // A spent code is no guess (the replay above did not count): the fifth wrong code starts the
    // lockout and is answered with it.
    assert.deepEqual(statuses, [403, 403, 403, 403, 429, 429]);
    assert.ok(alive(other.pid!));

    const lines = api
      .auditLines()
      .filter((l) => l.actor === 'proc-operator' && l.action === 'process.signal');
    assert.equal(lines.length, 1 + 1 + 1 + 6, 'no code, success, replay, six wrong codes');
    const success = lines.find((l) => l.result === 'ok')!;
    assert.equal(success.target, String(pid));
    assert.equal(success.otpUsed, true);
    assert.deepEqual((success.args as { body: unknown }).body, { signal: 'TERM' });
    assert.equal(lines.filter((l) => l.result === 'refused').length, 8);
    const viewerLine = api
      .auditLines()
      .find((l) => l.actor === 'test-viewer' && l.action === 'process.signal');
    assert.ok(viewerLine, 'the viewer’s refused attempt is audited too');
  });

  it('renices a process and the new value is what /proc says; below 0 needs admin', async () => {
    const child = sleeper();
    const pid = child.pid!;
    const op = api.client('proc-renicer', 'operator');
    const auth = await api.enrol(op);
    const res = await op.call<{ nice: number; previousNice: number }>(
      'post',
      `/hosts/local/processes/${pid}/renice`,
      {
        body: { nice: 7 },
        otp: await auth.next(),
      },
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.previousNice, 0);
    assert.equal(res.body.nice, 7);
    assert.equal(niceOf(pid), 7);

    const negative = await op.call('post', `/hosts/local/processes/${pid}/renice`, {
      body: { nice: -5 },
      otp: await auth.next(),
    });
    assert.equal(negative.status, 403);
    assert.equal((negative.body as { type: string }).type, `${PROBLEM}role`);
    assert.equal(niceOf(pid), 7, 'unchanged');

    const detail = await api.viewer.call<{ nice: number; openFiles: number; executable: string }>(
      'get',
      `/hosts/local/processes/${pid}`,
    );
    assert.equal(detail.body.nice, 7);
    assert.equal(detail.body.executable, '/usr/bin/sleep');
    assert.ok(detail.body.openFiles >= 0);
  });

  it('counts actions in hyperion_actions_total and requests in hyperion_api_requests_total', async () => {
    const text = await (await fetch(`${api.exporter.url}/metrics`)).text();
    assert.match(text, /hyperion_actions_total\{action="process.signal",result="ok"\} [1-9]/);
    assert.match(text, /hyperion_actions_total\{action="process.signal",result="refused"\} [1-9]/);
    assert.match(
      text,
      /hyperion_api_requests_total\{route="\/hosts\/\{host\}\/processes",method="GET",code="200"\} [1-9]/,
    );
    assert.match(
      text,
      /hyperion_api_request_duration_seconds_bucket\{le="0.5",route="\/hosts\/\{host\}\/processes",method="GET"\}/,
    );
  });
});
