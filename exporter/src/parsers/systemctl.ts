/**
 * systemctl's machine-readable outputs: `show` (KEY=VALUE lines, one block per unit, blocks
 * separated by an empty line), and `list-units` / `list-unit-files`, either as JSON
 * (`--output=json`, systemd 246+) or as the plain table older versions print even when asked
 * for JSON — so the caller always asks for JSON and hands whatever came back to these.
 */
import { fields, ignoreSkipped, type SkipReporter } from './skip.js';

/** One unit's properties from `systemctl show`, in the order systemctl printed them. */
export type UnitProperties = Map<string, string>;

export function parseSystemctlShow(text: string, skipped: SkipReporter = ignoreSkipped): UnitProperties[] {
  const units: UnitProperties[] = [];
  let current: UnitProperties | undefined;
  for (const line of text.split('\n')) {
    if (line === '') {
      current = undefined;
      continue;
    }
    const eq = line.indexOf('=');
    // The value may itself contain '=' (ExecStart=… argv[]=…, Environment=A=B): split at the first.
    if (eq <= 0 || !/^[A-Za-z][A-Za-z0-9]*$/.test(line.slice(0, eq))) {
      skipped(line, 'not a KEY=VALUE line');
      continue;
    }
    if (!current) {
      current = new Map();
      units.push(current);
    }
    current.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return units;
}

/**
 * A numeric property, or null when systemd does not know it: "[not set]" (systemctl ≥ 245),
 * "" and UINT64_MAX (older versions print the D-Bus "infinity" marker as a number).
 */
export function showNumber(value: string | undefined): number | null {
  if (value === undefined || value === '' || value === '[not set]' || value === '18446744073709551615')
    return null;
  if (!/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** A free-text property with systemd's "nothing" forms made null. */
export function showText(value: string | undefined): string | null {
  return value === undefined || value === '' || value === '[not set]' || value === 'n/a' ? null : value;
}

export interface ListedUnit {
  unit: string;
  load: string;
  active: string;
  sub: string;
  description: string;
}

export interface ListedUnitFile {
  unitFile: string;
  state: string;
  preset: string | null;
}

function jsonArray(text: string): unknown[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(trimmed);
  return Array.isArray(parsed) ? parsed : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `systemctl list-units --all --plain --no-legend [--output=json]`. */
export function parseListUnits(text: string, skipped: SkipReporter = ignoreSkipped): ListedUnit[] {
  const out: ListedUnit[] = [];
  const json = jsonArray(text);
  if (json) {
    for (const item of json) {
      const r = (item ?? {}) as Record<string, unknown>;
      const unit = str(r.unit);
      const load = str(r.load);
      const active = str(r.active);
      const sub = str(r.sub);
      if (unit === undefined || load === undefined || active === undefined || sub === undefined) {
        skipped(JSON.stringify(item), 'a list-units entry without unit/load/active/sub');
        continue;
      }
      out.push({ unit, load, active, sub, description: str(r.description) ?? '' });
    }
    return out;
  }
  for (const raw of text.split('\n')) {
    // Without --plain the first column may be a "●" marking units that are not found/failed.
    const line = raw.replace(/^\s*[●*]\s*/u, '');
    if (line.trim() === '') continue;
    // UNIT LOAD ACTIVE SUB DESCRIPTION: unit names are escaped (no spaces), the description is
    // the rest of the line and may contain anything.
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line.trim());
    if (!m) {
      skipped(raw, 'fewer than four columns');
      continue;
    }
    out.push({ unit: m[1]!, load: m[2]!, active: m[3]!, sub: m[4]!, description: (m[5] ?? '').trim() });
  }
  return out;
}

/** `systemctl list-unit-files --plain --no-legend [--output=json]`. */
export function parseListUnitFiles(text: string, skipped: SkipReporter = ignoreSkipped): ListedUnitFile[] {
  const out: ListedUnitFile[] = [];
  const json = jsonArray(text);
  if (json) {
    for (const item of json) {
      const r = (item ?? {}) as Record<string, unknown>;
      const unitFile = str(r.unit_file);
      const state = str(r.state);
      if (unitFile === undefined || state === undefined) {
        skipped(JSON.stringify(item), 'a list-unit-files entry without unit_file/state');
        continue;
      }
      out.push({ unitFile, state, preset: str(r.preset) ?? null });
    }
    return out;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // UNIT FILE  STATE  [PRESET] — the preset column exists since systemd 245; "-" means none.
    const cols = fields(line);
    if (cols.length < 2) {
      skipped(line, 'fewer than two columns');
      continue;
    }
    const preset = cols[2];
    out.push({
      unitFile: cols[0]!,
      state: cols[1]!,
      preset: preset === undefined || preset === '-' ? null : preset,
    });
  }
  return out;
}
