/**
 * Issue 9, the local stack for real: scripts/stack.sh starts the exporter (embedded default
 * configuration, second factor required), Debian's Prometheus and Alertmanager from the
 * provisioning files, on loopback ports of its own. Then:
 * - Prometheus scrapes the exporter and loaded the shipped rule files;
 * - an SSH host (a real sshd on 127.0.0.1) added and approved through the control API is
 *   discovered by Prometheus through /api/v1/targets and scraped through /probe;
 * - a shipped alert reaches Alertmanager on a real condition: a job that fails
 *   (HyperionJobFailed has no `for`, so it fires at the first evaluation that sees it);
 * - SIGTERM stops every process the command started, and frees their ports.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'yaml';
import { TokenStore } from '../../src/security/tokens.js';
import { DataDir } from '../../src/storage/data-dir.js';
import { ApiClient, Authenticator } from '../support/api.js';
import { testUser } from '../support/exporter.js';
import { freePort } from '../support/ports.js';
import {
  addApprovedHost,
  descendants,
  generateKey,
  startSshd,
  type KeyPair,
  type RunningSshd,
} from '../support/sshd.js';
import { REPO, STACK } from './provisioning-support.js';

const JOB = 'provisioning-failing-job';
const SSH_HOST = 'stack-ssh-host';

/** Polls until `probe` returns something (bounded in time). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms ${lastError}`);
    await delay(250);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

describe('the local stack (scripts/stack.sh)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-stack-'));
  // The exporter drops to the user "hyperion" (stack.sh makes it): its data directory below must
  // be within that user's reach.
  chmodSync(tmp, 0o711);
  const stateDir = path.join(tmp, 'state');
  const secretsDir = path.join(tmp, 'secrets');
  const storage = path.join(tmp, 'exporter');
  let stack: ChildProcess;
  let exited: Promise<number | null>;
  let output = '';
  let ports: { exporter: number; prometheus: number; alertmanager: number };
  let exporterUrl: string;
  let prometheusUrl: string;
  let alertmanagerUrl: string;
  let sshd: RunningSshd;
  let clientKey: KeyPair;
  /** Every process the stack started, as seen while it ran. */
  let started: number[] = [];
  const startedAt = Date.now();

  before(async () => {
    // Two admins for the test, made in the exporter's data directory before it starts, as
    // `token create` would (each actor's one-time codes are its own, so two admins act without
    // waiting for the clock). Prometheus' token is the stack's own business: it makes it.
    mkdirSync(storage, { recursive: true });
    const tokens = new TokenStore(new DataDir(storage));
    const hostsAdmin = new ApiClient('', tokens.create('provisioning-hosts', 'admin').secret);
    const jobsAdmin = new ApiClient('', tokens.create('provisioning-jobs', 'admin').secret);

    clientKey = generateKey();
    // Read by the exporter, which runs as hyperion (stack.sh makes the user; so does this, first).
    const { uid, gid } = testUser('hyperion');
    for (const p of [clientKey.dir, clientKey.privateKeyFile]) chownSync(p, uid, gid);
    sshd = await startSshd({ authorizedKeys: [clientKey.publicKey] });
    const [e, p, a] = await Promise.all([freePort(), freePort(), freePort()]);
    ports = { exporter: e, prometheus: p, alertmanager: a };
    exporterUrl = `http://127.0.0.1:${e}`;
    prometheusUrl = `http://127.0.0.1:${p}`;
    alertmanagerUrl = `http://127.0.0.1:${a}`;

    stack = spawn(
      'bash',
      [
        STACK,
        '--state-dir',
        stateDir,
        '--secrets-dir',
        secretsDir,
        '--prometheus-port',
        String(p),
        '--alertmanager-port',
        String(a),
        // Rules evaluated every second instead of every 15 s: the test does not wait for the clock.
        '--interval',
        '1s',
        '--no-grafana',
        // No build inside a test: the sources as they are (the build is a check of its own).
        '--from-source',
        '--',
        `--web.listen-address=127.0.0.1:${e}`,
        `--storage.path=${storage}`,
      ],
      { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    exited = new Promise((resolve) => stack.once('exit', (code) => resolve(code)));
    stack.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    stack.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    await waitFor(
      'the stack to say it is up',
      async () => {
        if (stack.exitCode !== null) throw new Error(`stack.sh exited with ${stack.exitCode}:\n${output}`);
        return output.includes('Hyperion stack is up') ? true : undefined;
      },
      180_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- stack.sh said ---\n${output}`);
    });
    started = descendants(stack.pid!);
    console.log(`stack up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

    // The conditions, set up at once so that the waits below overlap.
    const hosts = new ApiClient(exporterUrl, hostsAdmin.token);
    const jobs = new ApiClient(exporterUrl, jobsAdmin.token);
    const enrol = async (client: ApiClient) => {
      const started = await client.call<{ secret: string }>('post', '/auth/otp/enrol');
      assert.equal(started.status, 200, started.text);
      const auth = new Authenticator(started.body.secret);
      const confirmed = await client.call('post', '/auth/otp/confirm', { body: { code: await auth.next() } });
      assert.equal(confirmed.status, 200, confirmed.text);
      return auth;
    };
    const [hostsAuth, jobsAuth] = await Promise.all([enrol(hosts), enrol(jobs)]);
    await addApprovedHost(hosts, { name: SSH_HOST, sshd, keyFile: clientKey.privateKeyFile }, () =>
      hostsAuth.next(),
    );
    const created = await jobs.call('post', '/jobs', {
      body: { name: JOB, schedule: '0 0 0 1 1 *', command: { argv: ['false'] }, timeoutSeconds: 10 },
      otp: await jobsAuth.next(),
    });
    assert.equal(created.status, 201, created.text);
    const ran = await jobs.call('post', `/jobs/${JOB}/run`, { otp: await jobsAuth.next() });
    assert.ok([200, 201, 202].includes(ran.status), ran.text);
  });

  after(async () => {
    if (stack && stack.exitCode === null && stack.signalCode === null) {
      stack.kill('SIGTERM');
      // Unref'd timers: a pending one would keep the test process alive after the tests.
      await Promise.race([exited, delay(30_000, undefined, { ref: false })]);
    }
    // Whatever outlived it, by the pids it had started: never by name.
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await sshd?.stop();
    clientKey?.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints where each part answers', () => {
    assert.match(output, new RegExp(`exporter\\s+${exporterUrl}/`));
    assert.match(output, new RegExp(`prometheus\\s+${prometheusUrl}/`));
    assert.match(output, new RegExp(`alertmanager\\s+${alertmanagerUrl}/`));
    assert.match(output, /grafana\s+not started/);
  });

  it('makes Prometheus a viewer token with the exporter’s CLI, in a 0600 file its discovery and /probe jobs read', async () => {
    const file = path.join(secretsDir, 'prometheus/hyperion-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const secret = readFileSync(file, 'utf8');
    assert.match(secret, /^\S+$/, 'the bare secret, no newline');
    const listed = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO, 'exporter/src/main.ts'),
        'token',
        'list',
        `--storage.path=${storage}`,
      ],
      { cwd: path.join(REPO, 'exporter'), encoding: 'utf8' },
    );
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^stack-prometheus\tviewer\t/m, listed.stdout);
    // A viewer: it reads, and nothing more.
    const viewer = new ApiClient(exporterUrl, secret);
    assert.equal((await viewer.call('get', '/hosts')).status, 200);
    const refused = await viewer.call('post', '/tokens', { body: { name: 'escalate', role: 'admin' } });
    assert.equal(refused.status, 403, refused.text);
    // Both Prometheus jobs that talk to the exporter's API or /probe read it.
    const config = parse(readFileSync(path.join(stateDir, 'config/prometheus.yml'), 'utf8')) as {
      scrape_configs: {
        job_name: string;
        authorization?: unknown;
        http_sd_configs?: { authorization?: unknown }[];
      }[];
    };
    const probe = config.scrape_configs.find((j) => j.job_name === 'hyperion-probe')!;
    const expected = { type: 'Bearer', credentials_file: file };
    assert.deepEqual(probe.authorization, expected);
    assert.deepEqual(probe.http_sd_configs![0]!.authorization, expected);
  });

  it('has Prometheus scrape the exporter, with the shipped rules and this Alertmanager', async () => {
    const target = await waitFor(
      'the exporter target up',
      async () => {
        const { data } = await getJson<{ data: { activeTargets: ActiveTarget[] } }>(
          `${prometheusUrl}/api/v1/targets?state=active`,
        );
        return data.activeTargets.find((t) => t.scrapePool === 'hyperion' && t.health === 'up');
      },
      60_000,
    );
    assert.equal(target.scrapeUrl, `${exporterUrl}/metrics`);
    const { data: rules } = await getJson<{ data: { groups: { file: string }[] } }>(
      `${prometheusUrl}/api/v1/rules`,
    );
    const files = new Set(rules.groups.map((g) => g.file));
    assert.deepEqual(
      [...files].sort(),
      ['hyperion-alerts.rules.yml', 'hyperion-recording.rules.yml'].map((f) =>
        path.join(REPO, 'alerting/rules', f),
      ),
    );
    const { data: ams } = await getJson<{ data: { activeAlertmanagers: { url: string }[] } }>(
      `${prometheusUrl}/api/v1/alertmanagers`,
    );
    assert.deepEqual(
      ams.activeAlertmanagers.map((x) => x.url),
      [`${alertmanagerUrl}/api/v2/alerts`],
    );
    const up = await getJson<{ data: { result: { value: [number, string] }[] } }>(
      `${prometheusUrl}/api/v1/query?query=${encodeURIComponent('hyperion_load1{job="hyperion"}')}`,
    );
    assert.equal(up.data.result.length, 1, 'the exporter’s own series are in Prometheus');
  });

  it('has Prometheus discover the approved SSH host through /api/v1/targets and scrape it through /probe', async () => {
    // The discovery refreshes every 30 s (the shipped refresh_interval): up to one period.
    const target = await waitFor(
      'the SSH host scraped through /probe',
      async () => {
        const { data } = await getJson<{ data: { activeTargets: ActiveTarget[] } }>(
          `${prometheusUrl}/api/v1/targets?state=active`,
        );
        return data.activeTargets.find(
          (t) => t.scrapePool === 'hyperion-probe' && t.labels.instance === SSH_HOST && t.health === 'up',
        );
      },
      90_000,
    );
    assert.equal(target.scrapeUrl, `${exporterUrl}/probe?target=${SSH_HOST}`);
    // The first probes may run while the exporter still connects to the host and answer 0, so
    // the first sample proves nothing either way: wait for the value 1 itself. A probe that never
    // reaches the host leaves 0 (or nothing) and fails here with the last value seen.
    const expr = `hyperion_probe_success{job="hyperion-probe",instance="${SSH_HOST}"}`;
    let seen = 'no query answered yet';
    await waitFor(
      'hyperion_probe_success 1 for the SSH host: the exporter reaching it over SSH',
      async () => {
        const r = await getJson<{ data: { result: { value: [number, string] }[] } }>(
          `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`,
        );
        const values = r.data.result.map((s) => s.value[1]);
        seen = JSON.stringify(values);
        // One series (the probe job's), valued 1.
        return values.length === 1 && values[0] === '1' ? true : undefined;
      },
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last values of ${expr}: ${seen}`);
    });
  });

  it('delivers a shipped alert to Alertmanager: the failed job fires HyperionJobFailed', async () => {
    interface AmAlert {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      generatorURL: string;
      status: { state: string };
    }
    const alert = await waitFor(
      'HyperionJobFailed in Alertmanager',
      async () => {
        const alerts = await getJson<AmAlert[]>(
          `${alertmanagerUrl}/api/v2/alerts?filter=${encodeURIComponent('alertname="HyperionJobFailed"')}`,
        );
        return alerts.find((a) => a.labels.exported_job === JOB);
      },
      90_000,
    );
    assert.equal(alert.labels.severity, 'warning');
    assert.equal(alert.labels.job, 'hyperion');
    assert.equal(alert.labels.instance, `127.0.0.1:${ports.exporter}`);
    assert.equal(alert.status.state, 'active');
    assert.match(alert.annotations.summary!, new RegExp(`Job ${JOB} failed`));
    assert.ok(alert.generatorURL.startsWith(prometheusUrl), alert.generatorURL);
    console.log(`alert in Alertmanager ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the start`);
  });

  it('stops everything it started on SIGTERM, and frees the ports', async () => {
    const running = descendants(stack.pid!);
    // At least the exporter, Prometheus and Alertmanager (tsx adds an esbuild service).
    const programs = running.map((pid) => {
      try {
        return path.basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!);
      } catch {
        return '';
      }
    });
    for (const program of ['node', 'prometheus', 'prometheus-alertmanager']) {
      assert.ok(programs.includes(program), `${program} runs (${programs.join(', ')})`);
    }
    started = [...new Set([...started, ...running])];
    const stopping = Date.now();
    stack.kill('SIGTERM');
    const code = await Promise.race([exited, delay(45_000, 'timeout' as const, { ref: false })]);
    assert.notEqual(code, 'timeout', `stack.sh did not exit:\n${output}`);
    assert.equal(code, 143, output);
    console.log(`stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
    const left = started.filter(alive);
    const described = left.map((pid) => {
      try {
        return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()})`;
      } catch {
        return String(pid);
      }
    });
    assert.deepEqual(left, [], `still running: ${described.join(', ')}`);
    for (const port of Object.values(ports))
      assert.equal(await portOpen(port), false, `port ${port} is free`);
    assert.match(output, /stack: stopped/);
  });
});
