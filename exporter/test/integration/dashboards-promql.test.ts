/**
 * Issue 8: the dashboards the Grafana plugin ships (grafana-plugin/src/dashboards/*.json) have no
 * broken panels. Every PromQL expression in them — panel targets, template variables, annotations
 * — is substituted the way Grafana would and evaluated by a real Prometheus (Debian's) that
 * scrapes real exporters every second and evaluates the real recording and alert rules of
 * alerting/rules; each must be valid and return data.
 *
 * What this VM lacks is produced for real rather than excused:
 * - a file system that fills up: the main exporter runs in private mount and PID namespaces
 *   (`unshare`) where a 64 MiB tmpfs is mounted, and the test writes into it (through
 *   /proc/<pid>/root) while Prometheus watches, so the forecast rule
 *   hyperion:filesystem_seconds_until_full has a shrinking file system to forecast;
 * - temperatures: a second exporter reads the hwmon and thermal trees of
 *   test/fixtures/constructed/sys (written from the kernel's sysfs ABI documentation; this VM has
 *   no sensors) and the temperature panels are evaluated against that instance;
 * - a firing alert: a test-only rule that always fires, for the "firing alerts" counts;
 * - API traffic and a viewer's refused action, for the exporter dashboard's request, latency and action
 *   panels.
 * - sockets: the sockets collector, off by default, is turned on.
 * Only the /probe and SSH series and the firewall's block counts remain without data
 * (NO_DATA_HERE says why); those expressions are still evaluated, so a syntax or label error in
 * them fails the test too.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient, type ApiFixture } from '../support/api.js';
import { EXPORTER_DIR, startExporter, type RunningExporter } from '../support/exporter.js';
import { scrapeJob, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

const ROOT = path.resolve(EXPORTER_DIR, '..');
const DASHBOARD_DIR = path.join(ROOT, 'grafana-plugin/src/dashboards');
const PLUGIN_JSON = path.join(ROOT, 'grafana-plugin/src/plugin.json');
const RULES_DIR = path.join(ROOT, 'alerting/rules');
const SENSORS_SYSFS = path.join(EXPORTER_DIR, 'test/fixtures/constructed/sys');
const SHIPPED = ['exporter.json', 'fleet.json', 'host-overview.json'];

/**
 * Grafana's own values for the macros the dashboards use. $__rate_interval is what Grafana
 * computes for a Prometheus data source left at its default 15 s scrape interval (4 × 15 s);
 * the test data is younger than a minute, so [1m] covers all of it, as it would a real range.
 * $__range is the dashboards' default time range.
 */
const MACROS: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '6h' };

/** What Grafana itself defines (in links, titles…), beside the dashboards' own variables. */
const GRAFANA_NAMES = new Set([
  ...Object.keys(MACROS),
  '__interval_ms',
  '__range_s',
  '__range_ms',
  '__from',
  '__to',
  '__value',
  '__data',
  '__field',
  '__series',
  '__url_time_range',
]);

interface NoData {
  reason: string;
  /** Evaluated again with $instance = this exporter's instance, where it must return data. */
  elsewhere?: 'sensors';
}

/**
 * The expressions allowed to return nothing from this VM's exporter, keyed
 * `<dashboard uid> / <panel title> / <refId>`. Every entry must name an existing expression
 * (a renamed panel fails the test rather than silently losing its exemption).
 */
