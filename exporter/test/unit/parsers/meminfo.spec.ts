import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMeminfo } from '../../../src/parsers/meminfo.js';
import { readFixture } from '../helpers.js';

describe('parseMeminfo', () => {
  it('converts kB values of the captured /proc/meminfo to bytes', () => {
    const skips: string[] = [];
    const info = parseMeminfo(readFixture('captured/proc/meminfo'), (line) => skips.push(line));
    assert.deepEqual(skips, []);
    assert.equal(info.get('MemTotal'), 24683620 * 1024);
    assert.equal(info.get('MemAvailable'), 24207428 * 1024);
    assert.equal(info.get('Buffers'), 5184 * 1024);
    assert.equal(info.get('Shmem'), 8952 * 1024);
    assert.equal(info.get('SwapTotal'), 0);
    // Keys with parentheses keep them.
    assert.equal(info.get('Active(anon)'), 1572 * 1024);
    // The largest value of the file still fits a double exactly.
    assert.equal(info.get('VmallocTotal'), 34359738367 * 1024);
    // 53 lines, 53 keys: nothing lost.
    assert.equal(info.size, 53);
  });

  it('keeps values without a unit as counts', () => {
    const info = parseMeminfo(readFixture('captured/proc/meminfo'));
    assert.equal(info.get('HugePages_Total'), 0);
    assert.equal(info.get('Hugepagesize'), 2048 * 1024);
  });

  it('skips a non-numeric value, a missing colon, an unknown unit and an empty value', () => {
    const skips: { line: string; reason: string }[] = [];
    const info = parseMeminfo(readFixture('malformed/proc/meminfo'), (line, reason) =>
      skips.push({ line, reason }),
    );
    assert.deepEqual([...info.keys()], ['MemTotal', 'MemAvailable', 'SwapTotal', 'HugePages_Total']);
    assert.equal(info.get('MemAvailable'), 24069132 * 1024);
    // A count, not kB: left as it is.
    assert.equal(info.get('HugePages_Total'), 16);
    assert.deepEqual(
      skips.map((s) => s.line.split(/[:\s]/)[0]),
      ['MemFree', 'Buffers', 'Cached', 'SwapFree'],
    );
    assert.equal(skips[1]?.reason, 'no key');
  });
});
