import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vmstatCollector } from '../../../src/collectors/vmstat.js';
import { collect, defaultSettings, readFixture, tree, value } from '../helpers.js';

const vmstat = new Map(
  readFixture('captured/proc/vmstat')
    .trim()
    .split('\n')
    .map((l) => l.split(' ') as [string, string]),
);
const field = (name: string) => Number(vmstat.get(name));

describe('vmstat collector', () => {
  it('exports node_exporter’s default fields as counters, and nothing else', async () => {
    const { families } = await collect(vmstatCollector, tree('captured'));
    const expected = [...vmstat.keys()].filter((k) => /^(oom_kill|pgpg|pswp|pg.*fault)/.test(k));
    assert.deepEqual(
      families.map((f) => f.name).sort(),
      expected.map((k) => `hyperion_vmstat_${k}_total`).sort(),
    );
    for (const name of ['pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'oom_kill', 'pgpgin', 'pgpgout'])
      assert.equal(value(families, `hyperion_vmstat_${name}_total`), field(name), name);
    assert.ok(families.every((f) => f.type === 'counter'));
  });

  it('takes the fields from --collector.vmstat.fields, levels as gauges', async () => {
    const settings = { ...defaultSettings(), vmstatFields: /^(nr_dirty|nr_dirtied|pgmajfault)$/ };
    const { families } = await collect(vmstatCollector, tree('captured'), settings);
    assert.deepEqual(families.map((f) => `${f.name}:${f.type}`).sort(), [
      'hyperion_vmstat_nr_dirtied_total:counter',
      'hyperion_vmstat_nr_dirty:gauge',
      'hyperion_vmstat_pgmajfault_total:counter',
    ]);
    assert.equal(value(families, 'hyperion_vmstat_nr_dirty'), field('nr_dirty'));
  });
});
