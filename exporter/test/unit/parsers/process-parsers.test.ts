/**
 * The parsers of the processes manager, on captured and constructed fixtures
 * (test/fixtures/processes/README.md). One file for all of them: each test file costs a process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePidCgroup, primaryCgroupPath, unitsFromCgroupPath } from '../../../src/parsers/cgroup.js';
import { parsePasswd } from '../../../src/parsers/passwd.js';
import { commandLine, parsePidCmdline } from '../../../src/parsers/pid-cmdline.js';
import { parsePidStatm } from '../../../src/parsers/pid-statm.js';
import { parsePidStatus } from '../../../src/parsers/pid-status.js';
import { parseUptime } from '../../../src/parsers/uptime.js';
import { readFixture } from '../helpers.js';

const fixture = (name: string): string => readFixture(`processes/${name}`);

describe('parsePasswd', () => {
  it('maps every uid of a captured /etc/passwd to its name', () => {
    const skips: string[] = [];
    const users = parsePasswd(fixture('captured/etc/passwd'), (line) => skips.push(line));
    assert.deepEqual(skips, []);
    assert.equal(users.get(0), 'root');
    assert.equal(users.get(65534), 'nobody');
    assert.equal(users.get(104), 'sshd');
    assert.equal(users.size, 28);
  });

  it('skips comments, NIS entries and malformed lines, and keeps the first name of a uid', () => {
    const skips: string[] = [];
    const users = parsePasswd(fixture('constructed/passwd'), (line, reason) =>
      skips.push(`${reason}: ${line}`),
    );
    assert.deepEqual(
      [...users],
      [
        [0, 'root'],
        [1, 'daemon'],
        [1000, 'alice'],
        [4294967294, 'nogecos'],
      ],
    );
    assert.deepEqual(skips, [
      'malformed uid: broken:x:notanumber:1::/:/bin/false',
      'not a passwd entry: short:x',
      'not a passwd entry: +nisuser::::::',
      'not a passwd entry: -blocked::::::',
    ]);
  });
});

describe('parsePidCgroup and the unit it names', () => {
  it('reads a captured v1/v2 hybrid file and prefers the unified hierarchy', () => {
    const entries = parsePidCgroup(fixture('captured/proc/cgroup'));
    assert.equal(entries.length, 10);
    assert.deepEqual(entries[5], {
      hierarchy: 4,
      controllers: ['memory'],
      path: '/process_api/026a215acc943579379c00ce96303fb4',
    });
    assert.deepEqual(entries[9], { hierarchy: 0, controllers: [], path: '/' });
    assert.equal(primaryCgroupPath(entries), '/');
    assert.deepEqual(unitsFromCgroupPath('/'), { unit: null, userUnit: null });
  });

  it('uses name=systemd on a v1 host, keeps colons inside paths and skips garbage', () => {
    const skips: string[] = [];
    const entries = parsePidCgroup(fixture('constructed/cgroup-v1'), (line) => skips.push(line));
    assert.deepEqual(skips, ['garbage line']);
    assert.deepEqual(entries[1]?.controllers, ['cpu', 'cpuacct']);
    assert.equal(entries[3]?.path, '/a:b/c');
    assert.equal(primaryCgroupPath(entries), '/system.slice/cron.service');
  });

  it('falls back to the first hierarchy without systemd, and to null for an empty file', () => {
    assert.equal(
      primaryCgroupPath(parsePidCgroup(fixture('constructed/cgroup-v1-nosystemd'))),
      '/docker/0123abcd',
    );
    assert.equal(primaryCgroupPath(parsePidCgroup('')), null);
    assert.deepEqual(unitsFromCgroupPath('/docker/0123abcd'), { unit: null, userUnit: null });
  });

  it('derives units the way systemd does: skip slices, take the next unit name', () => {
    const unitOf = (name: string) =>
      unitsFromCgroupPath(primaryCgroupPath(parsePidCgroup(fixture(`constructed/${name}`)))!);
    assert.deepEqual(unitOf('cgroup-v2-service'), { unit: 'ssh.service', userUnit: null });
    assert.deepEqual(unitOf('cgroup-v2-nested'), { unit: 'nginx.service', userUnit: null });
    assert.deepEqual(unitOf('cgroup-v2-session'), { unit: 'session-3.scope', userUnit: null });
    assert.deepEqual(unitOf('cgroup-v2-init'), { unit: 'init.scope', userUnit: null });
    assert.deepEqual(unitOf('cgroup-v2-escaped'), { unit: 'cpu.service', userUnit: null });
    assert.deepEqual(unitOf('cgroup-v2-user'), {
      unit: 'user@1000.service',
      userUnit: 'vte-spawn-1f2e.scope',
    });
    assert.deepEqual(unitOf('cgroup-v2-root'), { unit: null, userUnit: null });
    // A slice alone is not a unit a process runs in.
    assert.deepEqual(unitsFromCgroupPath('/user.slice/user-1000.slice'), { unit: null, userUnit: null });
  });
});

describe('parsePidCmdline and commandLine', () => {
  it('keeps spaces, UTF-8 and a trailing empty argument of a captured command line', () => {
    const text = fixture('captured/proc/cmdline-args');
    assert.deepEqual(parsePidCmdline(text), ['sh', '-c', 'sleep 30; :', 'sh', 'two words', 'grüße', '']);
    assert.equal(commandLine(text, 'sh'), 'sh -c sleep 30; : sh two words grüße');
  });

  it('shows a kernel thread as [comm]', () => {
    const text = fixture('captured/proc/cmdline-kthread');
    assert.deepEqual(parsePidCmdline(text), []);
    assert.equal(commandLine(text, 'kthreadd'), '[kthreadd]');
  });

  it('drops setproctitle padding and reads a command line without a final NUL', () => {
    assert.equal(commandLine(fixture('constructed/cmdline-setproctitle'), 'nginx'), 'nginx: worker process');
    assert.equal(commandLine(fixture('constructed/cmdline-no-nul'), 'postgres'), 'postgres: checkpointer ');
    assert.deepEqual(parsePidCmdline(fixture('constructed/cmdline-no-nul')), ['postgres: checkpointer ']);
  });
});

describe('parsePidStatus', () => {
  it('reads the identity of a captured process', () => {
    const s = parsePidStatus(fixture('captured/proc/status-process'));
    assert.equal(s.name, 'sh');
    assert.equal(s.pid, s.tgid);
    assert.equal(s.pid, 30197);
    assert.equal(s.ppid, 30192);
    assert.deepEqual(s.uids, [0, 0, 0, 0]);
    assert.equal(s.threads, 1);
  });

  it('tells a thread from its process by Tgid', () => {
    const s = parsePidStatus(fixture('captured/proc/status-thread'));
    assert.equal(s.name, 'vsock-console');
    assert.equal(s.pid, 59);
    assert.equal(s.tgid, 1);
  });

  it('keeps spaces in a name and rejects text without Pid and Tgid', () => {
    assert.equal(parsePidStatus('Name:\tweb worker (2)\nTgid:\t7\nPid:\t7\n').name, 'web worker (2)');
    assert.throws(() => parsePidStatus('Name:\tx\n'), /no Pid\/Tgid/);
  });
});

describe('parsePidStatm', () => {
  it('reads the page counts of a captured statm', () => {
    // "1206 512 326 193 0 225 0"
    assert.deepEqual(parsePidStatm(fixture('captured/proc/statm')), {
      sizePages: 1206,
      residentPages: 512,
      sharedPages: 326,
      textPages: 193,
      dataPages: 225,
    });
  });

  it('rejects a truncated statm', () => {
    assert.throws(() => parsePidStatm('1206 512'), /malformed/);
  });
});

describe('parseUptime', () => {
  it('reads a captured /proc/uptime', () => {
    // "1423.56 1566.98"
    assert.deepEqual(parseUptime(fixture('captured/proc/uptime')), {
      uptimeSeconds: 1423.56,
      idleSeconds: 1566.98,
    });
  });

  it('rejects text that is not an uptime', () => {
    assert.throws(() => parseUptime(''), /malformed/);
    assert.throws(() => parseUptime('up 3 days'), /malformed/);
  });
});
