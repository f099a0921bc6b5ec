/**
 * Part "metrics": Hyperion's /metrics against node_exporter's on the same machine in the same
 * run. Scrapes alternate between the two so that background load (other work on a shared
 * machine) falls on both alike; each target keeps one keep-alive connection, as Prometheus does.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Scraper, bodyText, seriesCount, type ScrapeResult } from './lib/http.js';
import { summariseProfile } from './lib/cpuprofile.js';
import { childrenRss, exePath, memory, processCount, treeCpuSeconds, type Memory } from './lib/procfs.js';
import { collectorsOf, matchedCollectors } from './lib/matched.js';
import { fixed, heading, mib, table, verdict } from './lib/report.js';
import { NODE_EXPORTER, startHyperion, startNodeExporter, type RunningServer } from './lib/servers.js';
import { percentile } from './lib/stats.js';
import type { BenchContext, BenchPart } from './part.js';

/**
 * Against node_exporter run with the collectors that do the same work (issue 16): /metrics p50
 * at most half, CPU per scrape at most 0.7×. Against node_exporter's whole default set (issue 2):
 * p50 at most half, CPU at most 1×.
 */
const TARGET_MATCHED_P50_RATIO = 0.5;
const TARGET_MATCHED_CPU_RATIO = 0.7;
const TARGET_P50_RATIO = 0.5;
const TARGET_CPU_RATIO = 1.0;
const TARGET_RSS_BYTES = 64 * 1024 * 1024;
const SCRAPE_TIMEOUT_MS = 10_000;
/** Prometheus' default scrape interval: what an exporter's idle CPU is spread over in practice. */
const SCRAPE_INTERVAL_SECONDS = 15;

interface Target {
  server: RunningServer;
  scraper: Scraper;
  latencies: number[];
  /** Bodies of the measured scrapes, read after the clock stopped. */
  bodies: string[];
  contentType: string;
  /** Hyperion's collectors (from its first scrape); empty for node_exporter. */
  collectors: string[];
}

interface Measurement {
  p50: number;
  p95: number;
  cpuPerScrapeMs: number;
  /** CPU spent while nobody scraped (timers, GC, runtime), in ms per second; NaN when skipped. */
  idleCpuMsPerSecond: number;
  memory: Memory;
  /** RSS of the server's child processes (Hyperion's agent, which answers adjtimex), apart from its own. */
  helperRss: number;
  series: number;
  scrapes: number;
}

function expectExecutable(server: RunningServer, executable: string): void {
  const actual = exePath(server.process.pid);
  if (actual !== executable) {
    throw new Error(`pid ${server.process.pid} of ${server.name} runs ${actual}, not ${executable}`);
  }
}

function check(target: Target, result: ScrapeResult): void {
  if (result.status !== 200) {
    const excerpt = bodyText(result).slice(0, 500);
    throw new Error(`${target.server.name} answered ${result.status}:\n${excerpt}`);
  }
}

/**
 * One scrape of each target per round, `rounds` times, stopping early at the deadline or on
 * Ctrl-C. Returns the rounds completed.
 */
async function alternate(
  ctx: BenchContext,
  targets: readonly Target[],
  rounds: number,
  record: (target: Target, result: ScrapeResult) => void,
): Promise<number> {
  let done = 0;
  while (done < rounds && Date.now() < ctx.deadline && !ctx.signal.aborted) {
    for (const target of targets) {
      const result = await target.scraper.scrape();
      check(target, result);
      record(target, result);
    }
    done += 1;
  }
  return done;
}

/** p50 of each collector's own duration as Hyperion reports it, to find a slow collector. */
function collectorDurations(bodies: readonly string[]): [string, number][] {
  const samples = new Map<string, number[]>();
  const line = /^hyperion_scrape_collector_duration_seconds\{collector="([^"]+)"\} (\S+)$/gm;
  for (const body of bodies) {
    for (const match of body.matchAll(line)) {
      const list = samples.get(match[1]!) ?? [];
      list.push(Number(match[2]) * 1000);
      samples.set(match[1]!, list);
    }
  }
  return [...samples]
    .map(([name, ms]): [string, number] => [name, percentile(ms, 50)])
    .sort((a, b) => b[1] - a[1]);
}

