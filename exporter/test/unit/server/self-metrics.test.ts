/**
 * The exporter's own metrics: prom-client's process_* and nodejs_* families, with the event-loop
 * gauges replaced by ones that skip the HdrHistogram walk (server/self-metrics.ts).
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createSelfRegistry } from '../../../src/server/self-metrics.js';
import { parseExposition, valueOf } from '../../support/exposition.js';

function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // a loop that never yields: what a blocked exporter looks like
  }
}

describe('self metrics', () => {
  it('keeps prom-client families, drops the stddev and the _total gauges, and has build info', async () => {
    const text = await createSelfRegistry().metrics();
    const names = new Set(parseExposition(text).samples.map((s) => s.name));
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_space_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'hyperion_exporter_build_info',
    ]) {
      assert.ok(names.has(name), name);
    }
    for (const name of [
      'nodejs_eventloop_lag_stddev_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_active_handles_total',
    ]) {
      assert.ok(!names.has(name), name);
    }
  });

  it('reports how late a blocked event loop was, right after a scrape too, and only once', async () => {
    const registry = createSelfRegistry();
    await delay(300);
    await registry.metrics(); // start an interval
    // The 1 s sampling timer falls due somewhere in the first second of a 2.2 s block: it fires
    // between 1.2 and 2.2 s late, whatever its phase (a loaded machine may shift it).
    block(2200);
    await delay(1200);
    const blocked = parseExposition(await registry.metrics()).samples;
    const max = valueOf(blocked, 'nodejs_eventloop_lag_max_seconds');
    assert.ok(max > 1.1 && max < 3, `max ${max}`);
    const min = valueOf(blocked, 'nodejs_eventloop_lag_min_seconds');
    assert.ok(min >= 0 && min <= max, `min ${min}`);

    // The next scrape covers only the time since: nothing blocked, so no such delay.
    await delay(2100);
    const calm = parseExposition(await registry.metrics()).samples;
    const calmMax = valueOf(calm, 'nodejs_eventloop_lag_max_seconds');
    assert.ok(calmMax < 0.9, `max after the block ${calmMax}`);
    assert.ok(valueOf(calm, 'nodejs_eventloop_lag_p50_seconds') <= calmMax);
  });
});
