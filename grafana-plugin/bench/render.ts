/**
 * npm run bench -w grafana-plugin — how fast the app renders big tables in a real browser:
 * the Processes page with 5 000 processes and the Files page with a 10 000-entry folder, each
 * measured for its first render (answer received → rows on screen, and the part of it after
 * the JSON was parsed) and a re-sort (header click → rows on screen), in headless Chromium,
 * several rounds, median and worst printed.
 *
 * What is measured is the browser's work, so the exporter is replaced by a STAND-IN serving
 * synthetic answers of the real shapes (a real host rarely has 5 000 processes to list); the
 * harness in front of it is the one the browser tests use. Not a test: nothing is asserted,
 * the target (200 ms) is printed next to each figure.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/support/stack';
import path from 'node:path';
import { DEFAULT_BUNDLE_DIR, buildHarness } from '../harness/build';
import { startHarness } from '../harness/server';

const PROCESSES = 5000;
const FILES = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_MS = 200;

function processes() {
  const users = ['root', 'www-data', 'postgres', 'alice', 'bob'];
  return Array.from({ length: PROCESSES }, (_, i) => ({
    pid: i + 2,
    ppid: 1,
    uid: i % 5,
    user: users[i % 5],
    name: `worker-${(i * 7919) % 997}`,
    command: `/usr/bin/worker --id ${i} --pool ${(i * 31) % 17}`,
    state: i % 13 === 0 ? 'R' : 'S',
    cpuPercent: ((i * 37) % 1000) / 10,
    rssBytes: ((i * 104_729) % 900_000) * 1024,
    vszBytes: 0,
    threads: 1 + (i % 8),
    nice: (i % 40) - 20,
    priority: 20,
    startTime: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
    kernelThread: false,
  }));
}

function files() {
  return Array.from({ length: FILES }, (_, i) => ({
    name: `file-${String((i * 7919) % FILES).padStart(5, '0')}.log`,
    path: `big/file-${String((i * 7919) % FILES).padStart(5, '0')}.log`,
    type: i % 50 === 0 ? 'dir' : 'file',
    size: (i * 104_729) % 10_000_000,
    mode: '0644',
    permissions: '-rw-r--r--',
    uid: 0,
    gid: 0,
    owner: 'root',
    group: 'root',
    mtime: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString(),
  }));
}

/** The stand-in exporter: the few routes the two pages call, with synthetic answers. */
async function standIn(): Promise<{ url: string; close(): void }> {
  const procBody = JSON.stringify({
    total: PROCESSES,
    offset: 0,
    limit: null,
    items: processes(),
    cpuWindowSeconds: 5,
    exporterPid: null,
  });
  const items = files();
  const fileBody = JSON.stringify({
    kind: 'directory',
    root: 'data',
    path: 'big',
    breadcrumbs: [
      { name: 'data', path: '' },
      { name: 'big', path: 'big' },
    ],
    entry: { ...items[0], name: 'big', path: 'big', type: 'dir' },
    total: FILES,
    offset: 0,
    limit: 10_000,
    items,
  });
  const answers: Record<string, string> = {
    '/api/v1/auth/whoami': JSON.stringify({
      actor: 'bench',
      role: 'admin',
      token: 'bench',
      viaGrafana: true,
      otp: { policy: 'disabled', enrolled: false, confirmed: false },
    }),
    '/api/v1/hosts': JSON.stringify({ items: [{ name: 'local', kind: 'local' }] }),
    '/api/v1/hosts/local/processes': procBody,
    '/api/v1/hosts/local/files': JSON.stringify({
      items: [{ name: 'data', path: '/srv/data', writable: true, writeRole: 'admin' }],
      uploadLimitBytes: 1e9,
      textLimitBytes: 1e6,
    }),
    '/api/v1/hosts/local/files/data/big': fileBody,
  };
  const server = http.createServer((req, res) => {
    const body = answers[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{"type":"urn:hyperion:problem:not-found","title":"not found","status":404}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const worst = sorted[sorted.length - 1]!;
  return `median ${median.toFixed(0)} ms, worst ${worst.toFixed(0)} ms (target < ${TARGET_MS} ms: ${worst < TARGET_MS ? 'met' : median < TARGET_MS ? 'median met' : 'missed'})`;
}

const exporter = await standIn();
// React's production build, as in Grafana: the development build is several times slower.
const bundleDir = path.join(path.dirname(DEFAULT_BUNDLE_DIR), 'bundle-production');
await buildHarness(bundleDir, true);
const harness = await startHarness({
  bundleDir,
  settings: {
    jsonData: { exporterUrl: exporter.url },
    secureJsonData: { viewerToken: 'v', operatorToken: 'o', adminToken: 'a' },
  },
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/** First render: from the listing's responseEnd to the first frame with `ready` on screen. */
async function firstRender(
  path: string,
  listing: string,
  ready: string,
): Promise<{ total: number; render: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript((selector) => {
    const w = window as unknown as { __shownAt?: number };
    const observer = new MutationObserver(() => {
      if (w.__shownAt === undefined && document.querySelector(selector)) {
        requestAnimationFrame(() => {
          w.__shownAt ??= performance.now();
        });
        observer.disconnect();
      }
    });
    observer.observe(document, { childList: true, subtree: true });
  }, ready);
  await page.goto(`${harness.url}${path}`);
  await page.waitForFunction(() => (window as unknown as { __shownAt?: number }).__shownAt !== undefined);
  const ms = await page.evaluate((part) => {
    const entry = performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes(part))
      .at(-1) as PerformanceResourceTiming | undefined;
    const parsed = performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('harness:parsed') && m.name.includes(part))
      .at(-1);
    const shown = (window as unknown as { __shownAt: number }).__shownAt;
    return { total: shown - (entry?.responseEnd ?? 0), render: shown - (parsed?.startTime ?? 0) };
  }, listing);
  await context.close();
  return ms;
}

/** BENCH_PROFILE=1: where a first render's time goes, by function (self time), from Chromium's profiler. */
async function profileFirstRender(path: string, ready: string): Promise<string> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await page.goto(`${harness.url}${path}`);
  await page.locator(ready).first().waitFor();
  const { profile } = await cdp.send('Profiler.stop');
  await context.close();
  const timeOf = new Map<number, number>();
  profile.samples?.forEach((id, i) => timeOf.set(id, (timeOf.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const where = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + (timeOf.get(node.id) ?? 0) / 1000);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([where, ms]) => `  ${ms.toFixed(0).padStart(5)} ms  ${where}`)
    .join('\n');
}

/** Re-sort: a header click, to the next frame after React rendered the sorted rows. */
async function resort(path: string, ready: string, header: string): Promise<number[]> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${harness.url}${path}`);
  await page.locator(ready).first().waitFor();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    times.push(
      await page.evaluate(async (name) => {
        const button = [...document.querySelectorAll('[role="columnheader"] button')].find(
          (b) => b.textContent?.trim() === name,
        ) as HTMLButtonElement;
        const t0 = performance.now();
        button.click();
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return performance.now() - t0;
      }, header),
    );
  }
  await context.close();
  return times;
}

try {
  const cases = [
    {
      what: `Processes, ${PROCESSES} processes`,
      path: '/a/hyperion-app/processes?host=local',
      listing: '/hosts/local/processes',
      ready: '[data-testid^="process-"][role="row"]',
      header: 'Memory',
    },
    {
      what: `Files, ${FILES} entries`,
      path: '/a/hyperion-app/files?host=local&root=data&path=big',
      listing: '/files/data/big',
      ready: '[data-testid^="file-file-"]',
      header: 'Size',
    },
  ];
  for (const c of cases) {
    const first: { total: number; render: number }[] = [];
    for (let i = 0; i < ROUNDS; i += 1) first.push(await firstRender(c.path, c.listing, c.ready));
    const sorts = await resort(c.path, c.ready, c.header);
    console.log(
      `${c.what}: first render, answer received → rows on screen: ${stats(first.map((f) => f.total))}`,
    );
    console.log(
      `${c.what}: of which after the JSON was parsed (React): ${stats(first.map((f) => f.render))}`,
    );
    console.log(`${c.what}: re-sort by ${c.header} ${stats(sorts)}`);
    if (process.env.BENCH_PROFILE)
      console.log(`${c.what}: page load, self time\n${await profileFirstRender(c.path, c.ready)}`);
  }
} finally {
  await browser.close();
  await harness.close();
  exporter.close();
}