function withIdle(m: Measurement): number {
  return m.cpuPerScrapeMs + SCRAPE_INTERVAL_SECONDS * m.idleCpuMsPerSecond;
}

/** Idle CPU, and what it adds to each scrape at Prometheus' default interval; none when skipped. */
function idleRows(hyperion: Measurement, node: Measurement): string[][] {
  if (Number.isNaN(hyperion.idleCpuMsPerSecond)) return [];
  return [
    [
      'idle CPU (ms per s)',
      fixed(hyperion.idleCpuMsPerSecond),
      fixed(node.idleCpuMsPerSecond),
      fixed(hyperion.idleCpuMsPerSecond / node.idleCpuMsPerSecond),
      '',
      '',
    ],
    [
      `CPU per scrape incl. idle, ${SCRAPE_INTERVAL_SECONDS} s interval (ms)`,
      fixed(withIdle(hyperion)),
      fixed(withIdle(node)),
      fixed(withIdle(hyperion) / withIdle(node)),
      '',
      '',
    ],
  ];
}

/** Hyperion against one node_exporter: latency, CPU, series and the cost of one series. */
function comparison(
  hyperion: Measurement,
  node: Measurement,
  p50Target: number,
  cpuTarget: number,
): string[][] {
  const p50Ratio = hyperion.p50 / node.p50;
  const cpuRatio = hyperion.cpuPerScrapeMs / node.cpuPerScrapeMs;
  const perSeries = (m: Measurement) => (m.cpuPerScrapeMs * 1000) / m.series;
  return [
    ['', 'hyperion', 'node_exporter', 'ratio', 'target', ''],
    [
      'p50 latency (ms)',
      fixed(hyperion.p50),
      fixed(node.p50),
      fixed(p50Ratio),
      `<= ${p50Target}`,
      verdict(p50Ratio, p50Target),
    ],
    ['p95 latency (ms)', fixed(hyperion.p95), fixed(node.p95), fixed(hyperion.p95 / node.p95), '', ''],
    [
      'CPU per scrape (ms)',
      fixed(hyperion.cpuPerScrapeMs),
      fixed(node.cpuPerScrapeMs),
      fixed(cpuRatio),
      `<= ${cpuTarget}`,
      verdict(cpuRatio, cpuTarget),
    ],
    ...idleRows(hyperion, node),
    ['series', String(hyperion.series), String(node.series), fixed(hyperion.series / node.series), '', ''],
    [
      'CPU per series (µs)',
      fixed(perSeries(hyperion)),
      fixed(perSeries(node)),
      fixed(perSeries(hyperion) / perSeries(node)),
      '',
      '',
    ],
  ];
}

