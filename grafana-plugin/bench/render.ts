/**
 * npm run bench -w grafana-plugin — how fast the app renders big tables in a real browser:
 * the Processes page with 5 000 processes and the Files page with a 10 000-entry folder, in
 * headless Chromium, several rounds, median and worst printed. For each page:
 *
 *   - first render: the first answer (the page's first 100 rows, sorted and limited by the
 *     exporter) received → its rows on screen, and the part of it after the JSON was parsed;
 *     measured with the app already running, as in Grafana (another page of the app opened
 *     first, then this one through the app's router), and also with the app starting cold;
 *   - page opened → first rows: everything the browser does for the page, its mount included;
 *   - whole list received → all of it in the table (the rest arriving behind the first page);
 *   - re-sort: a header click → the sorted rows on screen.
 *
 * What is measured is the browser's work, so the exporter is replaced by a STAND-IN serving
 * synthetic answers of the real shapes, sorted and paged as the exporter does (a real host
 * rarely has 5 000 processes to list); the harness in front of it is the one the browser tests
 * use. Not a test: nothing is asserted, the target (200 ms) is printed next to each figure.
 * BENCH_ROUNDS=n sets the rounds; BENCH_PROFILE=1 (or =open) prints where the time goes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/support/stack';
import path from 'node:path';
import { DEFAULT_BUNDLE_DIR, buildHarness } from '../harness/build';
import { startHarness } from '../harness/server';

const PROCESSES = 5000;
const FILES = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_MS = 200;
/** The rows a page asks for first (FIRST_PAGE in components/VirtualTable.tsx). */
const FIRST_PAGE = 100;
/** Where a warm measurement starts: a light page of the app. */
const WARM_START = '/a/hyperion-app/hosts';

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

/**
 * A page of a list as the exporter answers it: sorted on `sort` (ties in the given order), then
 * `offset`/`limit` applied, with the total before paging.
 */
function pageOf<T extends object>(
  items: T[],
  query: URLSearchParams,
): { total: number; offset: number; limit: number | null; items: T[] } {
  const key = query.get('sort') as keyof T | null;
  const sign = query.get('order') === 'desc' ? -1 : 1;
  const sorted = key
    ? [...items].sort((a, b) => (a[key] < b[key] ? -sign : a[key] > b[key] ? sign : 0))
    : items;
  const offset = Number(query.get('offset') ?? 0);
  const limit = query.has('limit') ? Number(query.get('limit')) : null;
  return {
    total: items.length,
    offset,
    limit,
    items: sorted.slice(offset, limit === null ? undefined : offset + limit),
  };
}

/** The stand-in exporter: the few routes the two pages call, with synthetic answers. */
async function standIn(): Promise<{ url: string; close(): void }> {
  const procs = processes();
  const items = files();
  const listings: Record<string, (query: URLSearchParams) => string> = {
    '/api/v1/hosts/local/processes': (query) =>
      JSON.stringify({ ...pageOf(procs, query), cpuWindowSeconds: 5, exporterPid: null }),
    '/api/v1/hosts/local/files/data/big': (query) =>
      JSON.stringify({
        kind: 'directory',
        root: 'data',
        path: 'big',
        breadcrumbs: [
          { name: 'data', path: '' },
          { name: 'big', path: 'big' },
        ],
        entry: { ...items[0], name: 'big', path: 'big', type: 'dir' },
        ...pageOf(items, query),
      }),
  };
  const answers: Record<string, string> = {
    '/api/v1/auth/whoami': JSON.stringify({
      actor: 'bench',
      role: 'admin',
      token: 'bench',
      viaGrafana: true,
      otp: { policy: 'disabled', enrolled: false, confirmed: false },
    }),
    '/api/v1/hosts': JSON.stringify({ items: [{ name: 'local', kind: 'local' }] }),
    '/api/v1/hosts/local/files': JSON.stringify({
      items: [{ name: 'data', path: '/srv/data', writable: true, writeRole: 'admin' }],
      uploadLimitBytes: 1e9,
      textLimitBytes: 1e6,
    }),
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = listings[url.pathname]?.(url.searchParams) ?? answers[url.pathname];
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

/**
 * Opens a page and notes, in the page's clock, the first frame with a `ready` row on screen
 * (`__firstAt`) and the first frame with more rows than a first page (`__wholeAt`).
 */
async function openPage(
  path: string,
  ready: string,
  how: { warm: boolean; before?: (page: Page) => Promise<void> },
) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(
    ({ selector, firstPage }) => {
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      const w = window as unknown as { __firstAt?: number; __wholeAt?: number };
      const observer = new MutationObserver(() => {
        if (w.__firstAt === undefined && document.querySelector(selector))
          requestAnimationFrame(() => {
            w.__firstAt ??= performance.now();
          });
        const table = document.querySelector('[role="table"][aria-rowcount]');
        if (w.__wholeAt === undefined && Number(table?.getAttribute('aria-rowcount')) > firstPage + 2) {
          requestAnimationFrame(() => {
            w.__wholeAt ??= performance.now();
          });
          observer.disconnect();
        }
      });
      observer.observe(document, { childList: true, subtree: true, attributes: true });
    },
    { selector: ready, firstPage: FIRST_PAGE },
  );
  await how.before?.(page);
  if (how.warm) {
    // As in Grafana, where the app is loaded before a user opens one of its pages: start on
    // another page, then navigate inside the app (React Router follows popstate).
    await page.goto(`${harness.url}${WARM_START}`);
    await page.getByRole('table', { name: 'Hosts' }).waitFor();
    await page.evaluate((to) => {
      (window as unknown as { __navigatedAt: number }).__navigatedAt = performance.now();
      history.pushState(null, '', to);
      dispatchEvent(new PopStateEvent('popstate'));
    }, path);
  } else {
    await page.goto(`${harness.url}${path}`);
  }
  await page.waitForFunction(() => (window as unknown as { __wholeAt?: number }).__wholeAt !== undefined);
  return { context, page };
}

interface Timings {
  /** Navigation inside the app → the first rows on screen (warm loads only). */
  opened: number;
  /** The first answer (a first page) received → its rows on screen. */
  first: number;
  /** …of which after that answer was parsed. */
  firstAfterParse: number;
  /** The whole list received → the table showing all of it. */
  whole: number;
}

/** What the page's clock says about one load: answers from the resource timings, frames from openPage. */
function timingsOf(
  page: Page,
  listing: string,
  fromNavigation = false,
): Promise<Timings & { from: number; to: number }> {
  return page.evaluate(
    ({ part, fromNavigation }) => {
      const answers = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes(part)) as PerformanceResourceTiming[];
      const parsed = performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('harness:parsed') && m.name.includes(part));
      const w = window as unknown as { __firstAt: number; __wholeAt: number; __navigatedAt?: number };
      return {
        opened: w.__firstAt - (w.__navigatedAt ?? 0),
        first: w.__firstAt - answers[0]!.responseEnd,
        firstAfterParse: w.__firstAt - parsed[0]!.startTime,
        whole: w.__wholeAt - answers.at(-1)!.responseEnd,
        from: fromNavigation ? (w.__navigatedAt ?? 0) : answers[0]!.responseEnd,
        to: w.__firstAt,
      };
    },
    { part: listing, fromNavigation },
  );
}

