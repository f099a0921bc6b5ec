/**
 * Shared by the unit tests: where the fixture trees are, and how to run a collector over one
 * through a real LocalHost and look at what it produced.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Collector, CollectorSettings, Labels, MetricFamily } from '../../src/collectors/collector.js';
import { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from '../../src/collectors/filesystem.js';
import { DEFAULT_DISKSTATS_DEVICE_EXCLUDE } from '../../src/cli/flags.js';
import { DEFAULT_VMSTAT_FIELDS } from '../../src/collectors/vmstat.js';
import { DEFAULT_SYSTEMD_UNIT_EXCLUDE, DEFAULT_SYSTEMD_UNIT_INCLUDE } from '../../src/collectors/systemd.js';
import type { HostPaths } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local-host.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

/** The paths of a fixture tree, as a LocalHost wants them. */
export function tree(name: string): HostPaths {
  const root = path.join(FIXTURES, name);
  return { procfs: path.join(root, 'proc'), sysfs: path.join(root, 'sys'), rootfs: root };
}

export function readFixture(relative: string): string {
  return readFileSync(path.join(FIXTURES, relative), 'utf8');
}

/** The settings the exporter uses when no flag changes them. */
export function defaultSettings(): CollectorSettings {
  return {
    filesystemFsTypesExclude: new RegExp(DEFAULT_FS_TYPES_EXCLUDE),
    filesystemMountPointsExclude: new RegExp(DEFAULT_MOUNT_POINTS_EXCLUDE),
    diskstatsDeviceExclude: new RegExp(DEFAULT_DISKSTATS_DEVICE_EXCLUDE),
    statfsTimeoutMs: 5000,
    vmstatFields: new RegExp(DEFAULT_VMSTAT_FIELDS),
    textfileDirectory: '',
    systemdUnitInclude: new RegExp(`^(?:${DEFAULT_SYSTEMD_UNIT_INCLUDE})$`),
    systemdUnitExclude: new RegExp(`^(?:${DEFAULT_SYSTEMD_UNIT_EXCLUDE})$`),
  };
}

/** A regular expression that matches nothing: turns an exclusion off. */
export const NOTHING = /(?!)/;

export const silentLog = pino({ level: 'silent' });

export interface Skip {
  file: string;
  line: string;
  reason: string;
}

export interface CollectResult {
  families: MetricFamily[];
  skips: Skip[];
}

/** Runs one collector over a LocalHost built from `paths`, recording every skipped line. */
export async function collect(
  collector: Collector,
  paths: Partial<HostPaths>,
  settings: CollectorSettings = defaultSettings(),
): Promise<CollectResult> {
  const skips: Skip[] = [];
  const families = await collector.collect({
    host: new LocalHost(paths),
    log: silentLog,
    settings,
    skipped: (file) => (line, reason) => skips.push({ file, line, reason }),
  });
  return { families, skips };
}

export function family(families: MetricFamily[], name: string): MetricFamily | undefined {
  return families.find((f) => f.name === name);
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** The value of the one sample of `name` with exactly these labels, or undefined. */
export function value(families: MetricFamily[], name: string, labels: Labels = {}): number | undefined {
  const matches = family(families, name)?.samples.filter((s) => sameLabels(s.labels, labels)) ?? [];
  if (matches.length > 1) throw new Error(`${name} has ${matches.length} samples with the same labels`);
  return matches[0]?.value;
}

/** The values of one label across the samples of `name`, sorted. */
export function labelValues(families: MetricFamily[], name: string, label: string): string[] {
  return (family(families, name)?.samples ?? []).map((s) => s.labels[label] ?? '').sort();
}

/** A fresh empty directory, removed when `cleanup` runs. */
export function tempDir(prefix = 'hyperion-unit-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
