/**
 * /proc/<pid>/cgroup, per cgroups(7): one "hierarchy-ID:controller-list:cgroup-path" line per
 * hierarchy. On cgroup v2 that is the single line "0::/path"; hybrid and v1 hosts list one line
 * per controller, systemd's own tree being "N:name=systemd:/path".
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export interface CgroupEntry {
  hierarchy: number;
  /** Empty for the unified (v2) hierarchy. */
  controllers: string[];
  path: string;
}

export function parsePidCgroup(text: string, skipped: SkipReporter = ignoreSkipped): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    // The path itself may contain ':', so only the first two separate fields.
    if (first < 0 || second < 0 || !/^\d+$/.test(line.slice(0, first))) {
      skipped(line, 'not a cgroup line');
      continue;
    }
    const list = line.slice(first + 1, second);
    out.push({
      hierarchy: Number(line.slice(0, first)),
      controllers: list === '' ? [] : list.split(','),
      path: line.slice(second + 1),
    });
  }
  return out;
}

/**
 * The path systemd manages: the unified hierarchy's when there is one, else the name=systemd
 * hierarchy of a v1 host, else the first line (a v1 host without systemd).
 */
export function primaryCgroupPath(entries: readonly CgroupEntry[]): string | null {
  const unified = entries.find((e) => e.hierarchy === 0 && e.controllers.length === 0);
  const systemd = entries.find((e) => e.controllers.includes('name=systemd'));
  return (unified ?? systemd ?? entries[0])?.path ?? null;
}

export interface CgroupUnits {
  /** The system unit the process runs in ("ssh.service", "session-3.scope"), or null. */
  unit: string | null;
  /** Inside a user manager (user@1000.service), the user unit below it ("pipewire.service"). */
  userUnit: string | null;
}

const UNIT = /^[^/]+\.(service|socket|device|mount|automount|swap|target|path|timer|scope)$/;

/** systemd prefixes a cgroup name with '_' when it would clash with a kernel name; undo that. */
function unescape(component: string): string {
  return component.startsWith('_') ? component.slice(1) : component;
}

/** Skips leading slices and returns the first component after them when it names a unit. */
function unitAfterSlices(
  components: readonly string[],
  from: number,
): { unit: string; index: number } | null {
  let i = from;
  while (i < components.length && unescape(components[i]!).endsWith('.slice')) i += 1;
  const name = components[i] === undefined ? '' : unescape(components[i]!);
  return UNIT.test(name) ? { unit: name, index: i } : null;
}

/**
 * The systemd unit a cgroup path belongs to, following systemd's own rule (cg_path_get_unit):
 * skip the leading "*.slice" components; the next one, if it is a unit name, is the unit.
 * "/system.slice/ssh.service" → ssh.service; "/user.slice/user-1000.slice/user@1000.service/
 * app.slice/foo.service" → user@1000.service with user unit foo.service.
 */
export function unitsFromCgroupPath(path: string): CgroupUnits {
  const components = path.split('/').filter((c) => c !== '');
  const system = unitAfterSlices(components, 0);
  if (!system) return { unit: null, userUnit: null };
  const user = /^user@\d+\.service$/.test(system.unit) ? unitAfterSlices(components, system.index + 1) : null;
  return { unit: system.unit, userUnit: user?.unit ?? null };
}
