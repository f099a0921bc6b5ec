import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePressure } from '../../../src/parsers/pressure.js';
import { readFixture } from '../helpers.js';

describe('parsePressure', () => {
  it('reads the cumulative totals of the captured /proc/pressure files', () => {
    const skips: string[] = [];
    const report = (line: string): void => void skips.push(line);
    // "some avg10=3.29 avg60=13.36 avg300=8.34 total=64435828" / "full … total=0"
    assert.deepEqual(parsePressure(readFixture('captured/proc/pressure/cpu'), report), {
      someMicros: 64435828,
      fullMicros: 0,
    });
    assert.deepEqual(parsePressure(readFixture('captured/proc/pressure/memory'), report), {
      someMicros: 0,
      fullMicros: 0,
    });
    assert.deepEqual(parsePressure(readFixture('captured/proc/pressure/io'), report), {
      someMicros: 4983092,
      fullMicros: 3981677,
    });
    assert.deepEqual(skips, []);
  });

  it('skips a line whose total is empty rather than reading it as 0', () => {
    const skips: string[] = [];
    const psi = parsePressure(readFixture('malformed/proc/pressure/cpu'), (line) => skips.push(line));
    assert.equal(psi.someMicros, 64435828);
    assert.equal(psi.fullMicros, undefined);
    assert.deepEqual(skips, ['full avg10=0.00 avg60=0.00 avg300=0.00 total=']);
  });

  it('skips a non-numeric total, an unknown kind and a missing total', () => {
    const skips: string[] = [];
    const memory = parsePressure(readFixture('malformed/proc/pressure/memory'), (line) => skips.push(line));
    assert.deepEqual(memory, { someMicros: undefined, fullMicros: 3981677 });
    const io = parsePressure(readFixture('malformed/proc/pressure/io'), (line) => skips.push(line));
    assert.deepEqual(io, { someMicros: undefined, fullMicros: 0 });
    assert.deepEqual(
      skips.map((l) => l.split(' ')[0]),
      ['some', 'bogus', 'some'],
    );
  });
});
