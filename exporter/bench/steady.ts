/**
 * Part "steady": both exporters as Prometheus actually meets them — one scrape every 15 s — and
 * the CPU each spends per interval, the scrape and everything the runtime does in between (for
 * Node.js: garbage collection after the scrape). The metrics part measures scrapes back to back,
 * which leaves the time between scrapes out.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Scraper } from './lib/http.js';
import { memory, treeCpuSeconds } from './lib/procfs.js';
import { fixed, heading, mib, table } from './lib/report.js';
import { startHyperion, startNodeExporter } from './lib/servers.js';
import type { BenchPart } from './part.js';

/** Prometheus' default scrape interval. */
const INTERVAL_MS = 15_000;
const INTERVALS = 6;
/** Scrapes before measuring (JIT), then a pause so that their aftermath is not measured. */
const WARMUP_SCRAPES = 50;
const SETTLE_MS = 20_000;

export const steadyPart: BenchPart = {
  name: 'steady',
  title: `CPU per ${INTERVAL_MS / 1000} s scrape interval, Hyperion against node_exporter`,
  async run(ctx) {
    const servers = [
      await startHyperion(ctx.cleanup, { exporterDir: ctx.exporterDir, args: ctx.options.hyperionArgs }),
      await startNodeExporter(ctx.cleanup),
    ];
    const scrapers = servers.map(
      (s) => new Scraper(new URL('/metrics', s.url), { gzip: ctx.options.gzip, timeoutMs: 10_000 }),
    );
    ctx.cleanup.add('steady scrapers', () => scrapers.forEach((s) => s.close()));
    const scrapeBoth = async () => {
      for (const s of scrapers) {
        const r = await s.scrape();
        if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
      }
    };
    for (let i = 0; i < WARMUP_SCRAPES; i++) await scrapeBoth();
    await delay(SETTLE_MS, undefined, { signal: ctx.signal });

    const before = servers.map((s) => treeCpuSeconds(s.process.pid));
    let intervals = 0;
    while (intervals < INTERVALS && Date.now() + INTERVAL_MS < ctx.deadline && !ctx.signal.aborted) {
      await scrapeBoth();
      await delay(INTERVAL_MS, undefined, { signal: ctx.signal });
      intervals += 1;
    }
    if (intervals === 0) throw new Error('no interval fitted before --max-seconds');
    const perInterval = servers.map(
      (s, i) => ((treeCpuSeconds(s.process.pid) - before[i]!) * 1000) / intervals,
    );
    const [h, n] = perInterval as [number, number];
    heading(
      `steady: ${intervals} intervals of ${INTERVAL_MS / 1000} s, one scrape each (CPU clock ticks: ±10 ms per run)`,
    );
    table([
      ['', 'hyperion', 'node_exporter', 'ratio'],
      ['CPU per interval (ms)', fixed(h), fixed(n), fixed(h / n)],
      [
        'RSS at the end (MiB)',
        mib(memory(servers[0]!.process.pid).rss),
        mib(memory(servers[1]!.process.pid).rss),
        '',
      ],
    ]);
  },
};
