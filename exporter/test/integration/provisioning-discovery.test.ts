/**
 * Issue 9, what a real Prometheus and a real Alertmanager do with the shipped configuration:
 * - the /probe job of provisioning/prometheus/prometheus.yml: discovery through the exporter's
 *   /api/v1/targets and the probes themselves, both with the token from its file, and the
 *   relabelling to /probe?target=<host> on the exporter with instance=<host>;
 * - provisioning/scale-out/prometheus-probe-sharding.yml over 30 hosts: hashmod sends every
 *   host to exactly one of three exporters, all three get a share, each with its own token;
 * - the Alertmanager clustering flags of docs/scaling.md: two members gossip a silence.
 *
 * The exporters here are stand-ins serving /api/v1/targets and /probe (provisioning-support.ts):
 * what is under test is Prometheus' handling of the shipped files, over more hosts than real
 * sshd processes would make cheap. With real exporters and real SSH hosts:
 * provisioning-stack.test.ts (discovery) and scale-out-sharding.test.ts (sharding).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ALERTMANAGER_BIN } from '../support/alertmanager.js';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { PROMETHEUS_BIN } from '../support/prometheus.js';
import { SCALE_OUT, renderStack, startProbeStandIn, type ProbeStandIn } from './provisioning-support.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-discovery-'));
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: string;
}

async function startPrometheusOn(configFile: string, port: number, dataDir: string): Promise<Daemon> {
  const daemon = await startDaemon({
    name: 'prometheus',
    binary: PROMETHEUS_BIN,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    readyUrl: `http://127.0.0.1:${port}/-/ready`,
    timeoutMs: 60_000,
  });
  cleanups.push(() => daemon.stop());
  return daemon;
}

async function activeTargets(port: number, pool?: string): Promise<ActiveTarget[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/targets?state=active`);
  const body = (await res.json()) as { data: { activeTargets: ActiveTarget[] } };
  return body.data.activeTargets.filter((t) => pool === undefined || t.scrapePool === pool);
}

/** Polls until `done` holds (bounded), then returns the last value. */
async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached in ${ms} ms; last: ${JSON.stringify(last)}`);
    await delay(250);
    last = await probe();
  }
  return last;
}

describe('the /probe job of the shipped prometheus.yml, in a real Prometheus', () => {
  it('discovers hosts with the token from its file and scrapes /probe?target=<host> on the exporter', async () => {
    const token = 'hyp_0123456789ab_discovery-test-token';
    const hosts = ['web-1', 'db-1.example.internal'];
    const exporter: ProbeStandIn = await startProbeStandIn(hosts, token);
    cleanups.push(() => exporter.close());
    const secrets = path.join(tmp, 'secrets');
    mkdirSync(path.join(secrets, 'prometheus'), { recursive: true });
    // As an operator writes it: with a final newline, which Prometheus must not send.
    writeFileSync(path.join(secrets, 'prometheus/hyperion-token'), `${token}\n`);
    const port = await freePort();
    const rendered = renderStack(path.join(tmp, 'state'), secrets, [
      '--interval',
      '1s',
      '--prometheus-port',
      String(port),
      '--alertmanager-port',
      String(await freePort()),
      '--',
      `--web.listen-address=127.0.0.1:${exporter.port}`,
    ]);
    await startPrometheusOn(rendered.prometheusYml, port, path.join(tmp, 'prometheus'));

    const targets = await until(
      'both hosts scraped through /probe',
      () => activeTargets(port, 'hyperion-probe'),
      (t) => t.length === hosts.length && t.every((x) => x.health === 'up'),
    );
    for (const host of hosts) {
      const t = targets.find((x) => x.labels.instance === host);
      assert.ok(t, `a target with instance="${host}"`);
      assert.equal(t.scrapeUrl, `http://127.0.0.1:${exporter.port}/probe?target=${encodeURIComponent(host)}`);
      assert.equal(t.labels.job, 'hyperion-probe');
      assert.ok(exporter.probes.includes(host), `the exporter was asked to probe ${host}`);
    }
    assert.ok(exporter.discoveryAuth.length > 0);
    assert.ok(
      exporter.discoveryAuth.every((a) => a === `Bearer ${token}`),
      exporter.discoveryAuth.join(', '),
    );
    // Every probe carries the viewer token too: the exporter refuses /probe without one.
    assert.ok(exporter.probeAuth.length >= hosts.length);
    assert.ok(
      exporter.probeAuth.every((a) => a === `Bearer ${token}`),
      exporter.probeAuth.join(', '),
    );
    const res = await fetch(
      `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('hyperion_probe_success{job="hyperion-probe"}')}`,
    );
    const series = ((await res.json()) as { data: { result: { metric: Record<string, string> }[] } }).data
      .result;
    assert.deepEqual(series.map((s) => s.metric.instance).sort(), [...hosts].sort());
  });
});

