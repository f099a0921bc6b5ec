/**
 * The systemd collector against a real systemd (PID 1 of a namespace) on a real D-Bus system
 * bus, with the exporter running inside the namespace as an unprivileged user (nobody), as the
 * exporter is meant to run: a unit that fails shows `failed`, a crash-looping service's restart
 * count grows from scrape to scrape, a running one is `active` with its start time, each unit has
 * exactly one state series, the patterns leave units out, and promtool accepts the exposition.
 * node_exporter's systemd collector, pointed at the same bus, reports the same current state for
 * every unit both report, and the same restart counts (within the restarts between the two reads).
 */
import assert from 'node:assert/strict';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, select, valueOf, type ParsedSample } from '../support/exposition.js';
import { startDaemonOnFreePort, type DaemonOnPort } from '../support/daemon.js';
import { NODE_EXPORTER_BIN } from '../support/node-exporter.js';
import { checkMetrics } from '../support/promtool.js';
import { BUS_UNITS, startSystemBus } from '../support/system-bus.js';
import { startSystemdNamespace, type SystemdNamespace } from '../support/systemd-namespace.js';

const NOBODY = 65534;
/** Units of this test; unique names, so what is asserted cannot be a unit of someone else. */
const TAG = `hyp${process.pid}`;
const FAILS = `${TAG}-fails.service`;
const CRASHES = `${TAG}-crashes.service`;
const RUNS = `${TAG}-runs.service`;
const HIDDEN = `${TAG}-hidden.service`;
/**
 * Enough units that a scrape makes well over 128 property calls, the system bus's limit of
 * pending replies per connection: every one of them must still be answered.
 */
const FILLERS = Array.from({ length: 120 }, (_, i) => `${TAG}-fill${i}.service`);

const unit = (description: string, service: string[], unitExtra: string[] = []) =>
  [
    '[Unit]',
    `Description=${description}`,
    'DefaultDependencies=no',
    ...unitExtra,
    '[Service]',
    ...service,
    '',
  ].join('\n');

let ns: SystemdNamespace;
let exporter: RunningExporter;
let nodeExporter: DaemonOnPort;
let nodeExporterUrl: string;
let storage: string;

async function scrape(url: string): Promise<{ text: string; samples: ParsedSample[] }> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(20_000) });
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, samples: parseExposition(text).samples };
}

/** Every Hyperion state series of a unit (there must be exactly one). */
function states(samples: ParsedSample[], name: string): ParsedSample[] {
  return select(samples, 'hyperion_systemd_unit_state', { name });
}

