/**
 * Which units an operator may act on. Admins may act on any unit (protected ones included);
 * operators only on units matching `services.operatorUnits`, and never on the units below,
 * whatever the configuration says: systemd's own machinery and the units that power the host
 * off, drop it to a root shell, load kernel modules or hand out logins. The same rule decides
 * whether an operator may signal or renice a process, by the unit its cgroup places it in.
 */
import { bareName, sameService } from './names.js';

export const NEVER_FOR_OPERATORS: readonly string[] = [
  // systemd itself, the bus, the per-user managers
  'systemd-*',
  'init.scope',
  '-.slice',
  'dbus.*',
  'dbus-*',
  'user@*',
  'user-runtime-dir@*',
  // power and boot targets' services
  'poweroff.*',
  'reboot.*',
  'halt.*',
  'kexec.*',
  'suspend.*',
  'hibernate.*',
  'hybrid-sleep.*',
  'suspend-then-hibernate.*',
  'sleep.*',
  'ctrl-alt-del.*',
  'exit.*',
  // root shells
  'rescue.*',
  'emergency.*',
  'debug-shell.*',
  // kernel modules
  'modprobe@*',
  'kmod*',
  // logins
  'getty@*',
  'serial-getty@*',
  'autovt@*',
  'console-getty.*',
  'container-getty@*',
];

/** The embedded default of services.operatorUnits: every ordinary service. */
export const DEFAULT_OPERATOR_UNITS: readonly string[] = ['*.service'];

/** A shell-style glob: "*" any run of characters, "?" one; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** A unit's full name: SysV scripts and bare names are services ("cron" → "cron.service"). */
export function unitName(name: string): string {
  return UNIT_SUFFIX.test(name) ? name : `${name}.service`;
}

const UNIT_SUFFIX = /\.(?:service|socket|target|mount|automount|swap|timer|path|slice|scope|device)$/;

export interface UnitPolicy {
  /** Units whose actions need admin (services.protected). */
  protectedUnits: readonly string[];
  /** Globs of the units operators may act on (services.operatorUnits). */
  operatorUnits: readonly string[];
}

function matchesAny(unit: string, globs: readonly string[]): boolean {
  const full = unitName(unit);
  return globs.some((g) => globToRegExp(g).test(full) || globToRegExp(g).test(bareName(full)));
}

/** Why acting on this unit's service on `host` needs admin, or null when an operator may. */
export function serviceNeedsAdmin(unit: string, policy: UnitPolicy, host: string): string | null {
  if (policy.protectedUnits.some((p) => sameService(p, unit))) {
    return `${unit} is a protected service on host ${host} (services.protected in the configuration)`;
  }
  if (matchesAny(unit, NEVER_FOR_OPERATORS)) {
    return `${unit} on host ${host} is part of the system's own machinery (power, rescue shells, logins, modules, systemd itself), which only admins act on`;
  }
  if (!matchesAny(unit, policy.operatorUnits)) {
    return `${unit} on host ${host} is not among the units operators may act on (services.operatorUnits)`;
  }
  return null;
}

/**
 * Why signalling or renicing a process of this unit needs admin, or null. Processes outside
 * services (session scopes, user units) are an operator's to manage; a protected service's
 * and the system's own are not.
 */
export function processNeedsAdmin(unit: string | null, policy: UnitPolicy): string | null {
  if (unit === null) return null;
  if (policy.protectedUnits.some((p) => sameService(p, unit))) {
    return `the process belongs to ${unit}, a protected service (services.protected)`;
  }
  if (matchesAny(unit, NEVER_FOR_OPERATORS)) {
    return `the process belongs to ${unit}, part of the system's own machinery`;
  }
  return null;
}