const NO_DATA_HERE: Record<string, NoData> = {
  'hyperion-host-overview / Hardware sensors / A': {
    reason: 'this VM has no hwmon chips',
    elsewhere: 'sensors',
  },
  'hyperion-host-overview / Sensors against their critical limit / A': {
    reason: 'this VM has no hwmon chips',
    elsewhere: 'sensors',
  },
  'hyperion-host-overview / Thermal zones / A': {
    reason: 'this VM has no thermal zones',
    elsewhere: 'sensors',
  },
  'hyperion-fleet / Probe results / A': {
    reason: 'hyperion_probe_success exists only for /probe targets (remote hosts over SSH, issue 6)',
  },
  'hyperion-fleet / Probe duration / A': {
    reason: 'hyperion_probe_duration_seconds exists only for /probe targets (issue 6)',
  },
  'hyperion-fleet / SSH connections / A': {
    reason: 'hyperion_ssh_up exists only when the exporter has SSH hosts in its inventory (issue 6)',
  },
  'hyperion-exporter / Firewall blocks / A': {
    reason:
      'hyperion_firewall_blocked has series only for a host where Hyperion has blocked something; ' +
      "blocking here would change the host's own nftables (the firewall tests do it in network namespaces)",
  },
  'hyperion-exporter / SSH connections / A': {
    reason: 'hyperion_ssh_up exists only when the exporter has SSH hosts in its inventory (issue 6)',
  },
};

// ---------------------------------------------------------------------------------------------
// Reading the dashboards (plain JSON: nothing here trusts its shape without checking)

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Dashboard {
  file: string;
  json: Json;
  uid: string;
  title: string;
  /** Every panel, rows and the panels of collapsed rows included. */
  panels: Json[];
  variables: Json[];
}

interface Expression {
  /** `<dashboard uid> / <panel title> / <refId>`, or `/ $<variable>`, or `/ annotation <name>`. */
  key: string;
  dashboard: Dashboard;
  /** As written in the dashboard, Grafana variables and all. */
  expr: string;
  kind: 'instant' | 'range' | 'label-values';
  /** For label_values(metric, label): the label whose values are asked for. */
  label?: string;
}

function loadDashboards(): Dashboard[] {
  return SHIPPED.map((file) => {
    const json: unknown = JSON.parse(readFileSync(path.join(DASHBOARD_DIR, file), 'utf8'));
    assert.ok(isObject(json), `${file}: not a JSON object`);
    const top = objects(json.panels);
    const panels = [...top, ...top.flatMap((p) => objects(p.panels))];
    const templating = isObject(json.templating) ? json.templating : {};
    return {
      file,
      json,
      uid: text(json.uid) ?? '',
      title: text(json.title) ?? '',
      panels,
      variables: objects(templating.list),
    };
  });
}

/** Grafana stores a Prometheus variable's query as a string or, since 10, as an object. */
function variableQuery(v: Json): string | undefined {
  return isObject(v.query) ? text(v.query.query) : text(v.query);
}

function expressionsOf(d: Dashboard): Expression[] {
  const out: Expression[] = [];
  for (const panel of d.panels) {
    if (panel.type === 'row') continue;
    for (const t of objects(panel.targets)) {
      const expr = text(t.expr) ?? '';
      const instant = t.instant === true && t.range !== true;
      out.push({
        key: `${d.uid} / ${text(panel.title)} / ${text(t.refId)}`,
        dashboard: d,
        expr,
        kind: instant ? 'instant' : 'range',
      });
    }
  }
  for (const v of d.variables) {
    if (v.type !== 'query') continue;
    const query = (variableQuery(v) ?? '').trim();
    const key = `${d.uid} / $${text(v.name)}`;
    const labelValues = /^label_values\((.+),\s*([A-Za-z_]\w*)\s*\)$/s.exec(query);
    const queryResult = /^query_result\((.+)\)$/s.exec(query);
    if (labelValues)
      out.push({ key, dashboard: d, expr: labelValues[1]!, kind: 'label-values', label: labelValues[2]! });
    else if (queryResult) out.push({ key, dashboard: d, expr: queryResult[1]!, kind: 'instant' });
    else assert.fail(`${key}: a variable query this test cannot evaluate: ${query}`);
  }
  const annotations = isObject(d.json.annotations) ? objects(d.json.annotations.list) : [];
  for (const a of annotations) {
    const expr = text(a.expr);
    if (expr !== undefined)
      out.push({ key: `${d.uid} / annotation ${text(a.name)}`, dashboard: d, expr, kind: 'range' });
  }
  return out;
}

