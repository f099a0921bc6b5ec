/**
 * Faults of a remote host, with a real sshd: one that hangs (SIGSTOP) and one that dies in the
 * middle of a probe (SIGKILL of the listener and its session processes). The probe answers
 * hyperion_probe_success 0 within its timeout, the exporter keeps serving everything else, and
 * the first probe after the server is back succeeds, without restarting the exporter.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startApi, type ApiFixture } from '../support/api.js';
import { addApprovedHost, generateKey, startSshd, type KeyPair, type RunningSshd } from '../support/sshd.js';

interface HostView {
  connection: { state: string; lastError: string | null; retryAt: number | null };
}

async function probe(
  api: ApiFixture,
  timeoutSeconds: number,
): Promise<{ ms: number; success: number | undefined }> {
  const started = performance.now();
  const res = await fetch(`${api.exporter.url}/probe?target=flaky`, {
    headers: {
      'x-prometheus-scrape-timeout-seconds': String(timeoutSeconds),
      authorization: `Bearer ${api.viewer.token}`,
    },
    signal: AbortSignal.timeout(60_000),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  const match = /^hyperion_probe_success (\d)$/m.exec(text);
  return { ms: performance.now() - started, success: match ? Number(match[1]) : undefined };
}

async function sshMetric(url: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = text.split('\n').find((l) => line.test(l));
  return match === undefined ? undefined : Number(match.split(' ').pop());
}

describe('SSH faults: a host that hangs, dies mid-probe and comes back', () => {
  let api: ApiFixture;
  let key: KeyPair;
  let sshd: RunningSshd;
  let revived: RunningSshd | undefined;

  before(async () => {
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    api = await startApi({ config: 'security:\n  otp: disabled\n' });
    await addApprovedHost(api.admin, { name: 'flaky', sshd, keyFile: key.privateKeyFile });
  });
  after(async () => {
    sshd?.resume();
    await api?.stop();
    await Promise.all([sshd?.stop(), revived?.stop()]);
    key?.remove();
  });

  it('answers success 0 within the scrape timeout when the host hangs, and keeps serving', async () => {
    assert.equal((await probe(api, 10)).success, 1, 'healthy first');
    sshd.pause();
    const hung = probe(api, 3);
    // Everything else stays available meanwhile.
    await delay(300);
    const metricsStarted = performance.now();
    const local = await fetch(`${api.exporter.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(local.status, 200);
    assert.ok(performance.now() - metricsStarted < 5000, 'local /metrics is not held up');
    assert.equal((await api.viewer.call('get', '/hosts')).status, 200);
    const result = await hung;
    assert.equal(result.success, 0);
    // 3 s less its tenth, plus scheduling on a busy machine.
    assert.ok(result.ms >= 2500 && result.ms < 4500, `answered after ${result.ms} ms`);
  });

  it('answers success 0 at once when sshd dies in the middle of a probe', async () => {
    // Still stopped: this probe is under way, waiting on the host, when the server is killed.
    const pending = probe(api, 20);
    await delay(500);
    await sshd.kill();
    const result = await pending;
    assert.equal(result.success, 0);
    assert.ok(result.ms < 8000, `answered after ${result.ms} ms, not at the 20 s timeout`);
    // The connection's own end is noticed as the socket closes, right after its channels'.
    let up: number | undefined = 1;
    for (let i = 0; i < 40 && up !== 0; i++) {
      up = await sshMetric(api.exporter.url, /^hyperion_ssh_up\{host="flaky"\}/);
      if (up !== 0) await delay(100);
    }
    assert.equal(up, 0);

    // Down: a probe fails fast, the API says why, the exporter serves on.
    const down = await probe(api, 10);
    assert.equal(down.success, 0);
    assert.ok(down.ms < 5000, `${down.ms} ms`);
    const view = (await api.viewer.call<HostView>('get', '/hosts/flaky')).body;
    assert.notEqual(view.connection.state, 'ready');
    assert.ok(view.connection.lastError, 'the last error is shown');
    assert.equal((await fetch(`${api.exporter.url}/metrics`)).status, 200);
  });

  it('succeeds on the first probe after the server is back, without a restart', async () => {
    revived = await startSshd({ authorizedKeys: [key.publicKey], hostKey: sshd.hostKey, port: sshd.port });
    // A failed connect holds further attempts off for a back-off (at most 8 s by default); the
    // host's state says until when. The next probe after that must succeed.
    const view = (await api.viewer.call<HostView>('get', '/hosts/flaky')).body;
    const wait = (view.connection.retryAt ?? 0) - Date.now();
    assert.ok(wait < 8500, `back-off of ${wait} ms`);
    if (wait > 0) await delay(wait + 100);
    const back = await probe(api, 10);
    assert.equal(back.success, 1);
    assert.equal(await sshMetric(api.exporter.url, /^hyperion_ssh_up\{host="flaky"\}/), 1);
    assert.ok(
      (await sshMetric(api.exporter.url, /^hyperion_ssh_connects_total\{host="flaky",result="success"\}/))! >=
        2,
    );
    assert.ok(api.exporter.child.exitCode === null, 'the same exporter process');
  });
});