before(async () => {
  ns = await startSystemdNamespace();
  await ns.installUnits({
    ...BUS_UNITS,
    [FAILS]: unit('fails at once', ['Type=oneshot', 'ExecStart=/bin/false']),
    // No start limit: systemd would otherwise give up after five restarts in ten seconds.
    [CRASHES]: unit(
      'exits at once, restarted',
      ['ExecStart=/bin/false', 'Restart=always', 'RestartSec=300ms'],
      ['StartLimitIntervalSec=0'],
    ),
    [RUNS]: unit('runs', ['ExecStart=/bin/sleep 3600']),
    [HIDDEN]: unit('runs, excluded by the pattern', ['ExecStart=/bin/sleep 3600']),
    ...Object.fromEntries(
      FILLERS.map((name) => [
        name,
        unit('done', ['Type=oneshot', 'RemainAfterExit=yes', 'ExecStart=/bin/true']),
      ]),
    ),
  });
  await startSystemBus(ns);
  for (const name of [FAILS, CRASHES, RUNS, HIDDEN]) await ns.run(['systemctl', 'start', name]);
  const filled = await ns.run(['systemctl', 'start', ...FILLERS], 60_000);
  assert.equal(filled.code, 0, filled.stderr);

  storage = mkdtempSync(path.join(os.tmpdir(), `hyperion-systemd-${process.pid}-`));
  chownSync(storage, NOBODY, NOBODY);
  const exclude = `.+\\.(automount|device|mount|scope|slice)|${TAG}-hidden\\.service`;
  exporter = await startExporter({
    storagePath: storage,
    wrapper: [...ns.wrapper, 'setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'],
    args: [
      '--collector.disable-defaults',
      '--collector.systemd',
      `--collector.systemd.unit-exclude=${exclude}`,
    ],
    env: { HOME: storage },
  });
  // node_exporter on the same bus, reached through the namespace's root (/proc/PID/root).
  nodeExporter = await startDaemonOnFreePort((port) => ({
    name: 'node_exporter',
    binary: NODE_EXPORTER_BIN,
    args: [
      `--web.listen-address=127.0.0.1:${port}`,
      '--collector.disable-defaults',
      '--collector.systemd',
      '--collector.systemd.enable-restarts-metrics',
      `--collector.systemd.unit-exclude=${exclude}`,
    ],
    readyUrl: `http://127.0.0.1:${port}/metrics`,
    env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=/proc/${ns.pid}/root/run/dbus/system_bus_socket` },
  }));
  nodeExporterUrl = `http://127.0.0.1:${nodeExporter.port}`;
});

after(async () => {
  await nodeExporter?.stop();
  await exporter?.stop();
  await ns?.stop();
  if (storage) rmSync(storage, { recursive: true, force: true });
});

describe('the systemd collector on a real systemd, as an unprivileged user', () => {
  it('runs as nobody', async () => {
    const { samples } = await scrape(exporter.url);
    assert.equal(valueOf(samples, 'hyperion_scrape_collector_success', { collector: 'systemd' }), 1);
    const status = await ns.run(['ps', '-o', 'uid=', '-p', String(await exporterPid())]);
    assert.equal(status.stdout.trim(), String(NOBODY));
  });

  it('a unit that fails shows failed, a running one active with its start time, one series per unit', async () => {
    const { text, samples } = await scrape(exporter.url);
    assert.deepEqual(
      states(samples, FAILS).map((s) => s.labels),
      [{ name: FAILS, type: 'service', state: 'failed' }],
    );
    assert.deepEqual(
      states(samples, RUNS).map((s) => s.labels),
      [{ name: RUNS, type: 'service', state: 'active' }],
    );
    const started = valueOf(samples, 'hyperion_systemd_unit_start_time_seconds', { name: RUNS });
    assert.ok(Math.abs(started - Date.now() / 1000) < 300, `start time ${started}`);
    const names = select(samples, 'hyperion_systemd_unit_state').map((s) => s.labels.name!);
    assert.equal(new Set(names).size, names.length, 'one state series per unit');
    assert.ok(names.length > 10, `only ${names.length} units`);
    assert.ok(select(samples, 'hyperion_systemd_unit_state').every((s) => s.value === 1));
    // Every selected service has its restart count and every active unit its start time, though
    // a scrape asks for far more than the bus lets one connection have pending.
    for (const name of FILLERS) {
      assert.equal(valueOf(samples, 'hyperion_systemd_service_restart_total', { name }), 0, name);
      assert.ok(valueOf(samples, 'hyperion_systemd_unit_start_time_seconds', { name }) > 0, name);
    }
    // The patterns: the excluded service and the default exclusions are absent; targets stay.
    assert.deepEqual(states(samples, HIDDEN), []);
    assert.ok(
      names.every((n) => !/\.(mount|slice|scope|device|automount)$/.test(n)),
      names.join(' '),
    );
    assert.ok(names.some((n) => n.endsWith('.target')));
    // A failed unit makes the system degraded.
    assert.equal(valueOf(samples, 'hyperion_systemd_system_running'), 0);
    const check = await checkMetrics(text);
    assert.ok(check.ok, check.problems);
  });

  it("a crash-looping service's restart count grows from scrape to scrape", async () => {
    const first = valueOf((await scrape(exporter.url)).samples, 'hyperion_systemd_service_restart_total', {
      name: CRASHES,
    });
    const deadline = Date.now() + 15_000;
    let later = first;
    while (later <= first) {
      assert.ok(Date.now() < deadline, `the restart count stayed at ${first}`);
      await delay(400);
      later = valueOf((await scrape(exporter.url)).samples, 'hyperion_systemd_service_restart_total', {
        name: CRASHES,
      });
    }
    const shown = await ns.run(['systemctl', 'show', '-p', 'NRestarts', '--value', CRASHES]);
    assert.ok(Number(shown.stdout) >= later, `systemctl says ${shown.stdout.trim()}, the exporter ${later}`);
    assert.equal(
      valueOf((await scrape(exporter.url)).samples, 'hyperion_systemd_service_restart_total', { name: RUNS }),
      0,
    );
  });

  it("agrees with node_exporter's systemd collector on every unit both report", async () => {
    const [ours, theirs] = await Promise.all([scrape(exporter.url), scrape(nodeExporterUrl)]);
    const current = new Map(
      select(theirs.samples, 'node_systemd_unit_state')
        .filter((s) => s.value === 1)
        .map((s) => [s.labels.name!, s.labels.state!]),
    );
    const mine = new Map(
      select(ours.samples, 'hyperion_systemd_unit_state').map((s) => [s.labels.name!, s.labels.state!]),
    );
    let compared = 0;
    for (const [name, state] of mine) {
      // Units that change state between the two reads (the crash-looping one) cannot be compared.
      if (name === CRASHES || !current.has(name)) continue;
      assert.equal(state, current.get(name), name);
      compared += 1;
    }
    assert.ok(compared >= 10 && current.get(FAILS) === 'failed', `compared ${compared} units`);
    // node_exporter writes five series per unit, one per state; Hyperion one.
    assert.equal(select(theirs.samples, 'node_systemd_unit_state', { name: RUNS }).length, 5);
    const restarts = (samples: ParsedSample[], family: string) =>
      new Map(select(samples, family).map((s) => [s.labels.name!, s.value]));
    const theirRestarts = restarts(theirs.samples, 'node_systemd_service_restart_total');
    for (const [name, n] of restarts(ours.samples, 'hyperion_systemd_service_restart_total')) {
      if (name === CRASHES || !theirRestarts.has(name)) continue;
      assert.equal(n, theirRestarts.get(name), name);
    }
  });
});

/** The exporter's pid inside the namespace: the node process listening on its port. */
async function exporterPid(): Promise<number> {
  const out = await ns.run(['pgrep', '-f', '--', `node .*--storage.path=${storage}`]);
  const pids = out.stdout.trim().split('\n').filter(Boolean).map(Number);
  assert.ok(pids.length >= 1, out.stderr);
  return pids[pids.length - 1]!;
}
