import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  needsRestarts,
  needsStartTime,
  readingFromSystemctl,
  selectUnits,
  systemBusAddress,
  systemdCollector,
  systemdFamilies,
  type SystemdReading,
  unitsFromListing,
} from '../../../src/collectors/systemd.js';
import { parseListUnits, type SystemdUnit } from '../../../src/parsers/systemd-units.js';
import { createProgram, exporterOptions } from '../../../src/cli/flags.js';
import { ALL_COLLECTORS } from '../../../src/collectors/index.js';
import { collect, defaultSettings, family, readFixture, tempDir, value, type Skip } from '../helpers.js';

/** ListUnits of a real systemd 252 (fixtures/README.md), as busctl --json wrote it. */
function fixtureRows(): unknown {
  return (JSON.parse(readFixture('systemd/list-units.json')) as { data: unknown[] }).data[0];
}

function parse(rows: unknown): { units: SystemdUnit[]; skips: Skip[] } {
  const skips: Skip[] = [];
  const units = parseListUnits(rows, (line, reason) => skips.push({ file: 'ListUnits', line, reason }));
  return { units, skips };
}

const byName = (units: SystemdUnit[], name: string) => units.find((u) => u.name === name);

describe('systemd: ListUnits', () => {
  it('reads every unit of a real answer with its type and states', () => {
    const { units, skips } = parse(fixtureRows());
    assert.deepEqual(skips, []);
    assert.equal(units.length, 131);
    assert.deepEqual(byName(units, 'broken.service'), {
      name: 'broken.service',
      type: 'service',
      loadState: 'loaded',
      activeState: 'failed',
      subState: 'failed',
      objectPath: '/org/freedesktop/systemd1/unit/broken_2eservice',
    });
    assert.equal(byName(units, 'crashy.service')?.activeState, 'activating');
    assert.equal(byName(units, 'crashy.service')?.subState, 'auto-restart');
    assert.equal(byName(units, 'sleeper.service')?.activeState, 'active');
    assert.equal(byName(units, 'hyperion-test.target')?.type, 'target');
    assert.equal(byName(units, 'system-modprobe.slice')?.type, 'slice');
    // A unit name with an "@" instance and escapes keeps them.
    assert.ok(units.some((u) => u.name.includes('@') && u.type === 'service'));
  });

  it('skips malformed entries, and says why, without losing the good ones', () => {
    const good = [
      'a.service',
      '',
      'loaded',
      'active',
      'running',
      '',
      '/org/freedesktop/systemd1/unit/a_2eservice',
      0,
      '',
      '/',
    ];
    const { units, skips } = parse([
      good,
      ['short', 'row'],
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      ['no-type', '', 'loaded', 'active', 'running', '', '/o', 0, '', '/'],
      ['b.service', '', 'loaded', 'active', 'running', '', 'not a path', 0, '', '/'],
      'a string',
    ]);
    assert.deepEqual(
      units.map((u) => u.name),
      ['a.service'],
    );
    assert.deepEqual(
      skips.map((s) => s.reason),
      [
        'not a (ssssssouso) unit entry',
        'not a (ssssssouso) unit entry',
        'not a unit name',
        'not an object path',
        'not a (ssssssouso) unit entry',
      ],
    );
    assert.deepEqual(parse({ not: 'an array' }).units, []);
    assert.equal(parse({ not: 'an array' }).skips.length, 1);
  });
});

