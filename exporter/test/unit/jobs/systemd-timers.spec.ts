import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListTimers } from '../../../src/parsers/systemd-timers.js';
import { readFixture } from '../helpers.js';

describe('parseListTimers', () => {
  const expected = [
    {
      unit: 'backup-demo.timer',
      activates: 'backup-demo.service',
      next: '2026-11-25T03:15:00.000Z',
      last: '2026-11-24T04:03:58.325Z',
    },
    {
      unit: 'rotate-demo.timer',
      activates: 'backup-demo.service',
      next: '2026-11-30T00:00:00.000Z',
      last: null,
    },
    {
      unit: 'systemd-tmpfiles-clean.timer',
      activates: 'systemd-tmpfiles-clean.service',
      next: null,
      last: null,
    },
  ];

  it('reads the captured --output=json: µs since the epoch, 0 and null for never', () => {
    assert.deepEqual(parseListTimers(readFixture('jobs/systemd/list-timers.json')), expected);
  });

  it('reads the captured table by its header columns, to the second', () => {
    const timers = parseListTimers(readFixture('jobs/systemd/list-timers.txt'));
    // The table prints whole seconds only.
    assert.deepEqual(timers, [
      { ...expected[0], last: '2026-11-24T04:03:58.000Z' },
      expected[1],
      expected[2],
    ]);
  });

  it('keeps a time it cannot place (not UTC) as text instead of guessing', () => {
    const text = readFixture('jobs/systemd/list-timers.txt').replaceAll('UTC', 'CET');
    const [first] = parseListTimers(text);
    assert.equal(first!.next, null);
    assert.equal(first!.nextText, 'Wed 2026-11-25 03:15:00 CET');
  });

  it('throws on output that is neither form', () => {
    assert.throws(() => parseListTimers('Failed to connect to bus'), /no table header/);
    assert.throws(() => parseListTimers('[{"unit":'), SyntaxError);
  });
});
