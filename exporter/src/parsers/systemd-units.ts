/**
 * systemd's unit list as its D-Bus API answers it: org.freedesktop.systemd1.Manager.ListUnits
 * returns a(ssssssouso) — per loaded unit its name, description, load state, active state, sub
 * state, followed unit, object path, queued job id, job type and job path. A D-Bus client hands
 * the array over as arrays of ten values; `busctl --json` writes the same shape, which is how the
 * fixtures were captured.
 */
import type { SkipReporter } from './skip.js';

export interface SystemdUnit {
  name: string;
  /** The part after the last dot: service, socket, timer, target, mount… */
  type: string;
  /** loaded, not-found, bad-setting, error, masked. */
  loadState: string;
  /** active, reloading, inactive, failed, activating, deactivating (maintenance, refreshing on newer systemd). */
  activeState: string;
  /** The unit type's own state: running, exited, dead, auto-restart… */
  subState: string;
  /** Where the unit's own properties are (NRestarts, ActiveEnterTimestamp). */
  objectPath: string;
}

/** A unit name as systemd allows it: name.type, with the type one of its unit types' names. */
const UNIT_NAME = /^[^/\s]{1,255}\.([a-z]+)$/;

/** The unit type of a unit name (ssh.service → service); undefined for what is not one. */
export function unitType(name: string): string | undefined {
  return UNIT_NAME.exec(name)?.[1];
}
const OBJECT_PATH = /^\/[A-Za-z0-9_/]*$/;

/** The units of a ListUnits answer; malformed rows are skipped and reported, never thrown. */
export function parseListUnits(rows: unknown, skip: SkipReporter): SystemdUnit[] {
  if (!Array.isArray(rows)) {
    skip(String(rows).slice(0, 80), 'ListUnits answered something other than an array');
    return [];
  }
  const units: SystemdUnit[] = [];
  for (const row of rows) {
    const text = () => JSON.stringify(row).slice(0, 200);
    if (!Array.isArray(row) || row.length < 7 || !row.slice(0, 7).every((f) => typeof f === 'string')) {
      skip(text(), 'not a (ssssssouso) unit entry');
      continue;
    }
    const [name, , loadState, activeState, subState, , objectPath] = row as string[];
    const type = unitType(name!);
    if (type === undefined) {
      skip(text(), 'not a unit name');
      continue;
    }
    if (!OBJECT_PATH.test(objectPath!)) {
      skip(text(), 'not an object path');
      continue;
    }
    units.push({
      name: name!,
      type,
      loadState: loadState!,
      activeState: activeState!,
      subState: subState!,
      objectPath: objectPath!,
    });
  }
  return units;
}
