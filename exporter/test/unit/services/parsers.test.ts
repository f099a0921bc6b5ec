/**
 * The services parsers on output captured from a real systemd 252 (fixtures/services/systemd,
 * see fixtures/README.md) and on the LSB headers of real Debian init scripts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MESSAGE_TOO_LARGE, parseJournalJson } from '../../../src/parsers/journal-json.js';
import { parseLsbHeader } from '../../../src/parsers/lsb-header.js';
import {
  parseListUnitFiles,
  parseListUnits,
  parseSystemctlShow,
  showNumber,
  showText,
} from '../../../src/parsers/systemctl.js';
import { readFixture } from '../helpers.js';

const systemd = (name: string) => readFixture(`services/systemd/${name}`);

function collectSkips(): { skipped: string[]; report: (line: string, reason: string) => void } {
  const skipped: string[] = [];
  return { skipped, report: (line) => skipped.push(line) };
}

describe('parseSystemctlShow', () => {
  it('reads one block per unit, in the order asked, from a --property show of four units', () => {
    const units = parseSystemctlShow(systemd('show-many.txt'));
    assert.deepEqual(
      units.map((u) => u.get('Id')),
      ['capture-logger.service', 'capture-fails.service', 'systemd-journald.service', 'no-such-unit.service'],
    );
    const logger = units[0]!;
    assert.equal(showNumber(logger.get('MainPID')), 102);
    assert.equal(showNumber(logger.get('MemoryCurrent')), 192512);
    assert.equal(showNumber(logger.get('CPUUsageNSec')), null, '[not set]');
    assert.equal(logger.get('UnitFileState'), 'enabled');
    assert.equal(logger.get('ControlGroup'), '/system.slice/capture-logger.service');
    const missing = units[3]!;
    assert.equal(showText(missing.get('UnitFileState')), null, 'empty');
    assert.equal(showNumber(missing.get('MemoryCurrent')), null);
    assert.equal(showNumber(missing.get('MainPID')), 0);
    assert.equal(units[2]!.get('UnitFileState'), 'static');
  });

  it('keeps values containing "=" and quotes whole (full show of a running unit)', () => {
    const [unit, ...rest] = parseSystemctlShow(systemd('show-running.txt'));
    assert.equal(rest.length, 0);
    assert.ok(unit);
    assert.equal(unit.size, 242, 'every line of the capture is a property');
    assert.equal(unit.get('Description'), 'Hyperion capture: "logger" unit');
    assert.equal(unit.get('FragmentPath'), '/run/systemd/system/capture-logger.service');
    assert.equal(unit.get('ActiveState'), 'active');
    assert.equal(unit.get('SubState'), 'running');
    assert.equal(unit.get('ActiveEnterTimestamp'), 'Tue 2026-11-24 04:00:58 UTC');
    assert.match(
      unit.get('ExecStart') ?? '',
      /^\{ path=\/bin\/sh ; argv\[\]=\/bin\/sh -c echo plain line;.* pid=102 ;/,
    );
  });

  it('shows a failed oneshot and a unit that does not exist as systemd reports them', () => {
    const [failed] = parseSystemctlShow(systemd('show-failed.txt'));
    assert.equal(failed?.get('ActiveState'), 'failed');
    assert.equal(failed?.get('Result'), 'exit-code');
    assert.equal(failed?.get('ExecMainStatus'), '1');
    const [missing] = parseSystemctlShow(systemd('show-not-found.txt'));
    assert.equal(missing?.get('LoadState'), 'not-found');
    assert.equal(missing?.get('Id'), 'no-such-unit.service');
  });

  it('skips and reports lines that are not KEY=VALUE', () => {
    const { skipped, report } = collectSkips();
    const units = parseSystemctlShow(
      'Id=a.service\nno equals sign\n=value\nlower-case-key!=x\n\nId=b.service\n',
      report,
    );
    assert.deepEqual(
      units.map((u) => [...u.entries()]),
      [[['Id', 'a.service']], [['Id', 'b.service']]],
    );
    assert.deepEqual(skipped, ['no equals sign', '=value', 'lower-case-key!=x']);
  });

  it('reads systemd’s spellings of "unknown" as null', () => {
    for (const value of [
      undefined,
      '',
      '[not set]',
      '18446744073709551615',
      '-1',
      '12abc',
      '99999999999999999999',
    ]) {
      assert.equal(showNumber(value), null, String(value));
    }
    assert.equal(showNumber('0'), 0);
    assert.equal(showText('n/a'), null);
    assert.equal(showText('enabled'), 'enabled');
  });
});

describe('parseListUnits / parseListUnitFiles', () => {
  it('reads the JSON and the plain table of the same list-units call identically', () => {
    const json = parseListUnits(systemd('list-units.json'));
    const plain = parseListUnits(systemd('list-units.txt'));
    assert.equal(json.length, 57);
    assert.deepEqual(plain, json);
    assert.deepEqual(
      json.filter((u) => u.unit.startsWith('capture-')),
      [
        {
          unit: 'capture-fails.service',
          load: 'loaded',
          active: 'failed',
          sub: 'failed',
          description: 'Hyperion capture: oneshot that fails',
        },
        {
          unit: 'capture-logger.service',
          load: 'loaded',
          active: 'active',
          sub: 'running',
          description: 'Hyperion capture: "logger" unit',
        },
      ],
    );
    assert.ok(json.some((u) => u.load === 'not-found' && u.unit === 'auditd.service'));
  });

  it('reads the JSON and the plain table of the same list-unit-files call identically', () => {
    const json = parseListUnitFiles(systemd('list-unit-files.json'));
    const plain = parseListUnitFiles(systemd('list-unit-files.txt'));
    assert.equal(json.length, 137);
    assert.deepEqual(plain, json);
    const byName = new Map(json.map((f) => [f.unitFile, f]));
    assert.deepEqual(byName.get('capture-logger.service'), {
      unitFile: 'capture-logger.service',
      state: 'enabled',
      preset: 'enabled',
    });
    assert.deepEqual(byName.get('capture-fails.service'), {
      unitFile: 'capture-fails.service',
      state: 'static',
      preset: null,
    });
    assert.equal(byName.get('autovt@.service')?.state, 'alias');
  });

  it('reads the table without --plain (with "●" marks) and skips short lines', () => {
    const { skipped, report } = collectSkips();
    const units = parseListUnits(
      '● auditd.service not-found inactive dead auditd.service\n  ssh.service loaded active running OpenBSD Secure Shell server\nbroken line\n',
      report,
    );
    assert.deepEqual(
      units.map((u) => `${u.unit}|${u.load}|${u.sub}|${u.description}`),
      [
        'auditd.service|not-found|dead|auditd.service',
        'ssh.service|loaded|running|OpenBSD Secure Shell server',
      ],
    );
    assert.deepEqual(skipped, ['broken line']);
    const files = parseListUnitFiles('a.service enabled\nb.service static -\nlonely\n', report);
    assert.deepEqual(files, [
      { unitFile: 'a.service', state: 'enabled', preset: null },
      { unitFile: 'b.service', state: 'static', preset: null },
    ]);
  });

  it('skips JSON entries without the fields it needs', () => {
    const { skipped, report } = collectSkips();
    const units = parseListUnits(
      '[{"unit":"a.service","load":"loaded","active":"active","sub":"running"},{"unit":1},null]',
      report,
    );
    assert.deepEqual(units, [
      { unit: 'a.service', load: 'loaded', active: 'active', sub: 'running', description: '' },
    ]);
    assert.equal(skipped.length, 2);
  });
});

describe('parseJournalJson', () => {
  it('reads the captured journal: UTF-8, bytes that are not, and syslog priorities', () => {
    const entries = parseJournalJson(systemd('journal.json'));
    assert.deepEqual(
      entries.map((e) => [e.priority, e.message, e.pid, e.identifier]),
      [
        [6, 'Started capture-logger.service - Hyperion capture: "logger" unit.', 1, 'systemd'],
        [6, 'plain line', 102, 'sh'],
        [6, 'café ✓', 102, 'sh'],
        [6, 'bad \uFFFD byte', 102, 'sh'],
        [3, 'an error line', 102, 'sh'],
      ],
    );
    assert.equal(entries[1]!.time, new Date(1795492858639.923).toISOString());
  });

  it('survives lines that are not JSON objects, missing fields, null and multi-valued fields', () => {
    const { skipped, report } = collectSkips();
    const entries = parseJournalJson(
      [
        'not json',
        '[1,2]',
        '{"MESSAGE":null,"PRIORITY":"4"}',
        '{"MESSAGE":["first","second"],"_COMM":"daemon","_PID":"x"}',
        '{}',
        '',
      ].join('\n'),
      report,
    );
    assert.deepEqual(skipped, ['not json', '[1,2]']);
    assert.deepEqual(entries, [
      { time: null, priority: 4, pid: null, identifier: null, message: MESSAGE_TOO_LARGE },
      { time: null, priority: null, pid: null, identifier: 'daemon', message: 'first' },
      { time: null, priority: null, pid: null, identifier: null, message: '' },
    ]);
  });
});

describe('parseLsbHeader', () => {
  it('reads Debian’s ssh script: tab-separated values and an empty Default-Stop', () => {
    assert.deepEqual(parseLsbHeader(readFixture('services/sysv/ssh')), {
      provides: ['ssh', 'sshd'],
      defaultStart: ['2', '3', '4', '5'],
      defaultStop: [],
      shortDescription: 'OpenBSD Secure Shell server',
      description: null,
    });
  });

  it('finds the header after code (procps) and joins continued descriptions (cgroupfs-mount)', () => {
    const procps = parseLsbHeader(readFixture('services/sysv/procps'));
    assert.deepEqual(procps?.defaultStart, ['S']);
    assert.equal(procps?.shortDescription, 'Configure kernel parameters at boottime');
    assert.equal(procps?.description, 'Loads kernel parameters that are specified in /etc/sysctl.conf');
    const cgroup = parseLsbHeader(readFixture('services/sysv/cgroupfs-mount'));
    assert.deepEqual(cgroup?.defaultStop, ['0', '1', '6']);
    assert.equal(
      cgroup?.description,
      'Control groups are a kernel mechanism for tracking and imposing limits on resource usage on groups of tasks.',
    );
  });

  it('answers null without a header, and reports a header that never ends', () => {
    assert.equal(parseLsbHeader('#!/bin/sh\necho hi\n'), null);
    const { skipped, report } = collectSkips();
    const header = parseLsbHeader('### BEGIN INIT INFO\n# Provides: x\nnot a comment\n', report);
    assert.deepEqual(header?.provides, ['x']);
    assert.deepEqual(skipped, ['not a comment', '### BEGIN INIT INFO']);
  });
});
