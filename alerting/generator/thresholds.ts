/**
 * thresholds.yml: the one file an operator edits to tune Hyperion's alerts. This module knows its
 * shape (one schema below, from which the TypeScript types are derived, so the checker and the
 * generator cannot disagree) and refuses a file with a typo instead of silently generating rules
 * that never fire.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isDuration } from './duration.js';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** ratio: a fraction in [0, 1]; number: any finite number >= 0; duration: "5m", "1h". */
type FieldKind = 'ratio' | 'number' | 'duration';
type FieldSpec = Readonly<Record<string, FieldKind>>;
interface EntrySpec {
  /** Fields every severity level has besides `for`. */
  level: FieldSpec;
  /** Fields of the entry itself, shared by its levels (e.g. a forecast's look-back window). */
  shared?: FieldSpec;
}

export const SCHEMA = {
  cpu_busy: { level: { above: 'ratio' } },
  load_per_core: { level: { above: 'number' } },
  memory_available: { level: { below: 'ratio' } },
  swap_used: { level: { above: 'ratio' } },
  filesystem_space_used: { level: { above: 'ratio' } },
  filesystem_inodes_used: { level: { above: 'ratio' } },
  disk_io_busy: { level: { above: 'ratio' } },
  network_errors: { level: { above: 'ratio' } },
  temperature_max: { level: {} },
  temperature_crit: { level: {} },
  exporter_down: { level: {} },
  host_unreachable: { level: {} },
  ssh_host_key_mismatch: { level: {} },
  collector_failing: { level: {} },
  config_reload_failed: { level: {} },
  job_failed: { level: {} },
  job_missed_schedule: { level: { late_by: 'duration' } },
  clock_skew: { level: { offset_above: 'number' } },
  clock_not_synchronising: { level: { maxerror_at_least: 'number' } },
  file_descriptors_used: { level: { above: 'ratio' } },
  conntrack_used: { level: { above: 'ratio' } },
  major_page_faults: { level: { above: 'number' } },
  oom_kills: { level: { above: 'number' }, shared: { window: 'duration' } },
  raid_degraded: { level: {} },
  raid_disk_failed: { level: {} },
  bonding_degraded: { level: {} },
  textfile_error: { level: {} },
  systemd_unit_failed: { level: {} },
  systemd_service_crash_looping: { level: { above: 'number' }, shared: { window: 'duration' } },
  second_factor_lockouts: { level: { above: 'number' }, shared: { window: 'duration' } },
  filesystem_space_forecast: {
    level: { full_within: 'duration', used_above: 'ratio' },
    shared: { window: 'duration' },
  },
  filesystem_inodes_forecast: {
    level: { full_within: 'duration', used_above: 'ratio' },
    shared: { window: 'duration' },
  },
  memory_forecast: {
    level: { exhausted_within: 'duration', available_below: 'ratio' },
    shared: { window: 'duration' },
  },
} as const satisfies Record<string, EntrySpec>;

type Schema = typeof SCHEMA;
export type EntryName = keyof Schema;
type Value<K extends FieldKind> = K extends 'duration' ? string : number;
type Fields<S extends FieldSpec> = { readonly [F in keyof S]: S[F] extends FieldKind ? Value<S[F]> : never };
export type Level<E extends EntryName> = Fields<Schema[E]['level']> & { readonly for: string };
type Shared<E extends EntryName> = Schema[E] extends { shared: infer S extends FieldSpec }
  ? Fields<S>
  : unknown;
export type Entry<E extends EntryName> = { readonly [S in Severity]?: Level<E> } & Shared<E>;

export interface Links {
  /** Base URL of RUNBOOK.md; each alert appends "#" and its section's anchor. */
  readonly runbook: string;
  /** A Grafana page for one host; "{host}" is replaced by the host, URL-encoded. */
  readonly grafana_host: string;
  /** The app's Services page for one unit; "{service}" is replaced by the unit's name, URL-encoded. */
  readonly grafana_service: string;
}

