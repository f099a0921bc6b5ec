import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVmstatGauge, parseVmstat } from '../../../src/parsers/vmstat.js';
import { readFixture } from '../helpers.js';

describe('parseVmstat', () => {
  it('reads every field of the captured /proc/vmstat', () => {
    const text = readFixture('captured/proc/vmstat');
    const stats = parseVmstat(text);
    assert.equal(stats.size, text.trim().split('\n').length);
    for (const line of text.trim().split('\n')) {
      const [name, value] = line.split(' ');
      assert.equal(stats.get(name!), Number(value), name);
    }
    assert.ok(stats.get('pgfault')! > stats.get('pgmajfault')!, 'minor faults outnumber major ones');
  });

  it('skips and reports a line that is not "name value"', () => {
    const skipped: string[] = [];
    const stats = parseVmstat(
      'pgfault 10\npgmajfault\noom_kill x\npswpin 1 2\nNr_Free 3\npswpout 4\n',
      (line) => skipped.push(line),
    );
    assert.deepEqual(
      [...stats],
      [
        ['pgfault', 10],
        ['pswpout', 4],
      ],
    );
    assert.deepEqual(skipped, ['pgmajfault', 'oom_kill x', 'pswpin 1 2', 'Nr_Free 3']);
  });

  it('tells levels (nr_*) from event counts, with the kernel’s cumulative nr_ exceptions', () => {
    for (const gauge of ['nr_free_pages', 'nr_dirty', 'workingset_nodes'])
      assert.equal(isVmstatGauge(gauge), true, gauge);
    for (const counter of [
      'pgfault',
      'oom_kill',
      'pswpin',
      'nr_dirtied',
      'nr_written',
      'workingset_refault_anon',
    ])
      assert.equal(isVmstatGauge(counter), false, counter);
  });
});