/** `$name`, `${name}`, `${name:format}`, `${__value.raw}` and the old `[[name]]`. */
const VARIABLE_REF = /\$\{([A-Za-z_]\w*)[^}]*\}|\$([A-Za-z_]\w*)|\[\[([A-Za-z_]\w*)[^\]]*\]\]/g;

function referencedNames(s: string): string[] {
  return [...s.matchAll(VARIABLE_REF)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Replaces Grafana's variables as Grafana would; an unknown one is an error, not an empty string. */
function interpolate(expr: string, values: Record<string, string>): string {
  return expr.replace(VARIABLE_REF, (match, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    const value = values[name] ?? MACROS[name];
    if (value === undefined) throw new Error(`${match} has no value in the test (in ${expr})`);
    return value;
  });
}

/** Every string anywhere in a JSON value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (isObject(v)) return Object.values(v).flatMap(strings);
  return [];
}

// ---------------------------------------------------------------------------------------------
// Asking Prometheus

interface Outcome {
  error?: string;
  /** Samples (or points) with a finite value: NaN draws nothing, so it is not data. */
  finite: number;
  /** For label-values queries: the values returned. */
  values?: string[];
}

type VectorSample = { metric: Record<string, string>; value: [number, string] };
type MatrixSeries = { metric: Record<string, string>; values: [number, string][] };

async function evaluate(prom: RunningPrometheus, q: Expression, expr: string): Promise<Outcome> {
  const now = Date.now() / 1000;
  try {
    if (q.kind === 'label-values') {
      const values = await prom.api<string[]>(`label/${q.label}/values`, {
        'match[]': expr,
        start: String(now - 3600),
        end: String(now),
      });
      return { finite: values.length, values };
    }
    if (q.kind === 'instant') {
      const data = await prom.api<{ resultType: string; result: unknown }>('query', {
        query: expr,
        time: String(now),
      });
      if (data.resultType === 'scalar') {
        const [, v] = data.result as [number, string];
        return { finite: Number.isFinite(Number(v)) ? 1 : 0 };
      }
      const samples = data.result as VectorSample[];
      return { finite: samples.filter((s) => Number.isFinite(Number(s.value[1]))).length };
    }
    // Grafana draws a time series from a range query; a short range at a fine step is enough.
    const data = await prom.api<{ result: MatrixSeries[] }>('query_range', {
      query: expr,
      start: String(now - 60),
      end: String(now),
      step: '5',
    });
    return {
      finite: data.result.flatMap((s) => s.values).filter(([, v]) => Number.isFinite(Number(v))).length,
    };
  } catch (error) {
    return { error: (error as Error).message, finite: 0 };
  }
}

async function instantVector(prom: RunningPrometheus, expr: string): Promise<VectorSample[]> {
  const data = await prom.api<{ resultType: string; result: VectorSample[] }>('query', { query: expr });
  assert.equal(data.resultType, 'vector', expr);
  return data.result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------

describe('the dashboards shipped with the Grafana plugin', { timeout: 180_000 }, () => {
  const dashboards = loadDashboards();
  const expressions = dashboards.flatMap(expressionsOf);
  const byKey = new Map(expressions.map((e) => [e.key, e]));

  describe('structure', () => {
    it('ships host overview, fleet and exporter dashboards with stable, unique uids and titles', () => {
      assert.deepEqual(
        readdirSync(DASHBOARD_DIR)
          .filter((f) => f.endsWith('.json'))
          .sort(),
        SHIPPED,
      );
      const uids = dashboards.map((d) => d.uid);
      assert.deepEqual(uids, ['hyperion-exporter', 'hyperion-fleet', 'hyperion-host-overview']);
      assert.equal(new Set(dashboards.map((d) => d.title)).size, dashboards.length);
      for (const d of dashboards) {
        // Grafana refuses uids over 40 characters or outside this alphabet.
        assert.match(d.uid, /^[A-Za-z0-9_-]{1,40}$/, d.file);
        assert.ok(d.title.startsWith('Hyperion / '), `${d.file}: title ${d.title}`);
        assert.equal(d.json.id, null, `${d.file}: a shipped dashboard has no database id`);
        const schemaVersion = d.json.schemaVersion;
        assert.ok(typeof schemaVersion === 'number' && schemaVersion >= 39, `${d.file}: schemaVersion`);
        assert.ok(Array.isArray(d.json.tags) && d.json.tags.includes('hyperion'), `${d.file}: tag hyperion`);
        // An "export for sharing" file asks for its data source on import (__inputs, ${DS_…});
        // a dashboard an app imports by itself must use the $datasource variable instead.
        assert.equal(d.json.__inputs, undefined, d.file);
        assert.ok(!JSON.stringify(d.json).includes('${DS_'), `${d.file}: refers to an import input`);
      }
    });

    it('lays every panel out on the grid with a unique id, a Prometheus target list, a description and a unit', () => {
      for (const d of dashboards) {
        const ids = d.panels.map((p) => p.id);
        assert.ok(
          ids.every((id) => Number.isInteger(id)),
          `${d.file}: panel ids ${JSON.stringify(ids)}`,
        );
        assert.equal(new Set(ids).size, ids.length, `${d.file}: duplicate panel ids`);
        for (const panel of d.panels) {
          const where = `${d.file} / ${text(panel.title)}`;
          assert.ok(text(panel.title), `${d.file}: a panel without a title (id ${String(panel.id)})`);
          const grid = isObject(panel.gridPos) ? panel.gridPos : {};
          const [x, y, w, h] = [grid.x, grid.y, grid.w, grid.h].map(Number);
          assert.ok(
            x! >= 0 && y! >= 0 && w! >= 1 && h! >= 1 && x! + w! <= 24,
            `${where}: gridPos ${JSON.stringify(grid)}`,
          );
          if (panel.type === 'row') continue;
          assert.ok(text(panel.description), `${where}: no description`);
          assert.deepEqual(
            panel.datasource,
            { type: 'prometheus', uid: '${datasource}' },
            `${where}: datasource`,
          );
          const targets = objects(panel.targets);
          assert.ok(targets.length > 0, `${where}: no targets`);
          const refIds = targets.map((t) => text(t.refId));
          assert.equal(new Set(refIds).size, refIds.length, `${where}: duplicate refIds ${refIds.join(',')}`);
          for (const t of targets) {
            assert.deepEqual(t.datasource, panel.datasource, `${where} / ${text(t.refId)}: datasource`);
            assert.ok((text(t.expr) ?? '').trim() !== '', `${where} / ${text(t.refId)}: no expression`);
          }
          if (['timeseries', 'stat', 'gauge', 'bargauge'].includes(String(panel.type))) {
            const config = isObject(panel.fieldConfig) ? panel.fieldConfig : {};
            const defaults = isObject(config.defaults) ? config.defaults : {};
            assert.ok(text(defaults.unit), `${where}: no unit`);
          }
        }
      }
    });

    it('defines $datasource as a Prometheus picker and a host variable every query variable reads through it', () => {
      for (const d of dashboards) {
        const names = d.variables.map((v) => text(v.name));
        assert.equal(new Set(names).size, names.length, `${d.file}: duplicate variable names`);
        const ds = d.variables.find((v) => v.name === 'datasource');
        assert.ok(ds, `${d.file}: no $datasource`);
        assert.equal(ds.type, 'datasource');
        assert.equal(ds.query, 'prometheus');
        const instance = d.variables.find((v) => v.name === 'instance');
        assert.ok(instance, `${d.file}: no $instance`);
        assert.match(variableQuery(instance) ?? '', /^label_values\(/, `${d.file}: $instance`);
        for (const v of d.variables.filter((x) => x.type === 'query')) {
          assert.deepEqual(
            v.datasource,
            { type: 'prometheus', uid: '${datasource}' },
            `${d.file}: $${text(v.name)}`,
          );
        }
      }
    });

    it('uses only variables it defines and names Grafana itself provides', () => {
      for (const d of dashboards) {
        const defined = new Set(d.variables.map((v) => text(v.name)));
        const unknown = strings(d.json)
          .flatMap(referencedNames)
          .filter((name) => !defined.has(name) && !GRAFANA_NAMES.has(name));
        assert.deepEqual([...new Set(unknown)], [], `${d.file}: undefined variables`);
      }
    });

    it('links only to dashboards it ships', () => {
      const uids = new Set(dashboards.map((d) => d.uid));
      for (const d of dashboards) {
        const targets = strings(d.json).flatMap((s) =>
          [...s.matchAll(/\/d\/([A-Za-z0-9_-]+)/g)].map((m) => m[1]!),
        );
        for (const uid of targets)
          assert.ok(uids.has(uid), `${d.file} links to /d/${uid}, which is not shipped`);
      }
      const fleet = dashboards.find((d) => d.uid === 'hyperion-fleet')!;
      assert.ok(
        JSON.stringify(fleet.json).includes('/d/hyperion-host-overview/'),
        'the fleet table links to hosts',
      );
    });

    it('is included by plugin.json, each with its uid so the app can link it in its navigation', () => {
      const plugin: unknown = JSON.parse(readFileSync(PLUGIN_JSON, 'utf8'));
      assert.ok(isObject(plugin));
      const included = objects(plugin.includes).filter((i) => i.type === 'dashboard');
      for (const d of dashboards) {
        const entry = included.find((i) => i.path === `dashboards/${d.file}`);
        assert.ok(entry, `plugin.json does not include dashboards/${d.file}`);
        assert.equal(entry.uid, d.uid, `plugin.json: uid of dashboards/${d.file}`);
      }
    });

    it('lists only existing expressions as allowed to have no data here', () => {
      assert.ok(expressions.length >= 60, `only ${expressions.length} expressions found`);
      for (const key of Object.keys(NO_DATA_HERE))
        assert.ok(byKey.has(key), `NO_DATA_HERE names ${key}, which does not exist`);
    });
  });

  describe('against a real Prometheus scraping real exporters', () => {
    let api: ApiFixture;
    let sensors: RunningExporter;
    let prometheus: RunningPrometheus;
    let scratch: string;
    let mountDir: string;
    /** The exporter's PID as the host sees it: init of the namespaces, child of `unshare`. */
    let nsInit = 0;
    let main = '';
    let sensorsInstance = '';
    let stopBackground = false;
    const background: Promise<void>[] = [];
    /** What went wrong in the background loops; asserted empty by the tests that rely on them. */
    const backgroundErrors: string[] = [];
    const killNamespace = () => {
      if (nsInit > 0) {
        try {
          process.kill(nsInit, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };

    before(async () => {
      scratch = mkdtempSync(path.join(os.tmpdir(), 'hyperion-dashboards-'));
      // Mounted over inside the exporter's private mount namespace only; on the host it stays an
      // empty directory.
      mountDir = path.join(scratch, 'filling');
      mkdirSync(mountDir);
      const rules = path.join(scratch, 'always-firing.rules.yml');
      writeFileSync(
        rules,
        [
          'groups:',
          '  - name: dashboards-test',
          '    rules:',
          '      - alert: DashboardsTestAlwaysFiring',
          '        expr: up{job="hyperion"} == 1',
          '        labels: { severity: info }',
          '',
        ].join('\n'),
      );
      const ruleFiles = [
        ...readdirSync(RULES_DIR)
          .filter((f) => f.endsWith('.rules.yml'))
          .map((f) => path.join(RULES_DIR, f)),
        rules,
      ];
      assert.ok(ruleFiles.some((f) => f.endsWith('hyperion-recording.rules.yml')));

      const escaped = mountDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      [api, sensors] = await Promise.all([
        startApi({
          // PID namespace too, so that /proc/1/mounts — where the filesystem collector reads the
          // host's mounts — is the private mount namespace's. `exec` keeps the exporter as the
          // namespace's init, which receives SIGTERM because it handles it.
          wrapper: [
            'unshare',
            '--mount',
            '--pid',
            '--fork',
            '--mount-proc',
            '--propagation',
            'private',
            '--kill-child',
            'sh',
            '-c',
            'mount -t tmpfs -o size=64m,mode=0700 hyperion-filling "$0" && exec "$@"',
            mountDir,
          ],
          // The root file system and the filling one only: the test decides which is fuller.
          args: [
            `--collector.filesystem.mount-points-exclude=^(?!/$|${escaped}$)`,
            // Off by default (cost); the host overview's socket panel says to turn it on.
            '--collector.sockets',
          ],
          timeoutMs: 60_000,
        }),
        startExporter({
          args: [
            `--path.sysfs=${SENSORS_SYSFS}`,
            '--collector.disable-defaults',
            '--collector.hwmon',
            '--collector.thermal',
            '--collector.system',
          ],
          timeoutMs: 60_000,
        }),
      ]);
      const unsharePid = api.exporter.child.pid!;
      nsInit = Number(
        readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/)[0],
      );
      assert.ok(nsInit > 0, 'the exporter inside the namespaces');
      process.once('exit', killNamespace);
      main = new URL(api.exporter.url).host;
      sensorsInstance = new URL(sensors.url).host;

      // Fuller than the root file system from the start (so the fleet's "fullest file system" is
      // the one with a forecast), with room to keep filling for the whole test.
      const root = statfsSync('/');
      const rootUsed = 1 - root.bavail / root.blocks;
      const size = 64 * 1024 * 1024;
      const base = Math.ceil(Math.min(0.93, Math.max(0.8, rootUsed + 0.03)) * 16) / 16;
      const file = `/proc/${nsInit}/root${mountDir}/fill`;
      for (let written = 0; written < base * size; written += 1 << 20)
        appendFileSync(file, Buffer.alloc(1 << 20));
      background.push(
        (async () => {
          // 256 KiB/s: a few tens of seconds of room; the loop stops short of ENOSPC.
          const room = Math.floor(((1 - base) * size) / (128 * 1024)) - 4;
          for (let i = 0; i < Math.min(room, 240) && !stopBackground; i++) {
            appendFileSync(file, Buffer.alloc(128 * 1024));
            await sleep(500);
          }
        })().catch((error: unknown) => void backgroundErrors.push(`filling: ${String(error)}`)),
      );
      // Control API traffic (200s and 401s) for the request, latency and status panels, and one
      // refused action for the action panels: a viewer's (a request without a token is refused
      // before it is an action at all, and only counted as unauthenticated).
      const refused = await api.viewer.call('post', '/hosts/local/processes/1/signal', {
        body: { signal: 'TERM' },
      });
      assert.equal(refused.status, 403);
      const traffic = async (client: ApiClient, expected: number) => {
        for (let i = 0; i < 240 && !stopBackground; i++) {
          const res = await client.call('get', '/auth/whoami');
          if (res.status !== expected)
            backgroundErrors.push(`whoami answered ${res.status}, not ${expected}`);
          await sleep(500);
        }
      };
      background.push(
        ...[traffic(api.viewer, 200), traffic(api.anonymous, 401)].map((p) =>
          p.catch((error: unknown) => void backgroundErrors.push(`traffic: ${String(error)}`)),
        ),
      );

      prometheus = await startPrometheus({
        scrapeConfigs: [
          scrapeJob('hyperion', api.exporter.url, { scrapeInterval: '1s' }),
          scrapeJob('hyperion-sensors', sensors.url, { scrapeInterval: '1s' }),
        ],
        ruleFiles,
        scrapeInterval: '1s',
        evaluationInterval: '1s',
      });
      // Prometheus hands new targets to its scrapers about 5 s after start; then the rules need
      // two samples to compute rates and forecasts.
      await prometheus.waitFor('count(up == 1)', (r) => r[0]?.value === 2, 30_000);
      await prometheus.waitFor(
        `hyperion:filesystem_seconds_until_full{mountpoint="${mountDir}"}`,
        (r) => r.length === 1,
        30_000,
      );
    });

    after(async () => {
      stopBackground = true;
      await Promise.allSettled(background);
      await prometheus?.stop();
      if (nsInit > 0 && api) {
        // SIGTERM to `unshare` would be blocked; the exporter, init of its namespace, handles it.
        const exited = new Promise((r) => api.exporter.child.once('exit', r));
        try {
          process.kill(nsInit, 'SIGTERM');
        } catch {
          // already gone
        }
        await Promise.race([exited, sleep(10_000)]);
        // Only while `unshare` still waits for it may the PID still be the exporter's.
        if (api.exporter.child.exitCode === null && api.exporter.child.signalCode === null) killNamespace();
        process.removeListener('exit', killNamespace);
      }
      await api?.stop();
      await sensors?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it('evaluates every expression without error, and each returns data (or is listed with its reason)', async (t) => {
      const values: Record<string, Record<string, string>> = {};
      for (const d of dashboards) {
        const own: Record<string, string> = {};
        for (const v of d.variables) {
          if (v.type !== 'query') continue;
          // A multi-value variable left at "All" stands for its allValue (the default view).
          own[String(v.name)] = v.includeAll === true && typeof v.allValue === 'string' ? v.allValue : main;
        }
        values[d.uid] = own;
      }
      const substituted = (q: Expression, instance?: string) =>
        interpolate(
          q.expr,
          instance === undefined ? values[q.dashboard.uid]! : { ...values[q.dashboard.uid], instance },
        );

      const started = Date.now();
      const pending = new Set(expressions);
      const errors: string[] = [];
      const outcome = new Map<Expression, Outcome>();
      // Rates and rule results appear over a few scrapes: ask again until all have data or the
      // deadline passes. An error (bad syntax, bad function) is final at once.
      for (let round = 0; pending.size > 0 && round < 40; round++) {
        await Promise.all(
          [...pending].map(async (q) => {
            const result = await evaluate(prometheus, q, substituted(q));
            outcome.set(q, result);
            if (result.error !== undefined) {
              errors.push(`${q.key}: ${result.error}\n    ${substituted(q)}`);
              pending.delete(q);
            } else if (result.finite > 0 || NO_DATA_HERE[q.key]) pending.delete(q);
          }),
        );
        if (pending.size === 0 || Date.now() - started > 20_000) break;
        await sleep(1000);
      }
      // One assertion, so that a run reports every broken panel at once.
      const empty = [...pending].map((q) => `${q.key}\n    ${substituted(q)}`);
      assert.deepEqual(
        { invalid: errors.sort(), withoutData: empty.sort() },
        { invalid: [], withoutData: [] },
        'broken panels (an expression without data here can be listed in NO_DATA_HERE, with the reason)',
      );

      // The variables offer the instances the panels are evaluated with.
      for (const q of expressions.filter((e) => e.kind === 'label-values')) {
        const offered = outcome.get(q)!.values ?? [];
        assert.ok(offered.includes(main), `${q.key} offers ${JSON.stringify(offered)}, not ${main}`);
      }

      // The temperature panels return data from an exporter that has sensors.
      for (const [key, why] of Object.entries(NO_DATA_HERE)) {
        const q = byKey.get(key)!;
        if (why.elsewhere !== 'sensors') continue;
        const result = await evaluate(prometheus, q, substituted(q, sensorsInstance));
        assert.equal(result.error, undefined, key);
        assert.ok(result.finite > 0, `${key}: no data from the sensors fixture either`);
      }
      const withData = expressions.filter((q) => outcome.get(q)!.finite > 0).length;
      const listed = Object.entries(NO_DATA_HERE).map(
        ([key, why]) => `${key}: ${outcome.get(byKey.get(key)!)!.finite > 0 ? 'has data now' : why.reason}`,
      );
      t.diagnostic(
        `${expressions.length} expressions in ${dashboards.length} dashboards: all valid, ` +
          `${withData} returned data here within ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          `listed:\n  ${listed.join('\n  ')}`,
      );
    });

    /** The expression behind a panel target, substituted for the main exporter. */
    const expr = (key: string, instance?: string): string => {
      const q = byKey.get(key);
      assert.ok(q, `no expression ${key}`);
      const own: Record<string, string> = {};
      for (const v of q.dashboard.variables) {
        if (v.type === 'query')
          own[String(v.name)] = v.includeAll === true ? String(v.allValue) : (instance ?? main);
      }
      return interpolate(q.expr, own);
    };

    it('host overview: CPU modes are shares of the CPUs, and the filling file system has a forecast', async () => {
      const modes = await instantVector(prometheus, expr('hyperion-host-overview / CPU usage by mode / A'));
      const byMode = new Map(modes.map((s) => [s.metric.mode, Number(s.value[1])]));
      assert.ok(
        byMode.has('user') && byMode.has('system') && !byMode.has('idle'),
        JSON.stringify([...byMode]),
      );
      const busy = [...byMode.values()].reduce((a, b) => a + b, 0);
      assert.ok(busy >= 0 && busy <= 1.05, `busy share ${busy}`);

      // Written at 256 KiB/s into a 64 MiB tmpfs at most 7% free: full within minutes, not hours.
      assert.deepEqual(backgroundErrors, []);
      const soonest = await instantVector(prometheus, expr('hyperion-host-overview / Soonest full / A'));
      assert.equal(soonest.length, 1);
      const seconds = Number(soonest[0]!.value[1]);
      assert.ok(seconds >= 0 && seconds < 1800, `full in ${seconds} s`);
    });

    it('fleet: the host is up, its fullest file system is the filling one with a forecast, its alert is counted', async () => {
      const column = async (refId: string) => {
        const samples = await instantVector(prometheus, expr(`hyperion-fleet / Hosts / ${refId}`));
        return samples.filter((s) => s.metric.instance === main);
      };
      const [up, fullest, forecast, alerts] = await Promise.all(['A', 'E', 'F', 'G'].map(column));
      assert.deepEqual(
        up!.map((s) => s.value[1]),
        ['1'],
      );
      assert.deepEqual(
        fullest!.map((s) => s.metric.mountpoint),
        [mountDir],
      );
      assert.equal(forecast!.length, 1);
      assert.ok(Number(forecast![0]!.value[1]) < 1800, JSON.stringify(forecast));
      assert.equal(alerts!.length, 1);
      assert.ok(Number(alerts![0]!.value[1]) >= 1, `firing alerts ${JSON.stringify(alerts)}`);
      // The sensors exporter has no alert of its own: the table says 0, not nothing.
      const all = await instantVector(prometheus, expr('hyperion-fleet / Hosts / G'));
      const quiet = all.find((s) => s.metric.instance === sensorsInstance);
      assert.equal(quiet?.value[1], '0', JSON.stringify(all));
    });

    it('exporter: requests by status, latency quantiles and the refused action come from the traffic sent', async () => {
      assert.deepEqual(backgroundErrors, []);
      const status = await instantVector(prometheus, expr('hyperion-exporter / Responses by status / A'));
      const codes = status.map((s) => s.metric.code).sort();
      assert.ok(codes.includes('200') && codes.includes('401'), JSON.stringify(codes));

      const p99 = await instantVector(prometheus, expr('hyperion-exporter / Latency / C'));
      assert.equal(p99.length, 1);
      const latency = Number(p99[0]!.value[1]);
      assert.ok(latency > 0 && latency <= 30, `p99 ${latency} s`);

      const actions = await instantVector(prometheus, expr('hyperion-exporter / Actions by result / A'));
      assert.ok(
        actions.some((s) => s.metric.result === 'refused' && /signal/.test(s.metric.action ?? '')),
        JSON.stringify(actions.map((s) => s.metric)),
      );
      const failing = await instantVector(prometheus, expr('hyperion-exporter / Failing collectors / A'));
      assert.deepEqual(
        failing.map((s) => s.value[1]),
        ['0'],
      );
    });
  });
});
