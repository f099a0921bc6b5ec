/**
 * The rule files and the README's alert table are generated from thresholds.yml: they must be
 * exactly what the generator makes of the committed thresholds (nobody edited them by hand and
 * nobody forgot to regenerate), and the generator must really follow the thresholds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { generateAlerts } from '../generator/alerts.js';
import { renderAll } from '../generator/emit.js';
import { parseThresholds, thresholdProblems, type Thresholds } from '../generator/thresholds.js';
import { ALERTING_DIR } from './support/alertmanager-config.js';

const thresholdsText = readFileSync(path.join(ALERTING_DIR, 'thresholds.yml'), 'utf8');

function withChange(change: (doc: Record<string, Record<string, unknown>>) => void): Thresholds {
  const doc = parse(thresholdsText) as Record<string, Record<string, unknown>>;
  change(doc);
  return parseThresholds(stringify(doc));
}

describe('generated files', () => {
  it('are exactly what the generator makes of thresholds.yml', async () => {
    for (const [relative, expected] of await renderAll(ALERTING_DIR)) {
      const actual = readFileSync(path.join(ALERTING_DIR, relative), 'utf8');
      assert.equal(actual, expected, `${relative} is out of date: run npm run generate --workspace alerting`);
    }
  });

  it('follow a changed threshold into the expression, the text and the for clause', () => {
    const tuned = withChange((doc) => {
      doc.filesystem_space_used!.critical = { above: 0.9, for: '3m' };
    });
    const critical = generateAlerts(tuned).find(
      (a) => a.rule.alert === 'HyperionFilesystemAlmostFull' && a.rule.labels.severity === 'critical',
    );
    assert.ok(critical);
    assert.match(critical.rule.expr, /hyperion_filesystem_size_bytes > 0\.9\n/);
    assert.match(critical.rule.annotations.description, /\(critical threshold 90%\)/);
    assert.equal(critical.rule.for, '3m');
    assert.match(critical.condition, /> 90%/);
  });

  it('drop the rule of a severity level the operator removed, and add one they moved', () => {
    const tuned = withChange((doc) => {
      doc.cpu_busy = { warning: { above: 0.95, for: '30m' } };
    });
    const cpu = generateAlerts(tuned).filter((a) => a.rule.alert === 'HyperionCpuBusy');
    assert.deepEqual(
      cpu.map((a) => [a.rule.labels.severity, a.rule.for]),
      [['warning', '30m']],
    );
  });

  it('leave the for clause out when it is zero, as Prometheus expects for "at once"', () => {
    const ssh = generateAlerts(parseThresholds(thresholdsText)).find(
      (a) => a.rule.alert === 'HyperionSshHostKeyMismatch',
    );
    assert.ok(ssh);
    assert.equal('for' in ssh.rule, false);
  });
});

describe('thresholds.yml validation', () => {
  it('accepts the shipped file', () => {
    assert.deepEqual(thresholdProblems(parse(thresholdsText)), []);
  });

  it('names every mistake instead of generating rules that never fire', () => {
    const doc = parse(thresholdsText) as Record<string, Record<string, Record<string, unknown>>>;
    doc.filesystem_space_used!.critical!.above = 95; // a percentage where a fraction belongs
    doc.memory_available!.warning!.for = '5 minutes';
    doc.swap_used!.warning!.abvoe = 0.8; // a typo
    delete doc.disk_io_busy;
    doc.load_per_core = {};
    (doc as Record<string, unknown>).cpu_buzy = { info: { above: 0.9, for: '15m' } };
    assert.deepEqual(thresholdProblems(doc).sort(), [
      'cpu_buzy is not a known setting',
      'disk_io_busy is missing',
      'filesystem_space_used.critical.above must be a fraction between 0 and 1 (0.9 = 90 %), not 95',
      'load_per_core needs at least one of critical, warning, info',
      'memory_available.warning.for must be a Prometheus duration such as 5m or 1h, not "5 minutes"',
      'swap_used.warning.abvoe is not a known setting',
    ]);
    assert.throws(() => parseThresholds(stringify(doc)), /thresholds\.yml is invalid:\n- /);
  });

  it('requires the links the annotations are built from', () => {
    const doc = parse(thresholdsText) as Record<string, Record<string, unknown>>;
    doc.links = {
      runbook: 'RUNBOOK.md',
      grafana_host: 'http://grafana:3000/a/hyperion-app',
      grafana_service: 'http://grafana:3000/a/hyperion-app/services',
      grafana_unit: 'http://grafana:3000/',
    };
    assert.deepEqual(thresholdProblems(doc), [
      'links.runbook must be an http(s) URL',
      'links.grafana_host must contain {host}',
      'links.grafana_service must contain {service}',
      'links.grafana_unit is not a known setting',
    ]);
  });
});