export type Thresholds = {
  readonly links: Links;
  /** Regular expression on Prometheus' `job` label selecting the jobs that scrape Hyperion. */
  readonly exporter_jobs: string;
} & { readonly [E in EntryName]: Entry<E> };

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkField(where: string, kind: FieldKind, value: unknown): string | undefined {
  switch (kind) {
    case 'duration':
      return typeof value === 'string' && isDuration(value)
        ? undefined
        : `${where} must be a Prometheus duration such as 5m or 1h, not ${JSON.stringify(value)}`;
    case 'ratio':
      return typeof value === 'number' && value >= 0 && value <= 1
        ? undefined
        : `${where} must be a fraction between 0 and 1 (0.9 = 90 %), not ${JSON.stringify(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0
        ? undefined
        : `${where} must be a number >= 0, not ${JSON.stringify(value)}`;
  }
}

function checkFields(where: string, spec: FieldSpec, value: Plain, allowed: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [name, kind] of Object.entries(spec)) {
    if (!(name in value)) problems.push(`${where}.${name} is missing`);
    else {
      const problem = checkField(`${where}.${name}`, kind, value[name]);
      if (problem) problems.push(problem);
    }
  }
  for (const name of Object.keys(value))
    if (!allowed.has(name)) problems.push(`${where}.${name} is not a known setting`);
  return problems;
}

/** Every problem in the document, each naming where it is; empty when the document is valid. */
export function thresholdProblems(doc: unknown): string[] {
  if (!isPlain(doc)) return ['the file must be a YAML mapping'];
  const problems: string[] = [];
  const links = doc.links;
  if (!isPlain(links)) problems.push('links is missing');
  else {
    for (const key of ['runbook', 'grafana_host', 'grafana_service'] as const)
      if (typeof links[key] !== 'string' || !/^https?:\/\//.test(links[key]))
        problems.push(`links.${key} must be an http(s) URL`);
    if (typeof links.grafana_host === 'string' && !links.grafana_host.includes('{host}'))
      problems.push('links.grafana_host must contain {host}');
    if (typeof links.grafana_service === 'string' && !links.grafana_service.includes('{service}'))
      problems.push('links.grafana_service must contain {service}');
    for (const key of Object.keys(links))
      if (!['runbook', 'grafana_host', 'grafana_service'].includes(key))
        problems.push(`links.${key} is not a known setting`);
  }
  if (typeof doc.exporter_jobs !== 'string' || doc.exporter_jobs === '')
    problems.push('exporter_jobs must be a regular expression on the job label');
  const known = new Set<string>(['links', 'exporter_jobs', ...Object.keys(SCHEMA)]);
  for (const key of Object.keys(doc)) if (!known.has(key)) problems.push(`${key} is not a known setting`);

  for (const [name, spec] of Object.entries(SCHEMA) as [string, EntrySpec][]) {
    const entry = doc[name];
    if (!isPlain(entry)) {
      problems.push(`${name} is missing`);
      continue;
    }
    const shared = spec.shared ?? {};
    const allowedHere = new Set<string>([...SEVERITIES, ...Object.keys(shared)]);
    problems.push(...checkFields(name, shared, entry, allowedHere));
    const levels = SEVERITIES.filter((s) => s in entry);
    if (levels.length === 0) problems.push(`${name} needs at least one of ${SEVERITIES.join(', ')}`);
    for (const severity of levels) {
      const level = entry[severity];
      if (!isPlain(level)) {
        problems.push(`${name}.${severity} must be a mapping`);
        continue;
      }
      const fields = { ...spec.level, for: 'duration' } as const;
      problems.push(...checkFields(`${name}.${severity}`, fields, level, new Set(Object.keys(fields))));
    }
  }
  return problems;
}

export function parseThresholds(text: string): Thresholds {
  const doc: unknown = parse(text);
  const problems = thresholdProblems(doc);
  if (problems.length > 0) throw new Error(`thresholds.yml is invalid:\n- ${problems.join('\n- ')}`);
  // thresholdProblems checked every field the type promises, so the cast only names what we know.
  return doc as Thresholds;
}

export function loadThresholds(file: string): Thresholds {
  return parseThresholds(readFileSync(file, 'utf8'));
}
