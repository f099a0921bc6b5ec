import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKernelThread, parsePidStat } from '../../../src/parsers/pid-stat.js';
import { readFixture } from '../helpers.js';

const stat = (pid: string, tree = 'captured'): ReturnType<typeof parsePidStat> =>
  parsePidStat(readFixture(`${tree}/proc/${pid}/stat`));

describe('parsePidStat', () => {
  it('finds the fields after a command name with spaces, parentheses and a fake state', () => {
    // "15239 (a) (b c) Z 7) S 15197 15152 8343 0 -1 4194304 94 0 0 0 0 0 0 0 20 0 1 0 79285 2990080 411 …"
    assert.deepEqual(stat('15239'), {
      pid: 15239,
      comm: 'a) (b c) Z 7',
      state: 'S',
      ppid: 15197,
      pgrp: 15152,
      session: 8343,
      tty: 0,
      flags: 4194304,
      utime: 0,
      stime: 0,
      priority: 20,
      nice: 0,
      numThreads: 1,
      startTicks: 79285,
      vsizeBytes: 2990080,
      rssPages: 411,
      processor: 0,
    });
  });

  it('reads each captured state', () => {
    const states = Object.fromEntries(
      ['2', '4', '15239', '15240', '15242', '15244', '15287'].map((pid) => [pid, stat(pid).state]),
    );
    assert.deepEqual(states, {
      '2': 'S',
      '4': 'I',
      '15239': 'S',
      '15240': 'T',
      '15242': 'S',
      '15244': 'Z',
      '15287': 'R',
    });
  });

  it('tells kernel threads (PF_KTHREAD) from user processes', () => {
    const kernel = ['2', '4'].map((pid) => isKernelThread(stat(pid)));
    const user = ['15239', '15240', '15242', '15244', '15287'].map((pid) => isKernelThread(stat(pid)));
    assert.deepEqual(kernel, [true, true]);
    assert.deepEqual(user, [false, false, false, false, false]);
  });

  it('reads threads, CPU time and memory of a multi-threaded process', () => {
    const node = stat('15242');
    assert.equal(node.comm, 'node');
    assert.equal(node.numThreads, 7);
    assert.equal(node.utime, 6);
    assert.equal(node.stime, 3);
    assert.equal(node.vsizeBytes, 745713664);
    assert.equal(node.rssPages, 10080);
    assert.equal(node.processor, 1);
  });

  it('reads negative fields and kernel thread names with slashes', () => {
    const kworker = stat('4');
    assert.equal(kworker.comm, 'kworker/R-rcu_gp');
    assert.equal(kworker.nice, -20);
    assert.equal(kworker.priority, 0);
    assert.equal(kworker.ppid, 2);
    const zombie = stat('15244');
    assert.equal(zombie.ppid, 15241);
    assert.equal(zombie.rssPages, 0);
  });

  it('throws on a stat without a closing parenthesis and on a truncated one', () => {
    assert.throws(() => stat('77', 'malformed'), /malformed/);
    assert.throws(() => stat('78', 'malformed'), /malformed/);
    assert.equal(stat('79', 'malformed').state, 'S');
  });
});
