/**
 * Issue 2: a real Prometheus (Debian's) scrapes a live exporter every second, and the queries
 * people will write against it return data. Prometheus hands new targets to its scrapers about
 * 5 s after start-up, so this file costs roughly 10 s; it runs beside metrics.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startExporter, type RunningExporter } from '../support/exporter.js';
import { scrapeJob, startPrometheus, type RunningPrometheus, type Sample } from '../support/prometheus.js';

const nonEmpty = (r: Sample[]) => r.length > 0;

describe('a real Prometheus scraping the exporter', { timeout: 60_000 }, () => {
  let exporter: RunningExporter;
  let prometheus: RunningPrometheus;

  before(async () => {
    exporter = await startExporter();
    prometheus = await startPrometheus({
      scrapeConfigs: [scrapeJob('hyperion', exporter.url, { scrapeInterval: '1s' })],
    });
  });

  after(async () => {
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('sees the target up, every collector succeeding', async () => {
    // A scrape can time out on a loaded machine (the timeout is the 1 s interval): wait for up.
    const up = await prometheus.waitFor('up{job="hyperion"}', (r) => r.length === 1 && r[0]!.value === 1);
    assert.equal(up[0]!.metric.instance, new URL(exporter.url).host);
    const failed = await prometheus.query('hyperion_scrape_collector_success{job="hyperion"} != 1');
    assert.deepEqual(
      failed.map((s) => s.metric.collector),
      [],
    );
  });

  it('computes rate(hyperion_cpu_seconds_total[1m]) for every CPU and mode', async () => {
    const rates = await prometheus.waitFor('rate(hyperion_cpu_seconds_total[1m])', nonEmpty);
    const cpus = readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm)?.length ?? 0;
    assert.equal(new Set(rates.map((s) => s.metric.cpu)).size, cpus);
    assert.ok(rates.some((s) => s.metric.mode === 'idle'));
    for (const s of rates) assert.ok(s.value >= 0 && Number.isFinite(s.value), JSON.stringify(s));
  });

  it('accounts one CPU-second per second per CPU across the modes', async () => {
    // The increase between the newest sample and the one at least 3 s older, divided by the
    // time between those two samples' own timestamps: scrape jitter and a missed scrape barely
    // matter, while a ticks-vs-seconds or a missing-mode bug lands far outside.
    const now = 'hyperion_cpu_seconds_total';
    const before = 'hyperion_cpu_seconds_total offset 3s';
    const perCpu = await prometheus.waitFor(
      `(sum by (cpu) (${now}) - sum by (cpu) (${before}))` +
        ` / scalar(max(timestamp(${now})) - max(timestamp(${before})))`,
      nonEmpty,
    );
    for (const s of perCpu) {
      assert.ok(s.value > 0.75 && s.value < 1.25, `cpu ${s.metric.cpu}: ${s.value} CPU-seconds per second`);
    }
  });

  it('returns hyperion_filesystem_avail_bytes for the root file system', async () => {
    const avail = await prometheus.waitFor('hyperion_filesystem_avail_bytes{mountpoint="/"}', nonEmpty);
    assert.equal(avail.length, 1);
    assert.ok(avail[0]!.value > 0);
    assert.ok(avail[0]!.metric.device && avail[0]!.metric.fstype, JSON.stringify(avail[0]!.metric));
  });

  it('computes rate(hyperion_network_receive_bytes_total[1m]), positive on loopback', async () => {
    // The scrapes themselves travel over lo, so its receive counter must be moving.
    const lo = await prometheus.waitFor(
      'rate(hyperion_network_receive_bytes_total{device="lo"}[1m])',
      (r) => r.length === 1 && r[0]!.value > 0,
    );
    assert.ok(lo[0]!.value > 0);
    const all = await prometheus.query('rate(hyperion_network_receive_bytes_total[1m])');
    assert.ok(all.length >= 1);
  });
});
