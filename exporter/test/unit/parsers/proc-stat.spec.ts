import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProcStat } from '../../../src/parsers/proc-stat.js';
import type { Skip } from '../helpers.js';
import { readFixture } from '../helpers.js';

function parse(file: string): { stat: ReturnType<typeof parseProcStat>; skips: Omit<Skip, 'file'>[] } {
  const skips: Omit<Skip, 'file'>[] = [];
  const stat = parseProcStat(readFixture(file), (line, reason) => skips.push({ line, reason }));
  return { stat, skips };
}

describe('parseProcStat', () => {
  it('reads every CPU mode column of the captured /proc/stat in kernel order', () => {
    const { stat, skips } = parse('captured/proc/stat');
    assert.deepEqual(skips, []);
    // "cpu0 9032 0 6278 63299 203 0 183 0 0 0"
    assert.deepEqual(stat.cpus[0], {
      cpu: '0',
      ticks: {
        user: 9032,
        nice: 0,
        system: 6278,
        idle: 63299,
        iowait: 203,
        irq: 0,
        softirq: 183,
        steal: 0,
        guest: 0,
        guest_nice: 0,
      },
    });
    // "cpu1 10522 0 7280 60511 454 0 280 0 0 0"
    assert.equal(stat.cpus[1]?.cpu, '1');
    assert.equal(stat.cpus[1]?.ticks.user, 10522);
    assert.equal(stat.cpus[1]?.ticks.idle, 60511);
    assert.equal(stat.cpus[1]?.ticks.iowait, 454);
    assert.equal(stat.cpus.length, 2);
  });

  it('keeps the aggregate "cpu" line apart from the per-CPU lines', () => {
    const { stat } = parse('captured/proc/stat');
    // "cpu  19555 0 13558 123810 657 0 463 0 0 0"
    assert.equal(stat.total?.cpu, '');
    assert.equal(stat.total?.ticks.user, 19555);
    assert.equal(stat.total?.ticks.system, 13558);
    assert.equal(stat.total?.ticks.idle, 123810);
    assert.ok(!stat.cpus.some((c) => c.cpu === ''));
  });

  it('reads the kernel-wide counters', () => {
    const { stat } = parse('captured/proc/stat');
    assert.equal(stat.bootTimeSeconds, 1795490537);
    assert.equal(stat.forks, 15201);
    assert.equal(stat.procsRunning, 1);
    assert.equal(stat.procsBlocked, 0);
    assert.equal(stat.contextSwitches, 1077931);
    // "intr 506672 0 0 …": the first number is the total.
    assert.equal(stat.interrupts, 506672);
  });

  it('skips a truncated line, a non-numeric column and an unknown cpu key, and keeps the rest', () => {
    const { stat, skips } = parse('malformed/proc/stat');
    assert.deepEqual(
      stat.cpus.map((c) => c.cpu),
      ['0'],
    );
    assert.equal(stat.cpus[0]?.ticks.user, 9032);
    assert.equal(stat.total?.ticks.user, 19555);
    assert.deepEqual(
      skips.map((s) => s.line),
      ['cpu1 10522 0 72', 'cpu2 10522 0 7280 6o511 454 0 280 0 0 0', 'cpufreq 1 2 3 4 5 6 7 8'],
    );
    assert.ok(skips.every((s) => s.reason.length > 0));
    // Lines after the broken ones are still read.
    assert.equal(stat.bootTimeSeconds, 1795490537);
    assert.equal(stat.forks, 9271);
  });

  it('accepts the four-column cpu lines of old kernels, leaving later modes absent', () => {
    const stat = parseProcStat('cpu0 10 20 30 40\n');
    assert.deepEqual(stat.cpus[0]?.ticks, { user: 10, nice: 20, system: 30, idle: 40 });
  });
});
