import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadavgCollector } from '../../../src/collectors/loadavg.js';
import { collect, tree, value } from '../helpers.js';

describe('loadavg collector', () => {
  it('exports the three load averages of the captured /proc/loadavg', async () => {
    const { families } = await collect(loadavgCollector, tree('captured'));
    assert.equal(value(families, 'hyperion_load1'), 1.68);
    assert.equal(value(families, 'hyperion_load5'), 1.06);
    assert.equal(value(families, 'hyperion_load15'), 0.55);
  });

  it('fails on a truncated /proc/loadavg (the registry turns that into success 0)', async () => {
    await assert.rejects(collect(loadavgCollector, tree('malformed')), /malformed \/proc\/loadavg/);
  });
});