describe('systemd: selection and series', () => {
  const settings = defaultSettings();
  const all = parse(fixtureRows()).units;

  it("leaves out node_exporter's default exclusions, and nothing else", () => {
    const selected = selectUnits(all, settings.systemdUnitInclude, settings.systemdUnitExclude);
    const excluded = all.filter((u) => !selected.includes(u)).map((u) => u.type);
    assert.deepEqual([...new Set(excluded)].sort(), ['automount', 'device', 'mount', 'scope', 'slice']);
    assert.equal(selected.length, all.length - excluded.length);
    assert.ok(selected.length > 100);
  });

  it('applies the patterns to whole names, as flags', () => {
    const program = createProgram(ALL_COLLECTORS);
    program.parse(
      [
        'node',
        'x',
        '--collector.systemd.unit-include=(broken|sleeper)',
        '--collector.systemd.unit-exclude=sleep.*',
      ],
      {
        from: 'node',
      },
    );
    const s = exporterOptions(program, ALL_COLLECTORS).collectorSettings;
    // "(broken|sleeper)" alone matches no whole name: the type is part of it.
    assert.deepEqual(selectUnits(all, s.systemdUnitInclude, s.systemdUnitExclude), []);
    const program2 = createProgram(ALL_COLLECTORS);
    program2.parse(
      [
        'node',
        'x',
        '--collector.systemd.unit-include=(broken|sleeper)\\.service',
        '--collector.systemd.unit-exclude=sleep.*',
      ],
      {
        from: 'node',
      },
    );
    const s2 = exporterOptions(program2, ALL_COLLECTORS).collectorSettings;
    assert.deepEqual(
      selectUnits(all, s2.systemdUnitInclude, s2.systemdUnitExclude).map((u) => u.name),
      ['broken.service'],
    );
    const bad = createProgram(ALL_COLLECTORS);
    bad.parse(['node', 'x', '--collector.systemd.unit-exclude=(unclosed'], { from: 'node' });
    assert.throws(
      () => exporterOptions(bad, ALL_COLLECTORS),
      /--collector\.systemd\.unit-exclude: not a valid regular expression/,
    );
  });

  it('asks for restarts of loaded services and start times of active units only', () => {
    const u = (name: string, activeState: string, loadState = 'loaded'): SystemdUnit => ({
      name,
      type: name.split('.').pop()!,
      loadState,
      activeState,
      subState: '',
      objectPath: '/x',
    });
    assert.equal(needsRestarts(u('a.service', 'inactive')), true);
    assert.equal(needsRestarts(u('a.service', 'inactive', 'not-found')), false);
    assert.equal(needsRestarts(u('a.socket', 'active')), false);
    assert.deepEqual(
      ['active', 'reloading', 'inactive', 'failed', 'activating'].map((s) =>
        needsStartTime(u('a.service', s)),
      ),
      [true, true, false, false, false],
    );
  });

  it('writes one state series per unit, restarts and start times where read, and the system state', () => {
    const units = selectUnits(all, settings.systemdUnitInclude, settings.systemdUnitExclude);
    const reading: SystemdReading = {
      units,
      restarts: new Map([
        ['crashy.service', 4],
        ['broken.service', 0],
      ]),
      activeSinceUs: new Map([
        ['sleeper.service', 1796643388244379],
        ['hyperion-test.target', 0],
      ]),
      systemState: 'degraded',
    };
    const families = systemdFamilies(reading);
    const state = family(families, 'hyperion_systemd_unit_state')!;
    assert.equal(state.type, 'gauge');
    assert.equal(state.samples.length, units.length);
    assert.ok(state.samples.every((s) => s.value === 1));
    assert.equal(
      value(families, 'hyperion_systemd_unit_state', {
        name: 'broken.service',
        type: 'service',
        state: 'failed',
      }),
      1,
    );
    assert.equal(
      value(families, 'hyperion_systemd_unit_state', {
        name: 'crashy.service',
        type: 'service',
        state: 'activating',
      }),
      1,
    );
    assert.equal(
      value(families, 'hyperion_systemd_unit_state', {
        name: 'broken.service',
        type: 'service',
        state: 'active',
      }),
      undefined,
    );
    const restarts = family(families, 'hyperion_systemd_service_restart_total')!;
    assert.equal(restarts.type, 'counter');
    assert.deepEqual(
      restarts.samples.map((s) => [s.labels.name, s.value]),
      [
        ['crashy.service', 4],
        ['broken.service', 0],
      ].sort((a, b) => units.findIndex((u) => u.name === a[0]) - units.findIndex((u) => u.name === b[0])),
    );
    // Microseconds to seconds; a 0 timestamp (never recorded) is no series.
    assert.equal(
      value(families, 'hyperion_systemd_unit_start_time_seconds', { name: 'sleeper.service' }),
      1796643388.244379,
    );
    assert.equal(family(families, 'hyperion_systemd_unit_start_time_seconds')!.samples.length, 1);
    assert.equal(value(families, 'hyperion_systemd_system_running'), 0);
    assert.equal(
      value(systemdFamilies({ ...reading, systemState: 'running' }), 'hyperion_systemd_system_running'),
      1,
    );
    assert.equal(
      family(systemdFamilies({ ...reading, systemState: undefined }), 'hyperion_systemd_system_running'),
      undefined,
    );
  });

  it('finds the system bus as D-Bus clients do, under --path.rootfs', () => {
    assert.equal(systemBusAddress('/', {}), 'unix:path=/run/dbus/system_bus_socket');
    assert.equal(systemBusAddress('/host', {}), 'unix:path=/host/run/dbus/system_bus_socket');
    assert.equal(systemBusAddress('/', { DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }), 'unix:path=/x');
  });
});