async function firstRender(path: string, listing: string, ready: string, warm: boolean): Promise<Timings> {
  const { context, page } = await openPage(path, ready, { warm });
  const timings = await timingsOf(page, listing);
  await context.close();
  return timings;
}

/**
 * BENCH_PROFILE: where a first render's time goes — self time by function, counting only the
 * samples between the first answer (=open: the navigation) and the first rows on screen — from
 * Chromium's profiler.
 */
async function profileFirstRender(path: string, listing: string, ready: string): Promise<string> {
  let cdp: CDPSession | undefined;
  const { context, page } = await openPage(path, ready, {
    warm: true,
    before: async (p) => {
      cdp = await p.context().newCDPSession(p);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
    },
  });
  const { from, to } = await timingsOf(page, listing, process.env.BENCH_PROFILE === 'open');
  const now = await page.evaluate(() => performance.now());
  const { profile } = await cdp!.send('Profiler.stop');
  await context.close();
  // The profile's clock and the page's differ by a constant: line up the profile's end with
  // the page's clock read just before it stopped (a few ms of error at most).
  const offset = profile.endTime / 1000 - now;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let t = profile.startTime / 1000 - offset;
  profile.samples?.forEach((id, i) => {
    const delta = (profile.timeDeltas?.[i] ?? 0) / 1000;
    t += delta;
    if (t < from || t > to) return;
    const f = nodes.get(id)!;
    const where = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + delta);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([where, ms]) => `  ${ms.toFixed(0).padStart(5)} ms  ${where}`)
    .join('\n');
}

/** Re-sort: a header click, to the next frame after React rendered the sorted rows. */
async function resort(path: string, ready: string, header: string): Promise<number[]> {
  const { context, page } = await openPage(path, ready, { warm: true });
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
    const loads: Timings[] = [];
    const cold: Timings[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      loads.push(await firstRender(c.path, c.listing, c.ready, true));
      cold.push(await firstRender(c.path, c.listing, c.ready, false));
    }
    const sorts = await resort(c.path, c.ready, c.header);
    console.log(
      `${c.what}: page opened in the app → first rows on screen: ${stats(loads.map((l) => l.opened))}`,
    );
    console.log(
      `${c.what}: first render, first page received → rows on screen: ${stats(loads.map((l) => l.first))}`,
    );
    console.log(
      `${c.what}:   of which after the JSON was parsed: ${stats(loads.map((l) => l.firstAfterParse))}`,
    );
    console.log(
      `${c.what}: whole list received → all rows in the table: ${stats(loads.map((l) => l.whole))}`,
    );
    console.log(
      `${c.what}: (the same with the app starting cold, page opened by its address: ${stats(cold.map((l) => l.first))})`,
    );
    console.log(`${c.what}: re-sort by ${c.header}: ${stats(sorts)}`);
    if (process.env.BENCH_PROFILE)
      console.log(`${c.what}: page load, self time\n${await profileFirstRender(c.path, c.listing, c.ready)}`);
  }
} finally {
  await browser.close();
  await harness.close();
  exporter.close();
}
