import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processesCollector } from '../../../src/collectors/processes.js';
import { collect, family, tree, value } from '../helpers.js';

function byState(families: Awaited<ReturnType<typeof collect>>['families']): Record<string, number> {
  return Object.fromEntries(
    (family(families, 'hyperion_processes')?.samples ?? []).map((s) => [s.labels.state, s.value]),
  );
}

describe('processes collector', () => {
  it('counts the captured processes by state, including the one with ") (" in its name', async () => {
    const { families } = await collect(processesCollector, tree('captured'));
    // S: kthreadd, "a) (b c) Z 7", node; I: kworker; T: stopped sleep; Z: zombie sleep; R: cat.
    // proc/1 has no stat and is skipped. The fake "Z" in a command name must not count.
    assert.deepEqual(byState(families), { R: 1, S: 3, D: 0, Z: 1, T: 1, I: 1 });
  });

  it('sums threads and reads the PID limit and forks', async () => {
    const { families } = await collect(processesCollector, tree('captured'));
    // Six single-threaded processes and node with 7.
    assert.equal(value(families, 'hyperion_processes_threads'), 13);
    assert.equal(value(families, 'hyperion_processes_max'), 32768);
    // "processes 15201" in /proc/stat
    assert.equal(value(families, 'hyperion_forks_total'), 15201);
    assert.equal(family(families, 'hyperion_forks_total')?.type, 'counter');
  });

  it('skips unparseable stat files, and leaves out the limit it cannot read', async () => {
    const { families } = await collect(processesCollector, tree('malformed'));
    // 77 and 78 are broken; 79 is a sleeping sh.
    assert.deepEqual(byState(families), { R: 0, S: 1, D: 0, Z: 0, T: 0, I: 0 });
    assert.equal(value(families, 'hyperion_processes_threads'), 1);
    assert.equal(family(families, 'hyperion_processes_max'), undefined);
    assert.equal(value(families, 'hyperion_forks_total'), 9271);
  });
});
