import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuCollector } from '../../../src/collectors/cpu.js';
import { collect, family, labelValues, tree, value } from '../helpers.js';

const captured = tree('captured');
const constructed = tree('constructed');

describe('cpu collector', () => {
  it('exports /proc/stat ticks as seconds (USER_HZ 100) per cpu and mode', async () => {
    const { families, skips } = await collect(cpuCollector, captured);
    assert.deepEqual(skips, []);
    // "cpu0 9032 0 6278 63299 203 0 183 0 0 0", "cpu1 10522 0 7280 60511 454 0 280 0 0 0"
    const seconds = (cpu: string, mode: string): number | undefined =>
      value(families, 'hyperion_cpu_seconds_total', { cpu, mode });
    assert.equal(seconds('0', 'user'), 90.32);
    assert.equal(seconds('0', 'system'), 62.78);
    assert.equal(seconds('0', 'idle'), 632.99);
    assert.equal(seconds('0', 'iowait'), 2.03);
    assert.equal(seconds('0', 'softirq'), 1.83);
    assert.equal(seconds('1', 'user'), 105.22);
    assert.equal(seconds('1', 'idle'), 605.11);
    assert.equal(seconds('1', 'nice'), 0);
    assert.equal(family(families, 'hyperion_cpu_seconds_total')?.type, 'counter');
    // Eight modes for each of two CPUs; guest time is its own family, and the aggregate line
    // is not exported (Prometheus sums).
    assert.equal(family(families, 'hyperion_cpu_seconds_total')?.samples.length, 16);
    assert.deepEqual([...new Set(labelValues(families, 'hyperion_cpu_seconds_total', 'cpu'))], ['0', '1']);
    assert.equal(value(families, 'hyperion_cpu_guest_seconds_total', { cpu: '1', mode: 'nice' }), 0);
  });

  it('has no frequency series where there is no cpufreq (this VM)', async () => {
    const { families } = await collect(cpuCollector, captured);
    assert.equal(family(families, 'hyperion_cpu_frequency_hertz'), undefined);
  });

  it('reads scaling_cur_freq (kHz) through the cpuN/cpufreq links as hertz', async () => {
    const { families } = await collect(cpuCollector, { procfs: captured.procfs, sysfs: constructed.sysfs });
    assert.equal(value(families, 'hyperion_cpu_frequency_hertz', { cpu: '0' }), 2.4e9);
    assert.equal(value(families, 'hyperion_cpu_frequency_hertz', { cpu: '1' }), 8e8);
  });

  it('exports the good cpu lines of a malformed /proc/stat and reports the bad ones', async () => {
    const { families, skips } = await collect(cpuCollector, tree('malformed'));
    assert.deepEqual(labelValues(families, 'hyperion_cpu_seconds_total', 'cpu'), Array(8).fill('0'));
    assert.equal(skips.length, 3);
    assert.ok(skips.every((s) => s.file === 'stat'));
  });
});
