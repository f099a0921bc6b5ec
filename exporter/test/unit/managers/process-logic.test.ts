/**
 * The processes manager's logic that needs no live process: sorting, filtering, paging and
 * nesting; the CPU window rules; and the whole manager over the fixture
 * procfs in test/fixtures/processes/tree (a real LocalHost pointed at it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { CpuHistory, cpuPercent, type CpuReading } from '../../../src/managers/process-cpu.js';
import { buildTree, filterProcesses, page, sortProcesses } from '../../../src/managers/process-query.js';
import { ProcessManager, type ProcessInfo, type ProcessNode } from '../../../src/managers/processes.js';
import { isHyperionError } from '../../../src/util/errors.js';
import { FIXTURES } from '../helpers.js';

function proc(pid: number, ppid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid,
    ppid,
    uid: 0,
    user: 'root',
    name: `p${pid}`,
    command: `p${pid}`,
    state: 'S',
    cpuPercent: 0,
    rssBytes: 0,
    vszBytes: 0,
    threads: 1,
    nice: 0,
    priority: 20,
    startTime: '2024-01-01T00:00:00.000Z',
    kernelThread: false,
    ...extra,
  };
}

const pids = (items: readonly { pid: number }[]): number[] => items.map((p) => p.pid);

describe('sortProcesses', () => {
  const items = [
    proc(30, 1, { cpuPercent: 5, name: 'b', startTime: '2024-01-02T00:00:00.000Z' }),
    proc(10, 1, { cpuPercent: 5, name: 'a', startTime: '2023-12-31T23:59:59.990Z' }),
    proc(20, 1, { cpuPercent: 50, name: 'B', startTime: '2024-01-01T00:00:00.000Z' }),
    proc(40, 1, { cpuPercent: 0.5, name: 'a', startTime: '2024-01-01T00:00:00.010Z' }),
  ];

  it('sorts numbers numerically and breaks ties by pid ascending in both directions', () => {
    assert.deepEqual(pids(sortProcesses(items, 'cpuPercent', 'asc')), [40, 10, 30, 20]);
    // Not the reverse of the ascending order: ties (10 and 30) keep pid order.
    assert.deepEqual(pids(sortProcesses(items, 'cpuPercent', 'desc')), [20, 10, 30, 40]);
    assert.deepEqual(pids(sortProcesses(items)), [10, 20, 30, 40]);
    assert.deepEqual(pids(sortProcesses(items, 'pid', 'desc')), [40, 30, 20, 10]);
  });

  it('sorts text by code unit and start times chronologically', () => {
    assert.deepEqual(pids(sortProcesses(items, 'name', 'asc')), [20, 10, 40, 30]);
    assert.deepEqual(pids(sortProcesses(items, 'startTime', 'asc')), [10, 20, 40, 30]);
  });

  it('does not reorder its input', () => {
    sortProcesses(items, 'name', 'desc');
    assert.deepEqual(pids(items), [30, 10, 20, 40]);
  });
});

describe('filterProcesses and page', () => {
  const items = [
    proc(1, 0, { user: 'root', name: 'init', command: '/sbin/init splash' }),
    proc(2, 1, { user: 'www-data', uid: 33, name: 'nginx', command: 'nginx: worker process', state: 'R' }),
    proc(3, 1, { user: 'root', name: 'sshd', command: '/usr/sbin/sshd -D', state: 'D' }),
    proc(4, 3, { user: '1234', uid: 1234, name: 'bash', command: '-bash', state: 'T' }),
  ];

  it('filters by user name or numeric uid', () => {
    assert.deepEqual(pids(filterProcesses(items, { user: 'root' })), [1, 3]);
    assert.deepEqual(pids(filterProcesses(items, { user: '33' })), [2]);
    assert.deepEqual(pids(filterProcesses(items, { user: 'nobody' })), []);
  });

  it('matches a case-insensitive substring of the name or the command line', () => {
    assert.deepEqual(pids(filterProcesses(items, { search: 'WORKER' })), [2]);
    assert.deepEqual(pids(filterProcesses(items, { search: 'sbin' })), [1, 3]);
    assert.deepEqual(pids(filterProcesses(items, { search: 'bash' })), [4]);
  });

  it('keeps the states asked for, and combines filters with and', () => {
    assert.deepEqual(pids(filterProcesses(items, { state: ['R', 'D'] })), [2, 3]);
    assert.deepEqual(pids(filterProcesses(items, { state: [] })), [1, 2, 3, 4]);
    assert.deepEqual(pids(filterProcesses(items, { state: ['D', 'T'], user: 'root' })), [3]);
  });

  it('pages by offset and limit', () => {
    assert.deepEqual(page([1, 2, 3, 4, 5], 1, 2), [2, 3]);
    assert.deepEqual(page([1, 2, 3, 4, 5], 3), [4, 5]);
    assert.deepEqual(page([1, 2, 3], 5, 2), []);
  });
});

describe('buildTree', () => {
  const shape = (nodes: readonly ProcessNode[]): unknown =>
    nodes.map((n) => (n.children.length > 0 ? { [n.pid]: shape(n.children) } : n.pid));

  it('nests children under parents in input order and puts orphans at the top', () => {
    const items = [proc(1, 0), proc(2, 0), proc(5, 1), proc(7, 5), proc(6, 1), proc(9, 42)];
    assert.deepEqual(shape(buildTree(items)), [{ 1: [{ 5: [7] }, 6] }, 2, 9]);
  });

  it('breaks a parent cycle a torn snapshot can produce instead of losing both processes', () => {
    const items = [proc(1, 0), proc(10, 11), proc(11, 10), proc(12, 11)];
    const roots = buildTree(items);
    assert.deepEqual(shape(roots), [1, { 10: [{ 11: [12] }] }]);
  });

  it('survives a chain deeper than the stack would allow recursion for', () => {
    const chain = Array.from({ length: 20000 }, (_, i) => proc(i + 1, i));
    let node = buildTree(chain)[0];
    let depth = 0;
    while (node) {
      depth += 1;
      node = node.children[0];
    }
    assert.equal(depth, 20000);
  });
});

describe('CPU % from two readings', () => {
  const reading = (uptimeSeconds: number, entries: [number, number, number][]): CpuReading => ({
    uptimeSeconds,
    byPid: new Map(entries.map(([pid, start, ticks]) => [pid, { start, ticks }])),
  });

  it('divides the ticks used by the window', () => {
    const ref = reading(100, [[7, 500, 1000]]);
    // 50 ticks of 100 Hz over 0.5 s: 100 %.
    assert.equal(cpuPercent(7, { start: 500, ticks: 1050 }, 100.5, ref, 100, 1), 100);
    assert.equal(cpuPercent(7, { start: 500, ticks: 1010 }, 100.5, ref, 100, 1), 20);
    // Four threads may use four CPUs.
    assert.equal(cpuPercent(7, { start: 500, ticks: 1200 }, 100.5, ref, 100, 4), 400);
  });

  it('uses the lifetime of a process newer than the reference, even under a reused pid', () => {
    const ref = reading(100, [[7, 500, 1000]]);
    // pid 7 again, but started at 99.8 s (tick 9980): a different process, 0.2 s old with 10 ticks.
    assert.equal(cpuPercent(7, { start: 9980, ticks: 10 }, 100, ref, 100, 1), 50);
    assert.equal(cpuPercent(8, { start: 9990, ticks: 5 }, 100, ref, 100, 1), 50);
    // One thread cannot use more than one CPU, however short its life.
    assert.equal(cpuPercent(8, { start: 9999, ticks: 2 }, 100, ref, 100, 1), 100);
  });

  it('offers as reference the newest reading at least 150 ms and at most 10 s old', () => {
    const history = new CpuHistory();
    assert.equal(history.reference(100), undefined);
    history.keep(reading(100, []));
    assert.equal(history.reference(100.1), undefined, 'too young');
    assert.equal(history.reference(100.2)?.uptimeSeconds, 100);
    assert.equal(history.reference(111), undefined, 'too old');
    history.keep(reading(100.05, []));
    history.keep(reading(100.3, []));
    // 100.05 was not kept (too close to 100): back-to-back listings keep a usable reference.
    assert.equal(history.reference(100.4)?.uptimeSeconds, 100);
    assert.equal(history.reference(100.5)?.uptimeSeconds, 100.3);
  });
});

describe('ProcessManager over a fixture procfs', () => {
  const root = path.join(FIXTURES, 'processes/tree');
  const host = new LocalHost({ procfs: path.join(root, 'proc'), rootfs: root });
  const manager = new ProcessManager(host, { selfPid: null });
  const pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }));
  // Directory owners are whoever checked the tree out; tree/etc/passwd names uid 0 "superuser".
  const owner = statSync(path.join(root, 'proc/4242')).uid;
  const ownerName = owner === 0 ? 'superuser' : owner === 1001 ? 'worker' : String(owner);

  it('lists every process with the columns from stat, cmdline and the rootfs passwd', async () => {
    const result = await manager.list();
    assert.equal(result.total, 3);
    const [kthread, service, worker] = result.items;
    assert.deepEqual(service, {
      pid: 4242,
      ppid: 1,
      uid: owner,
      user: ownerName,
      name: 'python3',
      command: 'python3 -m http.server 8080',
      state: 'S',
      cpuPercent: 0, // the fixture's clock stands still: a zero window shows no use
      rssBytes: 2600 * pageSize, // statm's exact count, not stat's approximate 2560
      vszBytes: 104857600,
      threads: 3,
      nice: 5,
      priority: 25,
      // btime 1700000000 + 50000 ticks / 100 Hz
      startTime: new Date((1700000000 + 500) * 1000).toISOString(),
      kernelThread: false,
    });
    assert.equal(kthread?.command, '[kthreadd]');
    assert.equal(kthread?.kernelThread, true, 'kthreadd (PF_KTHREAD in its stat flags)');
    assert.equal(worker?.name, 'worker (x) R 1');
    assert.equal(worker?.state, 'R');
    // An unreadable statm (this one is garbled): stat's approximate count stands in.
    assert.equal(worker?.rssBytes, 1024 * pageSize);
  });

  it('nests the worker under its service and leaves the service, whose parent is absent, on top', async () => {
    const tree = await manager.tree({ sort: 'pid', order: 'desc' });
    assert.equal(tree.total, 2);
    assert.equal(tree.processes, 3);
    assert.deepEqual(
      tree.items.map((n) => [n.pid, n.children.map((c) => c.pid)]),
      [
        [4242, [4300]],
        [2, []],
      ],
    );
  });

  it('adds open files, cwd, executable, cgroup and unit for one process', async () => {
    const detail = await manager.get(4242);
    assert.equal(detail.command, 'python3 -m http.server 8080');
    assert.equal(detail.openFiles, 4);
    assert.equal(detail.cwd, '/srv/app');
    assert.equal(detail.executable, '/usr/bin/python3.11');
    assert.equal(detail.cgroup, '/system.slice/webapp.service');
    assert.equal(detail.unit, 'webapp.service');
    assert.equal(detail.userUnit, null);
    // A kernel thread has no fd directory, cwd or executable to show: null, not a failure.
    const kthread = await manager.get(2);
    assert.deepEqual(
      [kthread.openFiles, kthread.cwd, kthread.executable, kthread.unit],
      [null, null, null, null],
    );
  });

  it('answers not-found for a pid the host does not have', async () => {
    await assert.rejects(manager.get(999), (e) => isHyperionError(e) && e.type === 'not-found');
  });
});
