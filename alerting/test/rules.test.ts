/**
 * The Prometheus rule files: promtool accepts them and their unit tests pass; every alert is
 * tested firing and not firing; every alert carries the annotations the notifications need, with
 * a runbook link to a section that exists; nothing in them is specific to Prometheus 2.x or 3.x;
 * and the unit tests are strong enough to catch a rule that lost its `for` or one of its guards.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { runbookAnchor } from '../generator/alerts.js';
import { ALERT_RULES_FILE, RECORDING_RULES_FILE } from '../generator/emit.js';
import { loadThresholds } from '../generator/thresholds.js';
import { promtool } from '../../exporter/test/support/promtool.js';
import { ALERTING_DIR } from './support/alertmanager-config.js';

const RULES_DIR = path.join(ALERTING_DIR, 'rules');
const TESTS_DIR = path.join(RULES_DIR, 'tests');
const TEST_FILES = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith('.test.yml'))
  .map((f) => path.join(TESTS_DIR, f));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[]; [other: string]: unknown }[];
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string> }[];
}
interface TestFile {
  tests: { alert_rule_test?: AlertTest[] }[];
}

const readYaml = <T>(file: string): T => parse(readFileSync(file, 'utf8')) as T;
const alertFile = readYaml<RuleFile>(path.join(ALERTING_DIR, ALERT_RULES_FILE));
const recordingFile = readYaml<RuleFile>(path.join(ALERTING_DIR, RECORDING_RULES_FILE));
const alertRules = alertFile.groups.flatMap((g) => g.rules);
const allRules = [...alertRules, ...recordingFile.groups.flatMap((g) => g.rules)];
const alertTests = TEST_FILES.flatMap((f) =>
  readYaml<TestFile>(f).tests.flatMap((t) => t.alert_rule_test ?? []),
);

describe('promtool', () => {
  it('check rules accepts both rule files', async () => {
    const files = [ALERT_RULES_FILE, RECORDING_RULES_FILE].map((f) => path.join(ALERTING_DIR, f));
    const result = await promtool(['check', 'rules', ...files]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${alertRules.length} rules found`));
    assert.match(result.stdout, new RegExp(`SUCCESS: ${allRules.length - alertRules.length} rules found`));
  });

  it('test rules passes every unit test file', async () => {
    assert.ok(TEST_FILES.length >= 4, `only ${TEST_FILES.length} test files found in ${TESTS_DIR}`);
    const result = await promtool(['test', 'rules', ...TEST_FILES], undefined, 120_000);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout.match(/SUCCESS/g)?.length, TEST_FILES.length, result.stdout);
  });
});

describe('unit test coverage', () => {
  it('shows every alert firing at each of its severities', () => {
    const fired = new Set(
      alertTests.flatMap((t) => (t.exp_alerts ?? []).map((a) => `${t.alertname}/${a.exp_labels?.severity}`)),
    );
    const missing = alertRules.map((r) => `${r.alert}/${r.labels?.severity}`).filter((k) => !fired.has(k));
    assert.deepEqual(missing, [], 'alert/severity pairs no promtool test shows firing');
  });

  it('has a case where each alert must not fire', () => {
    const quiet = new Set(
      alertTests.filter((t) => (t.exp_alerts ?? []).length === 0).map((t) => t.alertname),
    );
    const missing = [...new Set(alertRules.map((r) => r.alert!))].filter((a) => !quiet.has(a));
    assert.deepEqual(missing, [], 'alerts without a "does not fire" case');
  });

  // A mutant is a rule with its `for`, one of its `and …` guards, a `> 0` filter or an `or`
  // fallback taken away. A unit test suite that still passes against a mutant does not test
  // what that part of the rule is for.
  const mutants: { name: string; alert: string; index: number; rule: Rule }[] = [];
  alertRules.forEach((rule, index) => {
    const name = (what: string) => `${rule.alert} (${rule.labels?.severity}) without ${what}`;
    const add = (what: string, mutated: Rule) =>
      mutants.push({ name: name(what), alert: rule.alert!, index, rule: mutated });
    if (rule.for !== undefined) {
      const { for: _dropped, ...rest } = rule;
      add(`for: ${rule.for}`, rest);
    }
    const lines = rule.expr.split('\n');
    lines.forEach((line, i) => {
      if (line.startsWith('and '))
        add(`"${line}"`, { ...rule, expr: lines.filter((_, j) => j !== i).join('\n') });
    });
    for (const match of rule.expr.matchAll(/\((\w+) > 0\)/g))
      add(`the "${match[0]}" filter`, { ...rule, expr: rule.expr.replace(match[0], match[1]!) });
    for (const match of rule.expr.matchAll(/\((\w+) or [^()]+\)/g))
      add(`the "or" fallback`, { ...rule, expr: rule.expr.replace(match[0], match[1]!) });
  });

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'hyperion-mutants-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  async function survives(mutant: (typeof mutants)[number], n: number): Promise<boolean> {
    const dir = path.join(scratch, String(n));
    mkdirSync(path.join(dir, 'tests'), { recursive: true });
    let i = 0;
    const groups = alertFile.groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => (i++ === mutant.index ? mutant.rule : r)),
    }));
    writeFileSync(path.join(dir, path.basename(ALERT_RULES_FILE)), stringify({ groups }));
    copyFileSync(
      path.join(ALERTING_DIR, RECORDING_RULES_FILE),
      path.join(dir, path.basename(RECORDING_RULES_FILE)),
    );
    // Only the test files about this alert: they are the ones that must notice.
    const files = TEST_FILES.filter((f) => readFileSync(f, 'utf8').includes(`alertname: ${mutant.alert}`));
    for (const f of files) copyFileSync(f, path.join(dir, 'tests', path.basename(f)));
    const result = await promtool([
      'test',
      'rules',
      ...files.map((f) => path.join(dir, 'tests', path.basename(f))),
    ]);
    return result.code === 0;
  }

  it('kills every mutant: each for, guard and fallback is there for a tested reason', async () => {
    assert.ok(mutants.length >= 30, `only ${mutants.length} mutants`);
    const survivors: string[] = [];
    // Two at a time: the machine has two cores, shared with the rest of the suite.
    for (let i = 0; i < mutants.length; i += 2) {
      const batch = mutants.slice(i, i + 2);
      const results = await Promise.all(batch.map((m, j) => survives(m, i + j)));
      batch.forEach((m, j) => results[j] && survivors.push(m.name));
    }
    assert.deepEqual(survivors, [], 'mutants the promtool tests did not catch');
  });
});

describe('alert annotations', () => {
  const thresholds = loadThresholds(path.join(ALERTING_DIR, 'thresholds.yml'));
  const runbook = readFileSync(path.join(ALERTING_DIR, 'RUNBOOK.md'), 'utf8');
  const sections = [...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!);

  it('every alert has a severity, a summary, a description, a runbook and a Grafana link', () => {
    for (const rule of alertRules) {
      assert.ok(
        ['critical', 'warning', 'info'].includes(rule.labels?.severity ?? ''),
        `${rule.alert}: severity`,
      );
      const a = rule.annotations ?? {};
      assert.deepEqual(
        Object.keys(a).sort(),
        ['dashboard_url', 'description', 'runbook_url', 'summary'],
        rule.alert,
      );
      assert.ok(a.summary!.length > 10 && a.description!.length > a.summary!.length, `${rule.alert}: texts`);
      assert.equal(a.runbook_url, `${thresholds.links.runbook}#${runbookAnchor(rule.alert!)}`);
      // Alerts about a systemd unit open it on the Services page; the others open their host.
      if (rule.alert!.startsWith('HyperionSystemd')) {
        assert.ok(
          a.dashboard_url!.startsWith(thresholds.links.grafana_service.split('{service}')[0]!),
          rule.alert,
        );
        assert.match(a.dashboard_url!, /\{\{ \$labels\.name \| urlquery \}\}$/, rule.alert);
      } else {
        assert.ok(a.dashboard_url!.startsWith(thresholds.links.grafana_host.split('{host}')[0]!), rule.alert);
        assert.match(a.dashboard_url!, /\{\{ \$labels\.(instance|host) \| urlquery \}\}/, rule.alert);
      }
    }
  });

  it('descriptions of measured conditions show the value, humanised', () => {
    // Alerts about a state (down, mismatch, failing) have no meaningful value to print.
    const stateAlerts = new Set([
      'HyperionExporterDown',
      'HyperionHostUnreachable',
      'HyperionSshHostKeyMismatch',
      'HyperionCollectorFailing',
      'HyperionTextfileError',
      'HyperionSystemdUnitFailed',
      'HyperionConfigReloadFailed',
    ]);
    for (const rule of alertRules.filter((r) => !stateAlerts.has(r.alert!)))
      assert.match(
        rule.annotations!.description!,
        /\{\{ \$value \| (humanizePercentage|humanizeDuration|humanizeTimestamp|printf "%\.\df") \}\}/,
        `${rule.alert} does not print its value`,
      );
  });

  it('the runbook has one section per alert, and no section for an alert that does not exist', () => {
    const alerts = [...new Set(alertRules.map((r) => r.alert!))];
    assert.deepEqual([...sections].sort(), [...alerts].sort());
    // The anchor GitHub and most Markdown renderers make of "## Name" is the name in lower case.
    for (const name of sections) assert.equal(runbookAnchor(name), name.toLowerCase());
  });
});

describe('portable between Prometheus 2.42 and 3.x', () => {
  // Functions both have. Absent on purpose: holt_winters (renamed in 3.0), and everything 3.x added
  // (info, double_exponential_smoothing, sort_by_label, limitk, limit_ratio, ts_of_*…).
  const FUNCTIONS = new Set(
    (
      'abs absent absent_over_time avg_over_time ceil changes clamp clamp_max clamp_min count_over_time ' +
      'day_of_month day_of_week days_in_month delta deriv exp floor histogram_quantile hour idelta increase ' +
      'irate label_join label_replace last_over_time ln log10 log2 max_over_time min_over_time minute month ' +
      'predict_linear present_over_time quantile_over_time rate resets round scalar sgn sort sort_desc sqrt ' +
      'stddev_over_time stdvar_over_time sum_over_time time timestamp vector year ' +
      'sum avg min max count group stddev stdvar topk bottomk quantile count_values'
    ).split(' '),
  );
  const KEYWORDS = new Set([
    'by',
    'without',
    'on',
    'ignoring',
    'group_left',
    'group_right',
    'and',
    'or',
    'unless',
    'bool',
  ]);
  // Template functions both have (3.x changed none of these; it added toTime, toDuration…).
  const TEMPLATE_FUNCTIONS = new Set(
    'humanize humanize1024 humanizeDuration humanizePercentage humanizeTimestamp printf query first value label urlquery with end if else range'.split(
      ' ',
    ),
  );

  it('uses only PromQL functions both versions have', () => {
    for (const rule of allRules) {
      const called = [...rule.expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/g)].map((m) => m[1]!);
      for (const fn of called.filter((f) => !KEYWORDS.has(f)))
        assert.ok(FUNCTIONS.has(fn), `${rule.alert ?? rule.record}: ${fn}() is not in both 2.42 and 3.x`);
    }
  });

  it('uses only template functions both versions have', () => {
    for (const rule of alertRules)
      for (const text of Object.values(rule.annotations ?? {}))
        for (const action of text.matchAll(/\{\{(.*?)\}\}/g))
          for (const word of action[1]!.matchAll(/(?:^|\|)\s*([a-zA-Z]+)/g))
            assert.ok(TEMPLATE_FUNCTIONS.has(word[1]!), `${rule.alert}: template function ${word[1]}`);
  });

  it('uses only rule and group fields both versions have', () => {
    // 3.x added group `labels` and `query_offset`; `keep_firing_for` is too new for 2.42's peers.
    // No group sets `interval`, so the global evaluation_interval (a test's short one) applies.
    for (const group of [...alertFile.groups, ...recordingFile.groups]) {
      assert.deepEqual(Object.keys(group).sort(), ['name', 'rules'], group.name);
      for (const rule of group.rules)
        for (const key of Object.keys(rule))
          assert.ok(
            ['alert', 'record', 'expr', 'for', 'labels', 'annotations'].includes(key),
            `${group.name}: ${key}`,
          );
    }
  });
});
