import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMdstat, type MdArray } from '../../../src/parsers/mdstat.js';
import { readFixture } from '../helpers.js';

const byName = (arrays: MdArray[]) => new Map(arrays.map((a) => [a.name, a]));

describe('parseMdstat', () => {
  it('reads healthy arrays of every level, with their members, spares and sizes', () => {
    const arrays = byName(parseMdstat(readFixture('mdstat/healthy/mdstat')));
    assert.deepEqual([...arrays.keys()], ['md0', 'md1', 'md2', 'md3', 'md4', 'md5']);
    const md0 = arrays.get('md0')!;
    assert.deepEqual(
      [
        md0.active,
        md0.level,
        md0.members,
        md0.failed,
        md0.spare,
        md0.needed,
        md0.working,
        md0.blocks,
        md0.sync,
      ],
      [true, 'raid1', 2, 0, 0, 2, 2, 1046528, undefined],
    );
    // raid0 and linear print no [needed/working].
    assert.deepEqual(
      [arrays.get('md1')!.level, arrays.get('md1')!.needed, arrays.get('md1')!.blocks],
      ['raid0', undefined, 4190208],
    );
    assert.deepEqual([arrays.get('md4')!.level, arrays.get('md4')!.members], ['linear', 2]);
    assert.deepEqual(
      [arrays.get('md2')!.needed, arrays.get('md2')!.working, arrays.get('md2')!.members],
      [4, 4, 4],
    );
    const md3 = arrays.get('md3')!;
    assert.deepEqual([md3.level, md3.members, md3.spare, md3.needed, md3.working], ['raid5', 4, 1, 3, 3]);
    const md5 = arrays.get('md5')!;
    assert.deepEqual([md5.readOnly, md5.level, md5.needed], [true, 'raid6', 5]);
    assert.equal(md0.readOnly, false);
  });

  it('reads a degraded mirror with a failed member, a raid5 missing one, and an inactive array', () => {
    const arrays = byName(parseMdstat(readFixture('mdstat/degraded/mdstat')));
    const md0 = arrays.get('md0')!;
    assert.deepEqual([md0.failed, md0.needed, md0.working], [1, 2, 1]);
    const md1 = arrays.get('md1')!;
    assert.deepEqual([md1.members, md1.failed, md1.needed, md1.working], [2, 0, 3, 2]);
    const md127 = arrays.get('md127')!;
    assert.deepEqual(
      [md127.active, md127.level, md127.members, md127.spare, md127.needed, md127.blocks],
      [false, undefined, 2, 2, undefined, 2093056],
    );
  });

  it('reads a running resync and ones waiting (DELAYED behind another array, PENDING until written)', () => {
    const arrays = byName(parseMdstat(readFixture('mdstat/resync/mdstat')));
    assert.deepEqual(arrays.get('md0')!.sync, { action: 'resync', done: 2337792, total: 10476544 });
    assert.deepEqual(arrays.get('md1')!.sync, { action: 'resync', waiting: 'DELAYED' });
    assert.deepEqual(arrays.get('md2')!.sync, { action: 'resync', waiting: 'PENDING' });
    // The sync line comes before the bitmap line: both are read, neither taken for the other.
    assert.equal(arrays.get('md0')!.blocks, 10476544);
  });

  it('reads recovery, check and reshape progress in the operation’s own blocks', () => {
    const arrays = byName(parseMdstat(readFixture('mdstat/recovery/mdstat')));
    assert.deepEqual(arrays.get('md0')!.sync, { action: 'recovery', done: 299776, total: 1046528 });
    // raid5: per-member blocks, a tenth of the array's size, and a percentage padded with spaces.
    assert.deepEqual(arrays.get('md1')!.sync, { action: 'recovery', done: 325632, total: 10476544 });
    assert.equal(arrays.get('md1')!.blocks, 20953088);
    assert.deepEqual(arrays.get('md2')!.sync, { action: 'check', done: 523264, total: 1046528 });
    assert.deepEqual(arrays.get('md3')!.sync, { action: 'reshape', done: 102912, total: 1046528 });
  });

  it('skips and reports lines that belong to no array; no md at all is an empty list', () => {
    const skipped: string[] = [];
    const text = '      orphan detail\ngarbage line\nmd9 : active raid1 sda1[0]\n      10 blocks [1/1] [U]\n';
    const arrays = parseMdstat(text, (line) => skipped.push(line));
    assert.deepEqual(skipped, ['      orphan detail', 'garbage line']);
    assert.equal(arrays[0]!.blocks, 10);
    assert.deepEqual(parseMdstat('Personalities : \nunused devices: <none>\n'), []);
  });
});
