/**
 * Part "hotpath": where one scrape's CPU goes, measured inside this process with Hyperion's own
 * modules — each collector alone, the whole collection, the renderer and the exporter's own
 * (prom-client) metrics. The end-to-end part cannot say which piece is slow; this one can.
 * Numbers are per call, after a warm-up, on the same /proc the exporter reads.
 */
import { performance } from 'node:perf_hooks';
import { createProgram, exporterOptions } from '../src/cli/flags.js';
import { ALL_COLLECTORS } from '../src/collectors/index.js';
import { CollectorRegistry } from '../src/collectors/registry.js';
import { LocalHost } from '../src/hosts/local-host.js';
import { render, renderFamilies } from '../src/server/exposition.js';
import { createSelfRegistry } from '../src/server/self-metrics.js';
import { createLogger } from '../src/util/logger.js';
import { processCount } from './lib/procfs.js';
import { fixed, heading, table } from './lib/report.js';
import type { BenchContext, BenchPart } from './part.js';

const WARMUP_CALLS = 30;

interface Cost {
  wallMs: number;
  cpuMs: number;
  sysMs: number;
  calls: number;
}

async function cost(ctx: BenchContext, calls: number, fn: () => Promise<unknown>): Promise<Cost> {
  for (let i = 0; i < WARMUP_CALLS; i++) await fn();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  while (done < calls && Date.now() < ctx.deadline && !ctx.signal.aborted) {
    await fn();
    done += 1;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const per = (us: number) => (done > 0 ? us / 1000 / done : Number.NaN);
  return {
    wallMs: done > 0 ? wall / done : Number.NaN,
    cpuMs: per(cpu.user + cpu.system),
    sysMs: per(cpu.system),
    calls: done,
  };
}

function row(label: string, c: Cost): string[] {
  return [label, fixed(c.wallMs, 3), fixed(c.cpuMs, 3), fixed(c.sysMs, 3), String(c.calls)];
}

export const hotpathPart: BenchPart = {
  name: 'hotpath',
  title: "one scrape's CPU, piece by piece (in-process)",
  async run(ctx) {
    const program = createProgram(ALL_COLLECTORS);
    program.parse([], { from: 'user' });
    const options = exporterOptions(program, ALL_COLLECTORS);
    // Logs go to a silent level: this part measures work, not logging.
    const log = createLogger('error', 'json');
    const host = new LocalHost(options.paths);
    const calls = ctx.options.scrapes;
    const rows: string[][] = [['', 'wall ms', 'cpu ms', 'of which sys', 'calls']];

    for (const collector of ALL_COLLECTORS.filter((c) => options.enabledCollectors.has(c.name))) {
      const one = new CollectorRegistry(
        ALL_COLLECTORS,
        new Set([collector.name]),
        options.collectorSettings,
        log,
      );
      rows.push(row(`collector ${collector.name}`, await cost(ctx, calls, () => one.collect(host))));
    }
    const all = new CollectorRegistry(
      ALL_COLLECTORS,
      options.enabledCollectors,
      options.collectorSettings,
      log,
    );
    rows.push(row('all collectors (registry.collect)', await cost(ctx, calls, () => all.collect(host))));
    const families = await all.collect(host);
    rows.push(row('render collected families', await cost(ctx, calls, async () => renderFamilies(families))));
    const self = createSelfRegistry();
    rows.push(row('own metrics (prom-client defaults)', await cost(ctx, calls, () => self.metrics())));
    rows.push(
      row(
        'collect + render, as one scrape',
        await cost(ctx, calls, async () => render(await all.collect(host), self)),
      ),
    );

    // prom-client's default metrics each do their own work at scrape time; list the dearest.
    const ownRows: string[][] = [];
    for (const { name } of self.getMetricsAsArray()) {
      const metric = self.getSingleMetric(name);
      if (metric) ownRows.push(row(`  ${name}`, await cost(ctx, calls, async () => metric.get())));
    }
    ownRows.sort((a, b) => Number(b[2]) - Number(a[2]));

    const processes = processCount();
    heading(`hotpath: per call, ${processes} processes on the machine now`);
    table(rows);
    console.log('\nown metrics, the five dearest (per get())');
    table(ownRows.slice(0, 5));
  },
};
