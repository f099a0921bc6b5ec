import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConntrackStat } from '../../../src/parsers/nf-conntrack.js';
import { readFixture } from '../helpers.js';

describe('parseConntrackStat', () => {
  it('sums the hexadecimal per-CPU counters by column name, leaving out entries', () => {
    const totals = parseConntrackStat(readFixture('constructed/proc/net/stat/nf_conntrack'));
    assert.equal(totals.get('found'), 0x10 + 0x20 + 0 + 0xff);
    assert.equal(totals.get('invalid'), 0x1a + 0x6 + 0 + 0x1);
    assert.equal(totals.get('ignore'), 0x3e8 + 0x18);
    assert.equal(totals.get('insert_failed'), 1 + 2);
    assert.equal(totals.get('drop'), 5);
    assert.equal(totals.get('early_drop'), 3 + 2);
    assert.equal(totals.get('search_restart'), 1 + 2);
    assert.equal(totals.get('clashres'), 3);
    assert.equal(
      totals.has('entries'),
      false,
      'entries is the table size on every line, not a per-CPU count',
    );
  });

  it('finds the columns of an older kernel by their names', () => {
    const totals = parseConntrackStat(readFixture('conntrack-4.9/proc/net/stat/nf_conntrack'));
    assert.equal(totals.get('searched'), 0);
    assert.equal(totals.get('found'), 0xc + 0x4);
    assert.equal(totals.get('insert'), 9 + 1);
    assert.equal(totals.get('ignore'), 0x15 + 2);
    assert.equal(totals.has('clashres'), false);
  });

  it('reads the captured table of a namespace with five tracked connections (counters all zero)', () => {
    const totals = parseConntrackStat(readFixture('netns/proc/net/stat/nf_conntrack'));
    assert.equal(totals.get('found'), 0);
    assert.equal(totals.get('drop'), 0);
    assert.equal(totals.size, 16);
  });

  it('skips a short or non-hexadecimal line and throws without a header', () => {
    const skipped: string[] = [];
    const text =
      'entries found drop\n00000001 00000002 00000003\n00000001 0000000g 00000001\n00000001 00000004\n';
    assert.deepEqual(
      [...parseConntrackStat(text, (line) => skipped.push(line))],
      [
        ['found', 2],
        ['drop', 3],
      ],
    );
    assert.equal(skipped.length, 2);
    assert.throws(() => parseConntrackStat(''), /empty/);
    assert.throws(() => parseConntrackStat('00000001 00000002\n'), /malformed .* header/);
  });
});
