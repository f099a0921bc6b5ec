/**
 * Part "probe" (issue 6): remote hosts over SSH, against real OpenSSH servers on 127.0.0.1 that
 * serve this same machine, so a probe reads what /metrics reads.
 *
 *   1. Warm /probe?target=… p50 against the local /metrics p50 of the same exporter, scrapes
 *      alternating (target: probe ≤ 2 × metrics).
 *   2. 100 inventory hosts spread over a few sshd instances, all probed at once, as one
 *      Prometheus interval would: total time and the exporter's CPU for the round (target: all
 *      within 15 s, using < 25 % of one core over that interval, i.e. < 3.75 CPU-seconds).
 *
 * The 100 entries are written into the inventory file as the API writes them (fetched, approved
 * keys), to keep 200 API calls out of the run; part 1's host is added through the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fetchHostKey } from '../src/hosts/ssh/host-key.js';
import { INVENTORY_FILE } from '../src/hosts/inventory.js';
import { TokenStore } from '../src/security/tokens.js';
import { DataDir } from '../src/storage/data-dir.js';
import { generateKey, startSshd, type RunningSshd } from '../test/support/sshd.js';
import { Scraper, bodyText } from './lib/http.js';
import { cpuSeconds } from './lib/procfs.js';
import { startProcess } from './lib/process.js';
import { fixed, heading, table, verdict } from './lib/report.js';
import { hyperionMain } from './lib/servers.js';
import { percentile } from './lib/stats.js';
import type { BenchContext, BenchPart } from './part.js';

const TARGET_P50_RATIO = 2;
const FLEET = 100;
const SSHD_INSTANCES = 4;
const INTERVAL_SECONDS = 15;
const TARGET_CORE_SHARE = 0.25;
const ROUNDS = 3;
const SCRAPE_TIMEOUT_MS = 10_000;

async function startExporter(ctx: BenchContext, storage: string): Promise<{ url: string; pid: number }> {
  const { process: proc, ready: port } = await startProcess(ctx.cleanup, {
    label: 'hyperion-exporter (probe)',
    command: globalThis.process.execPath,
    args: [
      hyperionMain(ctx.exporterDir),
      '--web.listen-address=127.0.0.1:0',
      `--storage.path=${storage}`,
      // Root, as in the metrics part: the bench's key is in a 0700 temporary directory.
      '--user=root',
    ],
    cwd: storage,
    ready: (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        return entry.msg === 'listening' ? entry.port : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs: 15_000,
  });
  return { url: `http://127.0.0.1:${port}`, pid: proc.pid };
}

async function api(
  url: string,
  token: string,
  method: string,
  apiPath: string,
  body: unknown,
): Promise<unknown> {
  const res = await fetch(`${url}/api/v1${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${apiPath}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function probeSuccess(body: string): boolean {
  return /^hyperion_probe_success 1$/m.test(body);
}

async function probeOnce(
  url: string,
  target: string,
  token: string,
): Promise<{ ok: boolean; ms: number; trips: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/probe?target=${target}`, {
    headers: {
      'x-prometheus-scrape-timeout-seconds': String(INTERVAL_SECONDS),
      authorization: `Bearer ${token}`,
    },
    signal: AbortSignal.timeout(60_000),
  });
  const body = await res.text();
  const trips = Number(/^hyperion_probe_ssh_requests (\S+)$/m.exec(body)?.[1] ?? Number.NaN);
  return { ok: res.status === 200 && probeSuccess(body), ms: performance.now() - started, trips };
}

export const probePart: BenchPart = {
  name: 'probe',
  title: 'GET /probe over SSH: against local /metrics, and 100 hosts in one interval',
  async run(ctx) {
    const key = generateKey();
    ctx.cleanup.add('client key', () => key.remove());
    const servers: RunningSshd[] = [];
    for (let i = 0; i < SSHD_INSTANCES; i++) {
      const sshd = await startSshd({ authorizedKeys: [key.publicKey] });
      ctx.cleanup.add(`sshd ${i}`, () => sshd.stop());
      servers.push(sshd);
    }
    const keys = await Promise.all(
      servers.map((s) => fetchHostKey({ address: '127.0.0.1', port: s.port, timeoutMs: 10_000 })),
    );

    const storage = mkdtempSync(path.join(os.tmpdir(), 'hyperion-bench-probe-'));
    ctx.cleanup.add('probe storage', () => rmSync(storage, { recursive: true, force: true }));
    const dir = new DataDir(storage);
    dir.writeSecret('hyperion.yml', 'security:\n  otp: disabled\n');
    const tokens = new TokenStore(dir);
    const admin = tokens.create('bench-admin', 'admin').secret;
    // /probe wants a token, as Prometheus has one: a viewer's.
    const viewer = tokens.create('bench-prometheus', 'viewer').secret;
    const now = new Date().toISOString();
    dir.writeJson(INVENTORY_FILE, {
      version: 1,
      hosts: Array.from({ length: FLEET }, (_, i) => ({
        name: `fleet-${String(i).padStart(3, '0')}`,
        address: '127.0.0.1',
        port: servers[i % SSHD_INSTANCES]!.port,
        user: 'root',
        auth: { type: 'key', privateKeyFile: key.privateKeyFile },
        privilege: 'root',
        labels: { fleet: 'bench' },
        hostKey: keys[i % SSHD_INSTANCES]!,
        pendingHostKey: null,
        addedAt: now,
        addedBy: 'bench',
        approvedAt: now,
        approvedBy: 'bench',
      })),
    });
    const exporter = await startExporter(ctx, storage);

    // --- 1. one host, warm, against local /metrics ---------------------------------------------
    const added = (await api(exporter.url, admin, 'post', '/hosts', {
      name: 'single',
      address: '127.0.0.1',
      port: servers[0]!.port,
      user: 'root',
      auth: { type: 'key', privateKeyFile: key.privateKeyFile },
    })) as { pendingHostKey: { fingerprint: string } };
    await api(exporter.url, admin, 'post', '/hosts/single/approve', {
      fingerprint: added.pendingHostKey.fingerprint,
    });

    const metrics = new Scraper(new URL('/metrics', exporter.url), {
      gzip: false,
      timeoutMs: SCRAPE_TIMEOUT_MS,
    });
    const probe = new Scraper(new URL('/probe?target=single', exporter.url), {
      gzip: false,
      timeoutMs: SCRAPE_TIMEOUT_MS,
      headers: { authorization: `Bearer ${viewer}` },
    });
    ctx.cleanup.add('probe scrapers', () => {
      metrics.close();
      probe.close();
    });
    const lat = { metrics: [] as number[], probe: [] as number[] };
    const trips: number[] = [];
    let failures = 0;
    const scrapes = Math.min(ctx.options.scrapes, 300);
    for (let round = 0; round < ctx.options.warmup + scrapes; round++) {
      if (Date.now() > ctx.deadline || ctx.signal.aborted) break;
      const m = await metrics.scrape();
      const p = await probe.scrape();
      const body = bodyText(p);
      if (m.status !== 200 || p.status !== 200) throw new Error(`scrape failed: ${m.status} / ${p.status}`);
      if (!probeSuccess(body)) failures += 1;
      if (round < ctx.options.warmup) continue;
      lat.metrics.push(m.ms);
      lat.probe.push(p.ms);
      trips.push(Number(/^hyperion_probe_ssh_requests (\S+)$/m.exec(body)?.[1] ?? Number.NaN));
    }
    const m50 = percentile(lat.metrics, 50);
    const p50 = percentile(lat.probe, 50);
    heading(
      `probe: ${lat.probe.length} warm scrapes each, alternating, of one exporter (${failures} probes not successful)`,
    );
    table([
      ['', '/metrics (local)', '/probe (SSH)', 'ratio', 'target', ''],
      [
        'p50 latency (ms)',
        fixed(m50),
        fixed(p50),
        fixed(p50 / m50),
        `<= ${TARGET_P50_RATIO}`,
        verdict(p50 / m50, TARGET_P50_RATIO),
      ],
      ['p95 latency (ms)', fixed(percentile(lat.metrics, 95)), fixed(percentile(lat.probe, 95)), '', '', ''],
      ['round trips per probe (p50)', '', fixed(percentile(trips, 50), 0), '', '', ''],
    ]);

    // --- 2. the fleet, all at once -------------------------------------------------------------
    const names = Array.from({ length: FLEET }, (_, i) => `fleet-${String(i).padStart(3, '0')}`);
    const coldStart = performance.now();
    const cold = await Promise.all(names.map((n) => probeOnce(exporter.url, n, viewer)));
    const coldMs = performance.now() - coldStart;
    const rows: string[][] = [
      [
        'round',
        'wall (s)',
        'slowest probe (s)',
        'successful',
        'exporter CPU (s)',
        'of one core over 15 s',
        '',
      ],
    ];
    rows.push([
      'cold (connects)',
      fixed(coldMs / 1000),
      fixed(Math.max(...cold.map((r) => r.ms)) / 1000),
      `${cold.filter((r) => r.ok).length}/${FLEET}`,
      '',
      '',
      '',
    ]);
    for (let round = 1; round <= ROUNDS; round++) {
      if (Date.now() > ctx.deadline || ctx.signal.aborted) break;
      const cpuBefore = cpuSeconds(exporter.pid);
      const started = performance.now();
      const results = await Promise.all(names.map((n) => probeOnce(exporter.url, n, viewer)));
      const wall = (performance.now() - started) / 1000;
      const cpu = cpuSeconds(exporter.pid) - cpuBefore;
      const share = cpu / INTERVAL_SECONDS;
      const allOk = results.every((r) => r.ok) && wall <= INTERVAL_SECONDS;
      rows.push([
        `warm ${round}`,
        fixed(wall),
        fixed(Math.max(...results.map((r) => r.ms)) / 1000),
        `${results.filter((r) => r.ok).length}/${FLEET}`,
        fixed(cpu),
        `${fixed(share * 100, 1)} %`,
        allOk && share < TARGET_CORE_SHARE ? 'PASS' : 'MISS',
      ]);
      // A quiet gap, as between two Prometheus intervals.
      await new Promise((r) => setTimeout(r, 1000));
    }
    heading(
      `probe: ${FLEET} SSH hosts on ${SSHD_INSTANCES} sshd instances, probed at once (target: within ${INTERVAL_SECONDS} s, < ${TARGET_CORE_SHARE * 100} % of one core)`,
    );
    table(rows);
  },
};
