import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Collector, MetricFamily } from '../../../src/collectors/collector.js';
import { ALL_COLLECTORS } from '../../../src/collectors/index.js';
import { CollectorRegistry } from '../../../src/collectors/registry.js';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { HyperionError } from '../../../src/util/errors.js';
import { defaultSettings, family, silentLog, tempDir, tree, value } from '../helpers.js';

const ALL = new Set(ALL_COLLECTORS.map((c) => c.name));

function registry(collectors: readonly Collector[], enabled: Iterable<string> = ALL): CollectorRegistry {
  return new CollectorRegistry(collectors, new Set(enabled), defaultSettings(), silentLog);
}

function success(families: MetricFamily[]): Record<string, number> {
  return Object.fromEntries(
    (family(families, 'hyperion_scrape_collector_success')?.samples ?? []).map((s) => [
      s.labels.collector,
      s.value,
    ]),
  );
}

/** A collector that counts its runs and, while `hold` is pending, does not finish. */
function counting(name: string): { collector: Collector; calls: () => number; release: () => void } {
  let calls = 0;
  let release = (): void => {};
  const hold = new Promise<void>((resolve) => (release = resolve));
  const collector: Collector = {
    name,
    description: 'counts its runs',
    defaultEnabled: true,
    async collect() {
      calls += 1;
      const run = calls;
      await hold;
      return [
        {
          name: `test_${name}_run`,
          help: 'Which run produced this.',
          type: 'gauge',
          samples: [{ labels: {}, value: run }],
        },
      ];
    },
  };
  return { collector, calls: () => calls, release: () => release() };
}

function isBadRequest(pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof HyperionError, `not a HyperionError: ${String(err)}`);
    assert.equal(err.type, 'bad-request');
    assert.equal(err.status, 400);
    assert.equal(err.field, 'query/collect[]');
    assert.match(err.message, pattern);
    return true;
  };
}

describe('CollectorRegistry', () => {
  // The captured tree with an empty sysfs: netdev must fail (its contract), the others not.
  const emptySys = tempDir();
  after(() => emptySys.cleanup());
  const host = new LocalHost({ ...tree('captured'), sysfs: emptySys.dir });

  it('reports a failing collector with success 0 and drops only its series', async () => {
    const families = await registry(ALL_COLLECTORS).collect(host);
    const expected = Object.fromEntries([...ALL].map((name) => [name, name === 'netdev' ? 0 : 1]));
    assert.deepEqual(success(families), expected);
    assert.ok(!families.some((f) => f.name.startsWith('hyperion_network_')), 'netdev series leaked');
    // The others still serve.
    assert.equal(value(families, 'hyperion_cpu_seconds_total', { cpu: '0', mode: 'user' }), 90.32);
    assert.equal(value(families, 'hyperion_load1'), 1.68);
    assert.equal(value(families, 'hyperion_memory_total_bytes'), 24683620 * 1024);
    const durations = family(families, 'hyperion_scrape_collector_duration_seconds')?.samples ?? [];
    assert.equal(durations.length, ALL.size);
    assert.ok(durations.every((s) => s.value >= 0 && s.value < 10));
  });

  it('survives a collector that throws something other than an Error', async () => {
    const odd: Collector = {
      name: 'odd',
      description: 'throws a string',
      defaultEnabled: true,
      collect: () => Promise.reject('not an Error'),
    };
    const loadavg = ALL_COLLECTORS.find((c) => c.name === 'loadavg')!;
    const families = await registry([odd, loadavg], ['odd', 'loadavg']).collect(host);
    assert.deepEqual(success(families), { odd: 0, loadavg: 1 });
  });

  it('runs only the collectors a collect[] filter names', async () => {
    const families = await registry(ALL_COLLECTORS).collect(host, ['loadavg', 'meminfo', 'loadavg']);
    assert.deepEqual(success(families), { loadavg: 1, meminfo: 1 });
    assert.equal(family(families, 'hyperion_cpu_seconds_total'), undefined);
    assert.equal(value(families, 'hyperion_load5'), 1.06);
  });

  it('refuses an unknown collector name with a bad-request naming it and the enabled ones', async () => {
    const r = registry(ALL_COLLECTORS);
    await assert.rejects(
      async () => r.collect(host, ['cpu', 'nope']),
      isBadRequest(/collector "nope" does not exist; enabled: bonding, conntrack, cpu, .*thermal, .*vmstat$/),
    );
  });

  it('refuses a disabled collector, saying that it is disabled rather than unknown', async () => {
    const r = registry(ALL_COLLECTORS, ['cpu', 'loadavg']);
    assert.deepEqual(r.enabledNames(), ['cpu', 'loadavg']);
    await assert.rejects(
      async () => r.collect(host, ['hwmon']),
      isBadRequest(/collector "hwmon" is disabled on this exporter; enabled: cpu, loadavg$/),
    );
  });

  it('lets concurrent collections with the same filter share one run; a later one runs again', async () => {
    const slow = counting('slow');
    const r = registry([slow.collector], ['slow']);
    const first = r.collect(host, ['slow']);
    const second = r.collect(host, ['slow']);
    const unfiltered = r.collect(host); // the same collectors, asked without a filter
    slow.release();
    const results = await Promise.all([first, second, unfiltered]);
    assert.equal(slow.calls(), 1);
    for (const families of results) assert.equal(value(families, 'test_slow_run'), 1);

    const later = await r.collect(host, ['slow']);
    assert.equal(slow.calls(), 2);
    assert.equal(value(later, 'test_slow_run'), 2);
  });

  it('does not share a run between different filters', async () => {
    const a = counting('a');
    const b = counting('b');
    const r = registry([a.collector, b.collector], ['a', 'b']);
    const onlyA = r.collect(host, ['a']);
    const both = r.collect(host, ['a', 'b']);
    a.release();
    b.release();
    await Promise.all([onlyA, both]);
    assert.equal(a.calls(), 2);
    assert.equal(b.calls(), 1);
  });
});