function printResults(
  ctx: BenchContext,
  [hyperion, matched, full]: [Measurement, Measurement, Measurement],
  matchedCollectorNames: readonly string[],
  targets: Target[],
): void {
  heading(
    `metrics: ${hyperion.scrapes} measured scrapes each (after ${ctx.options.warmup} warm-up), alternating, keep-alive${ctx.options.gzip ? ', gzip' : ''}; ${processCount()} processes on the machine, load ${fixed(os.loadavg()[0] ?? Number.NaN)} now`,
  );
  console.log(`hyperion's collectors: ${targets[0]!.collectors.join(', ')}`);
  console.log(`CPU: all threads of each server, and Hyperion's agent (adjtimex) with it`);
  heading(
    `against node_exporter with the collectors that do the same work (${matchedCollectorNames.length})`,
  );
  console.log(
    `node_exporter --collector.disable-defaults ${matchedCollectorNames.map((c) => `--collector.${c}`).join(' ')}`,
  );
  table(comparison(hyperion, matched, TARGET_MATCHED_P50_RATIO, TARGET_MATCHED_CPU_RATIO));
  heading("against node_exporter's default collector set");
  table(comparison(hyperion, full, TARGET_P50_RATIO, TARGET_CPU_RATIO));
  heading('memory after the run');
  table([
    ['', 'hyperion', 'node_exporter (matched)', 'node_exporter (default)', 'target', ''],
    [
      'RSS (MiB)',
      mib(hyperion.memory.rss),
      mib(matched.memory.rss),
      mib(full.memory.rss),
      `hyperion <= ${mib(TARGET_RSS_BYTES)}`,
      verdict(hyperion.memory.rss, TARGET_RSS_BYTES),
    ],
    // RSS = anonymous + file-backed; the file part is mostly the executable's own pages.
    ['  anonymous (MiB)', mib(hyperion.memory.anon), mib(matched.memory.anon), mib(full.memory.anon), '', ''],
    [
      '  file-backed (MiB)',
      mib(hyperion.memory.file),
      mib(matched.memory.file),
      mib(full.memory.file),
      '',
      '',
    ],
    [
      "helper processes' RSS (MiB)",
      mib(hyperion.helperRss),
      mib(matched.helperRss),
      mib(full.helperRss),
      '',
      '',
    ],
    ['connections opened', ...targets.map((t) => String(t.scraper.connectionsOpened)), '', ''],
  ]);
  for (const t of targets) console.log(`${t.server.name} Content-Type: ${t.contentType}`);
  if (hyperion.scrapes < ctx.options.scrapes) {
    console.log(
      `note: stopped after ${hyperion.scrapes} of ${ctx.options.scrapes} rounds (time limit or interrupt)`,
    );
  }
}

/**
 * CPU of each target over `seconds` without scrapes, in ms per second. An exporter pays this
 * between every two scrapes, so at a 15 s interval it can outweigh the scrape itself.
 */
async function idleCpu(ctx: BenchContext, targets: readonly Target[], seconds: number): Promise<number[]> {
  const ms = Math.min(seconds * 1000, Math.max(0, ctx.deadline - Date.now()));
  if (ms <= 0) return targets.map(() => Number.NaN);
  const before = targets.map((t) => treeCpuSeconds(t.server.process.pid));
  const start = performance.now();
  try {
    await delay(ms, undefined, { signal: ctx.signal });
  } catch {
    return targets.map(() => Number.NaN); // interrupted
  }
  const elapsed = (performance.now() - start) / 1000;
  return targets.map((t, i) => ((treeCpuSeconds(t.server.process.pid) - before[i]!) * 1000) / elapsed);
}

function measure(
  target: Target,
  cpuBefore: number,
  cpuAfter: number,
  rounds: number,
  idleCpuMsPerSecond: number,
): Measurement {
  const last = target.bodies.at(-1) ?? '';
  return {
    idleCpuMsPerSecond,
    p50: percentile(target.latencies, 50),
    p95: percentile(target.latencies, 95),
    cpuPerScrapeMs: rounds > 0 ? ((cpuAfter - cpuBefore) * 1000) / rounds : Number.NaN,
    memory: memory(target.server.process.pid),
    helperRss: childrenRss(target.server.process.pid),
    series: seriesCount(last),
    scrapes: rounds,
  };
}