describe('systemd on a /probe host: what systemctl printed', () => {
  const INCLUDE = /^(?:.+)$/;
  const EXCLUDE = /^(?:.+\.(automount|device|mount|scope|slice))$/;
  const noSkips = (): { skip: (line: string, reason: string) => void; skips: string[] } => {
    const skips: string[] = [];
    return { skips, skip: (line, reason) => skips.push(`${reason}: ${line}`) };
  };

  it('reads list-units --output=json of a real systemd into the same units the bus gives', () => {
    // fixtures/README.md: services/systemd/list-units.json, systemd 252 (--type=service there).
    const { skip, skips } = noSkips();
    const units = unitsFromListing(readFixture('services/systemd/list-units.json'), INCLUDE, EXCLUDE, skip);
    assert.deepEqual(skips, []);
    assert.deepEqual(
      units.find((u) => u.name === 'capture-fails.service'),
      {
        name: 'capture-fails.service',
        type: 'service',
        loadState: 'loaded',
        activeState: 'failed',
        subState: 'failed',
        objectPath: '',
      },
    );
    assert.equal(units.find((u) => u.name === 'auditd.service')?.loadState, 'not-found');
    // The patterns apply as on the bus: a slice is left out, a name not a unit is skipped.
    const listed = JSON.stringify([
      { unit: 'a.service', load: 'loaded', active: 'active', sub: 'running', description: '' },
      { unit: 'system.slice', load: 'loaded', active: 'active', sub: 'active', description: '' },
      { unit: 'no-type', load: 'loaded', active: 'active', sub: 'running', description: '' },
    ]);
    const other = noSkips();
    assert.deepEqual(
      unitsFromListing(listed, INCLUDE, EXCLUDE, other.skip).map((u) => u.name),
      ['a.service'],
    );
    assert.deepEqual(other.skips, ['not a unit name: no-type']);
  });

  it('takes restarts of loaded services and start times of active units from show, by Id', () => {
    const units: SystemdUnit[] = [
      {
        name: 'web.service',
        type: 'service',
        loadState: 'loaded',
        activeState: 'active',
        subState: 'running',
        objectPath: '',
      },
      {
        name: 'old.service',
        type: 'service',
        loadState: 'loaded',
        activeState: 'inactive',
        subState: 'dead',
        objectPath: '',
      },
      {
        name: 'early.socket',
        type: 'socket',
        loadState: 'loaded',
        activeState: 'active',
        subState: 'listening',
        objectPath: '',
      },
    ];
    // show prints one block per unit in the order asked, each with the properties it has
    // (a socket has no NRestarts); a unit active since before systemd's clock has 0.
    const shown = [
      'Id=web.service\nNRestarts=3\nActiveEnterTimestampMonotonic=2500000',
      'Id=old.service\nNRestarts=0\nActiveEnterTimestampMonotonic=1000000',
      'Id=early.socket\nActiveEnterTimestampMonotonic=0',
      'Id=someone-else.service\nNRestarts=9\nActiveEnterTimestampMonotonic=7',
      '',
    ].join('\n\n');
    const { skip, skips } = noSkips();
    const reading = readingFromSystemctl(
      units,
      { shown, manager: 'SystemState=degraded\n', bootTime: 1_700_000_000 },
      skip,
    );
    assert.deepEqual(skips, []);
    assert.deepEqual(
      [...reading.restarts],
      [
        ['web.service', 3],
        ['old.service', 0],
      ],
    );
    // btime + the monotonic stamp; an inactive unit's stamp is its last run's, not reported.
    assert.deepEqual(
      [...reading.activeSinceUs],
      [
        ['web.service', 1_700_000_002_500_000],
        ['early.socket', 0],
      ],
    );
    assert.equal(reading.systemState, 'degraded');
    const families = systemdFamilies(reading);
    assert.equal(
      value(families, 'hyperion_systemd_unit_start_time_seconds', { name: 'web.service' }),
      1_700_000_002.5,
    );
    assert.equal(value(families, 'hyperion_systemd_system_running', {}), 0);
  });

  it('without show or boot time (systemctl failed), still gives every state and nothing made up', () => {
    const units = unitsFromListing(
      readFixture('services/systemd/list-units.json'),
      /^(?:.+)$/,
      /^(?:$)/,
      () => {},
    );
    const reading = readingFromSystemctl(
      units,
      { shown: undefined, manager: undefined, bootTime: undefined },
      () => {},
    );
    assert.equal(reading.units.length, units.length);
    assert.equal(reading.restarts.size, 0);
    assert.equal(reading.activeSinceUs.size, 0);
    assert.equal(reading.systemState, undefined);
    assert.equal(family(systemdFamilies(reading), 'hyperion_systemd_system_running'), undefined);
  });
});

describe('systemd collector: where there is no systemd', () => {
  it('exports nothing, without failing, where systemd is not the service manager', async () => {
    const { dir, cleanup } = tempDir();
    try {
      assert.deepEqual((await collect(systemdCollector, { rootfs: dir })).families, []);
    } finally {
      cleanup();
    }
  });

  it('fails, saying where, when systemd runs but its bus cannot be reached', async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(path.join(dir, 'run/systemd/system'), { recursive: true });
      await assert.rejects(collect(systemdCollector, { rootfs: dir }), /run\/dbus\/system_bus_socket|ENOENT/);
    } finally {
      cleanup();
    }
  });
});