describe('sharding /probe across exporters (scale-out/prometheus-probe-sharding.yml), in a real Prometheus', () => {
  it('sends every host to exactly one of the three exporters, and each exporter some, with its own token', async () => {
    const hosts = Array.from({ length: 30 }, (_, i) => `host-${String(i + 1).padStart(2, '0')}`);
    const tokens = ['a', 'b', 'c'].map((x) => `hyp_0123456789ab_sharding-token-${x}`);
    const exporters = await Promise.all(tokens.map((t) => startProbeStandIn(hosts, t)));
    for (const e of exporters) cleanups.push(() => e.close());
    // The snippet with only its example addresses and token files made local, and a 1 s interval.
    let text = readFileSync(path.join(SCALE_OUT, 'prometheus-probe-sharding.yml'), 'utf8');
    const replace = (from: string, to: string) => {
      assert.ok(text.includes(from), `the snippet names ${from}`);
      text = text.split(from).join(to);
    };
    ['a', 'b', 'c'].forEach((x, i) => {
      const tokenFile = path.join(tmp, `sharding-token-${x}`);
      writeFileSync(tokenFile, tokens[i]!);
      replace(`/etc/prometheus/secrets/hyperion-token-${x}`, tokenFile);
      replace(`exporter-${x}.example.com:8470`, `127.0.0.1:${exporters[i]!.port}`);
    });
    const config = path.join(tmp, 'sharding.yml');
    writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n${text}`);
    const port = await freePort();
    await startPrometheusOn(config, port, path.join(tmp, 'prometheus-sharding'));

    await until(
      'every host probed',
      async () => new Set(exporters.flatMap((e) => e.probes)).size,
      (n) => n === hosts.length,
    );
    const shares = exporters.map((e) => new Set(e.probes));
    for (const host of hosts) {
      const owners = shares.filter((s) => s.has(host)).length;
      assert.equal(owners, 1, `${host} is probed by exactly one exporter`);
    }
    for (const [i, s] of shares.entries()) assert.ok(s.size > 0, `exporter ${'abc'[i]} has a share`);
    for (const [i, e] of exporters.entries()) {
      const expected = `Bearer ${tokens[i]}`;
      assert.ok(e.probeAuth.every((a) => a === expected) && e.discoveryAuth.every((a) => a === expected));
    }
    // Prometheus' own view agrees: one target per host, named after the host, all job="hyperion-probe".
    const targets = (await activeTargets(port)).filter((t) => t.labels.job === 'hyperion-probe');
    assert.deepEqual(targets.map((t) => t.labels.instance).sort(), hosts);
    console.log(`shares of 30 hosts: ${shares.map((s) => s.size).join(' / ')}`);
  });
});

describe('Alertmanager clustering with the flags of docs/scaling.md', () => {
  it('two members gossip a silence made on one of them to the other', async () => {
    const config = path.join(tmp, 'am.yml');
    // The cluster is about gossip, not routing: the smallest valid configuration.
    writeFileSync(config, 'route:\n  receiver: none\nreceivers:\n  - name: none\n');
    const [web1, web2, gossip1, gossip2] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const member = async (name: string, web: number, gossip: number, peer: number) => {
      const dir = path.join(tmp, name);
      mkdirSync(dir);
      const daemon = await startDaemon({
        name,
        binary: ALERTMANAGER_BIN,
        args: [
          `--config.file=${config}`,
          `--storage.path=${dir}`,
          `--web.listen-address=127.0.0.1:${web}`,
          `--cluster.listen-address=127.0.0.1:${gossip}`,
          `--cluster.peer=127.0.0.1:${peer}`,
        ],
        // /-/ready waits for the gossip to settle, which needs the other member up.
        readyUrl: `http://127.0.0.1:${web}/-/healthy`,
        timeoutMs: 60_000,
      });
      cleanups.push(() => daemon.stop());
      return daemon;
    };
    await member('am-1', web1, gossip1, gossip2);
    await member('am-2', web2, gossip2, gossip1);
    const peers = async (web: number) => {
      const res = await fetch(`http://127.0.0.1:${web}/api/v2/status`);
      return ((await res.json()) as { cluster: { peers: unknown[] | null } }).cluster.peers?.length ?? 0;
    };
    await until(
      'the members see each other',
      async () => [await peers(web1), await peers(web2)],
      (p) => p[0] === 2 && p[1] === 2,
    );

    const now = Date.now();
    const res = await fetch(`http://127.0.0.1:${web1}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'HyperionCpuBusy', isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: 'provisioning test',
        comment: 'gossip check',
      }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const { silenceID } = JSON.parse(text) as { silenceID: string };
    const onSecond = await until(
      'the silence on the second member',
      async () => {
        const r = await fetch(`http://127.0.0.1:${web2}/api/v2/silences`);
        return ((await r.json()) as { id: string; comment: string }[]).filter((s) => s.id === silenceID);
      },
      (s) => s.length === 1,
      30_000,
    );
    assert.equal(onSecond[0]!.comment, 'gossip check');
  });
});