function printProfile(dir: string): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    console.log(`no .cpuprofile was written in ${dir}`);
    return;
  }
  const summary = summariseProfile(path.join(dir, file));
  heading(`hyperion CPU profile (whole run, ${fixed(summary.totalMs, 0)} ms busy)`);
  table([
    ['self time by area', 'ms', '%'],
    ...summary.byArea.map((a) => [a.name, fixed(a.ms, 1), fixed((100 * a.ms) / summary.totalMs, 1)]),
  ]);
  console.log('');
  table([
    ['hyperion functions, inclusive', 'ms', '%'],
    ...summary.inclusive.map((f) => [f.name, fixed(f.ms, 1), fixed((100 * f.ms) / summary.totalMs, 1)]),
  ]);
  console.log('');
  table([
    ['self time by function', 'ms', '%'],
    ...summary.byFunction.map((f) => [f.name, fixed(f.ms, 1), fixed((100 * f.ms) / summary.totalMs, 1)]),
  ]);
}

export const metricsPart: BenchPart = {
  name: 'metrics',
  title: 'GET /metrics: Hyperion against node_exporter',
  async run(ctx) {
    const profileDir = ctx.options.profile
      ? mkdtempSync(path.join(os.tmpdir(), 'hyperion-prof-'))
      : undefined;
    if (profileDir)
      ctx.cleanup.add('profile directory', () => rmSync(profileDir, { recursive: true, force: true }));
    const hyperion = await startHyperion(ctx.cleanup, {
      exporterDir: ctx.exporterDir,
      nodeArgs: [
        ...ctx.options.hyperionNodeArgs,
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ],
      args: ctx.options.hyperionArgs,
    });
    expectExecutable(hyperion, process.execPath);
    // Hyperion's collectors, as its first scrape reports them, decide node_exporter's matched set.
    const probe = new Scraper(new URL('/metrics', hyperion.url), {
      gzip: false,
      timeoutMs: SCRAPE_TIMEOUT_MS,
    });
    const first = await probe.scrape();
    probe.close();
    const hyperionCollectors = collectorsOf(bodyText(first));
    const matchedNames = matchedCollectors(hyperionCollectors);
    const matched = await startNodeExporter(ctx.cleanup, matchedNames, 'node_exporter (matched)');
    const full = await startNodeExporter(ctx.cleanup, undefined, 'node_exporter (default)');
    for (const node of [matched, full]) expectExecutable(node, NODE_EXPORTER);

    const targets: Target[] = [hyperion, matched, full].map((server, i) => ({
      server,
      scraper: new Scraper(new URL('/metrics', server.url), {
        gzip: ctx.options.gzip,
        timeoutMs: SCRAPE_TIMEOUT_MS,
      }),
      latencies: [],
      bodies: [],
      contentType: '',
      collectors: i === 0 ? hyperionCollectors : [],
    }));
    ctx.cleanup.add('scrapers', () => targets.forEach((t) => t.scraper.close()));

    await alternate(ctx, targets, ctx.options.warmup, (t, r) => (t.contentType = r.contentType));
    const idle =
      ctx.options.idleSeconds > 0
        ? await idleCpu(ctx, targets, ctx.options.idleSeconds)
        : targets.map(() => Number.NaN);
    const before = targets.map((t) => treeCpuSeconds(t.server.process.pid));
    const rounds = await alternate(ctx, targets, ctx.options.scrapes, (t, r) => {
      t.latencies.push(r.ms);
      // Decoded now but outside the timed span; only the last body and Hyperion's are used.
      t.bodies.push(bodyText(r));
    });
    const after = targets.map((t) => treeCpuSeconds(t.server.process.pid));
    if (rounds === 0) {
      console.log('no measured scrapes (interrupted or out of time): nothing to report');
      return;
    }
    const measured = [0, 1, 2].map((i) => measure(targets[i]!, before[i]!, after[i]!, rounds, idle[i]!)) as [
      Measurement,
      Measurement,
      Measurement,
    ];
    printResults(ctx, measured, matchedNames, targets);

    heading('hyperion collectors, p50 of hyperion_scrape_collector_duration_seconds (ms)');
    table(collectorDurations(targets[0]!.bodies).map(([name, ms]) => [name, fixed(ms)]));

    if (profileDir) {
      await hyperion.process.stop(); // the profile is written when the process exits
      printProfile(profileDir);
    }
  },
};
