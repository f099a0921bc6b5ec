import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDiskstats } from '../../../src/parsers/diskstats.js';
import { readFixture } from '../helpers.js';

describe('parseDiskstats', () => {
  it('reads every device of the captured /proc/diskstats (20-column format)', () => {
    const skips: string[] = [];
    const disks = parseDiskstats(readFixture('captured/proc/diskstats'), (line) => skips.push(line));
    assert.deepEqual(skips, []);
    assert.deepEqual(
      disks.map((d) => d.device),
      ['loop0', 'loop1', 'loop2', 'loop3', 'loop4', 'loop5', 'loop6', 'loop7', 'vda', 'zram0'],
    );
    // " 254       0 vda 39212 9168 2697034 12160 35646 22304 3884240 17451 0 11844 33026 9103 56 …"
    assert.deepEqual(
      disks.find((d) => d.device === 'vda'),
      {
        major: 254,
        minor: 0,
        device: 'vda',
        readsCompleted: 39212,
        readsMerged: 9168,
        sectorsRead: 2697034,
        readTimeMs: 12160,
        writesCompleted: 35646,
        writesMerged: 22304,
        sectorsWritten: 3884240,
        writeTimeMs: 17451,
        ioInProgress: 0,
        ioTimeMs: 11844,
        weightedIoTimeMs: 33026,
      },
    );
    assert.equal(disks.find((d) => d.device === 'zram0')?.major, 253);
  });

  it('reads the 14-column format of kernels before 4.18', () => {
    const disks = parseDiskstats(readFixture('constructed/proc/diskstats'));
    // "  11       0 sr0 12 0 96 7 0 0 0 0 0 9 7"
    const sr0 = disks.find((d) => d.device === 'sr0');
    assert.equal(sr0?.readsCompleted, 12);
    assert.equal(sr0?.sectorsRead, 96);
    assert.equal(sr0?.ioTimeMs, 9);
    assert.equal(sr0?.weightedIoTimeMs, 7);
    assert.equal(disks.length, 9);
  });

  it('skips a short line and a non-numeric column, keeping the lines around them', () => {
    const skips: string[] = [];
    const disks = parseDiskstats(readFixture('malformed/proc/diskstats'), (line) => skips.push(line));
    assert.deepEqual(
      disks.map((d) => d.device),
      ['loop0', 'vda', 'zram0'],
    );
    assert.equal(disks[1]?.sectorsWritten, 3884240);
    assert.deepEqual(
      skips.map((l) => l.trim().split(/\s+/)[2]),
      ['vdb', 'sdb'],
    );
  });
});
