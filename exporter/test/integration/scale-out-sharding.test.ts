/**
 * Sharding /probe across exporters with the shipped relabelling, on real parts: three real
 * exporters (one per shard of provisioning/scale-out/prometheus-probe-sharding.yml), six SSH
 * hosts served by three real sshd, every host added and approved through each exporter's
 * inventory API, and a real Prometheus running the shipped file with only its addresses and
 * token files made local.
 *
 * To see which exporter probed which host, each exporter is reached through a recording
 * pass-through: it forwards every request and answer unchanged and notes the host each /probe
 * asked for, and the token it carried. Shown: every host is probed by exactly one exporter —
 * the one its hashmod shard names — each exporter gets its own token, every exporter has a
 * share, and the series in Prometheus are the real exporters' (probe success, memory) under
 * job="hyperion-probe" with instance = the host's name, once per host.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startApi, type ApiFixture } from '../support/api.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { addApprovedHost, generateKey, startSshd, type KeyPair, type RunningSshd } from '../support/sshd.js';
import { SCALE_OUT } from './provisioning-support.js';

const SHARDS = ['a', 'b', 'c'];
const HOSTS_PER_SHARD = 2;

/** Prometheus' hashmod: the low 8 bytes of the MD5 of the value, big-endian, modulo the modulus. */
function hashmod(value: string, modulus: number): number {
  const sum = createHash('md5').update(value).digest();
  return Number(sum.readBigUInt64BE(8) % BigInt(modulus));
}

/** Host names chosen so every shard gets HOSTS_PER_SHARD of them (by the same arithmetic). */
function hostNames(): string[] {
  const byShard: string[][] = SHARDS.map(() => []);
  for (let i = 1; byShard.some((s) => s.length < HOSTS_PER_SHARD); i++) {
    if (i > 1000) throw new Error('no spread of host names found');
    const name = `ssh-${String(i).padStart(2, '0')}`;
    const shard = byShard[hashmod(name, SHARDS.length)]!;
    if (shard.length < HOSTS_PER_SHARD) shard.push(name);
  }
  return byShard.flat().sort();
}

interface PassThrough {
  port: number;
  /** Each /probe request: the host asked for and the Authorization header it carried. */
  probes: { target: string; authorization: string; status: number }[];
  close(): Promise<void>;
}

/** Forwards everything to the exporter at `upstream` unchanged, noting the /probe requests. */
async function recordingPassThrough(upstream: number): Promise<PassThrough> {
  const probes: PassThrough['probes'] = [];
  const server = http.createServer((req, res) => {
    const forward = http.request(
      { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/probe') {
          probes.push({
            target: url.searchParams.get('target') ?? '',
            authorization: req.headers.authorization ?? '',
            status: answer.statusCode ?? 0,
          });
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    probes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-sharding-'));
const hosts = hostNames();
let key: KeyPair;
const sshds: RunningSshd[] = [];
const exporters: ApiFixture[] = [];
const passThroughs: PassThrough[] = [];
let prom: RunningPrometheus;

before(async () => {
  key = generateKey();
  for (let i = 0; i < 3; i++) sshds.push(await startSshd({ authorizedKeys: [key.publicKey] }));
  exporters.push(
    ...(await Promise.all(SHARDS.map(() => startApi({ config: 'security:\n  otp: disabled\n' })))),
  );
  // Every exporter of the pool knows every host (docs/scaling.md): the same API calls on each.
  for (const exporter of exporters) {
    for (const [i, name] of hosts.entries()) {
      await addApprovedHost(exporter.admin, {
        name,
        sshd: sshds[i % sshds.length]!,
        keyFile: key.privateKeyFile,
      });
    }
  }
  passThroughs.push(...(await Promise.all(exporters.map((e) => recordingPassThrough(e.exporter.port)))));

  // The shipped file with only its example addresses and token files made local; a short
  // interval so the test takes seconds.
  let text = readFileSync(path.join(SCALE_OUT, 'prometheus-probe-sharding.yml'), 'utf8');
  const replace = (from: string, to: string) => {
    assert.ok(text.includes(from), `the snippet names ${from}`);
    text = text.split(from).join(to);
  };
  SHARDS.forEach((x, i) => {
    const tokenFile = path.join(tmp, `hyperion-token-${x}`);
    writeFileSync(tokenFile, exporters[i]!.viewer.token!, { mode: 0o600 });
    replace(`/etc/prometheus/secrets/hyperion-token-${x}`, tokenFile);
    replace(`exporter-${x}.example.com:8470`, `127.0.0.1:${passThroughs[i]!.port}`);
  });
  prom = await startPrometheus({ configYaml: text, scrapeInterval: '2s' });
});

after(async () => {
  await prom?.stop();
  for (const p of passThroughs) await p.close();
  for (const e of exporters) await e.stop();
  for (const s of sshds) await s.stop();
  key?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('sharding /probe with the shipped relabelling across three real exporters', () => {
  it('probes every host through exactly one exporter, the one of its shard, each with its own token', async () => {
    // Every host answered a whole probe, once: one series per host, all in one job.
    const success = await prom.waitFor(
      'hyperion_probe_success == 1',
      (r) => r.length === hosts.length,
      60_000,
    );
    assert.deepEqual(success.map((s) => s.metric.instance).sort(), hosts);
    assert.ok(success.every((s) => s.metric.job === 'hyperion-probe'));
    const memory = await prom.waitFor(
      'hyperion_memory_total_bytes{job="hyperion-probe"} > 0',
      (r) => r.length === hosts.length,
    );
    assert.deepEqual(memory.map((s) => s.metric.instance).sort(), hosts, 'real collector output, per host');

    // A few more rounds, then count who was asked for what.
    await delay(6000);
    for (const [i, p] of passThroughs.entries()) {
      assert.ok(p.probes.length > 0, `exporter ${SHARDS[i]} has a share`);
      const token = `Bearer ${exporters[i]!.viewer.token}`;
      assert.ok(
        p.probes.every((x) => x.authorization === token),
        `exporter ${SHARDS[i]} gets its own token`,
      );
      assert.ok(
        p.probes.every((x) => x.status === 200),
        `exporter ${SHARDS[i]} answered every probe`,
      );
    }
    const shares = passThroughs.map((p) => new Set(p.probes.map((x) => x.target)));
    for (const host of hosts) {
      const owners = SHARDS.filter((_, i) => shares[i]!.has(host));
      assert.deepEqual(
        owners,
        [SHARDS[hashmod(host, SHARDS.length)]],
        `${host} is probed by exactly its shard's exporter`,
      );
    }
    // Prometheus' own view: one target per host, scraped on its shard's exporter.
    const targets = await prom.api<{
      activeTargets: { labels: Record<string, string>; scrapeUrl: string }[];
    }>('targets', { state: 'active' });
    const probeTargets = targets.activeTargets.filter((t) => t.labels.job === 'hyperion-probe');
    assert.equal(probeTargets.length, hosts.length);
    for (const t of probeTargets) {
      const port = passThroughs[hashmod(t.labels.instance!, SHARDS.length)]!.port;
      assert.equal(t.scrapeUrl, `http://127.0.0.1:${port}/probe?target=${t.labels.instance}`);
    }
    console.log(
      `probes per exporter: ${passThroughs.map((p, i) => `${SHARDS[i]}=${[...shares[i]!].sort().join(',')}`).join('  ')}`,
    );
  });
});
