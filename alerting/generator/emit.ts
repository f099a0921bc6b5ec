/**
 * Turns the generated rules into the files that are committed: the two rule files (formatted by
 * the repository's Prettier configuration, so `prettier --check` and the up-to-date test agree)
 * and the alert table inside README.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { Document } from 'yaml';
import { generateAlerts, runbookAnchor, type GeneratedAlert } from './alerts.js';
import { generateRecordingRules } from './recording.js';
import { loadThresholds, type Thresholds } from './thresholds.js';

export const ALERT_RULES_FILE = 'rules/hyperion-alerts.rules.yml';
export const RECORDING_RULES_FILE = 'rules/hyperion-recording.rules.yml';
export const README_FILE = 'README.md';
export const TABLE_BEGIN = '<!-- BEGIN GENERATED ALERT TABLE (npm run generate --workspace alerting) -->';
export const TABLE_END = '<!-- END GENERATED ALERT TABLE -->';

const HEADER = [
  ' GENERATED from thresholds.yml by `npm run generate --workspace alerting`: edit thresholds.yml',
  ' (or generator/ for the expressions), never this file; a test fails when the two disagree.',
].join('\n');

async function yamlFile(file: string, value: unknown): Promise<string> {
  const doc = new Document(value);
  doc.commentBefore = HEADER;
  // lineWidth 0: never fold long PromQL or annotation lines; multi-line strings become `|` blocks.
  const text = doc.toString({ lineWidth: 0, blockQuote: 'literal' });
  const options = (await resolveConfig(file)) ?? {};
  return format(text, { ...options, filepath: file });
}

function groupAlerts(alerts: GeneratedAlert[]): { name: string; rules: GeneratedAlert['rule'][] }[] {
  const groups = new Map<string, GeneratedAlert['rule'][]>();
  for (const { group, rule } of alerts) groups.set(group, [...(groups.get(group) ?? []), rule]);
  // No `interval:` on any group: the global evaluation_interval applies, so a test can shorten it
  // on its own Prometheus' configuration without touching these files.
  return [...groups].map(([name, rules]) => ({ name, rules }));
}

function alertTable(alerts: GeneratedAlert[], runbook: string): string {
  const rows = alerts.map(({ rule, condition }) => {
    const name = `[${rule.alert}](RUNBOOK.md#${runbookAnchor(rule.alert)})`;
    return `| ${name} | ${rule.labels.severity} | ${condition.replaceAll('|', '\\|')} | ${rule.for ?? 'at once'} |`;
  });
  return [
    TABLE_BEGIN,
    '',
    '| Alert | Severity | Fires when | For |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Runbook links in the annotations point at \`${runbook}\`.`,
    '',
    TABLE_END,
  ].join('\n');
}

/** Replaces the generated table in README.md, keeping the hand-written text around it. */
export function spliceReadme(readme: string, table: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${TABLE_BEGIN} … ${TABLE_END} block`);
  return readme.slice(0, begin) + table + readme.slice(end + TABLE_END.length);
}

/** The two rule files for `thresholds`, by path relative to the alerting directory. */
export async function renderRules(thresholds: Thresholds, alertingDir: string): Promise<Map<string, string>> {
  const alerts = generateAlerts(thresholds);
  const recording = generateRecordingRules(thresholds);
  const files = new Map<string, string>();
  files.set(
    ALERT_RULES_FILE,
    await yamlFile(path.join(alertingDir, ALERT_RULES_FILE), { groups: groupAlerts(alerts) }),
  );
  files.set(
    RECORDING_RULES_FILE,
    await yamlFile(path.join(alertingDir, RECORDING_RULES_FILE), {
      groups: [
        { name: 'hyperion.recording', rules: recording.map(({ record, expr }) => ({ record, expr })) },
      ],
    }),
  );
  return files;
}

/** Every generated file's expected content, by path relative to the alerting directory. */
export async function renderAll(alertingDir: string): Promise<Map<string, string>> {
  const thresholds = loadThresholds(path.join(alertingDir, 'thresholds.yml'));
  const files = await renderRules(thresholds, alertingDir);
  const readme = readFileSync(path.join(alertingDir, README_FILE), 'utf8');
  files.set(
    README_FILE,
    spliceReadme(readme, alertTable(generateAlerts(thresholds), thresholds.links.runbook)),
  );
  return files;
}
