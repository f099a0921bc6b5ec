/**
 * Crontab files as cron (Vixie/cronie, Debian's cron) reads them:
 * - system tables (/etc/crontab, /etc/cron.d/*): `m h dom mon dow USER command`;
 * - user tables (/var/spool/cron/crontabs/USER): `m h dom mon dow command`;
 * - `@reboot`, `@daily`… in place of the five time fields;
 * - `NAME=value` lines set the environment of the entries below them;
 * - blank lines and lines starting with # are ignored.
 * A line cron would reject is reported as a problem, not thrown: one bad line in
 * /etc/cron.d must not hide the rest of what the host schedules.
 */
export interface CronEntry {
  /** 1-based line number in the file. */
  line: number;
  /** The five time fields as written (single-spaced), or the @nickname. */
  schedule: string;
  /** The user the command runs as: from the line in system tables, the file's owner for user tables. */
  user: string | null;
  /** The command exactly as written (cron gives it to /bin/sh; an unescaped % starts its stdin). */
  command: string;
}

export interface CrontabProblem {
  line: number;
  text: string;
  message: string;
}

export interface Crontab {
  /** Variables set in the file, in order; later ones win. */
  env: Record<string, string>;
  entries: CronEntry[];
  problems: CrontabProblem[];
}

export interface CrontabOptions {
  /** System tables have a user field after the time fields. */
  system: boolean;
}

const NICKNAMES = new Set([
  '@reboot',
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Three-letter names cron accepts, the first standing for `min`. */
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  // 0 and 7 are both Sunday.
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const ELEMENT = /^(?:\*|([0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?)(?:\/(\d+))?$/;

function fieldValue(text: string, spec: FieldSpec): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= spec.min && n <= spec.max ? n : null;
  }
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  return index < 0 ? null : spec.min + index;
}

/** Why cron would refuse one time field; null when it accepts it. */
export function cronFieldProblem(text: string, spec: FieldSpec): string | null {
  for (const element of text.split(',')) {
    const m = ELEMENT.exec(element);
    const bad = `"${element}" is not a valid ${spec.name} (${spec.min}–${spec.max}${spec.names ? ` or ${spec.names[0]}–${spec.names.at(-1)}` : ''})`;
    if (!m) return bad;
    const [, from, to, step] = m;
    if (step !== undefined && Number(step) < 1) return `"${element}": a step must be at least 1`;
    if (from === undefined) continue; // *
    const low = fieldValue(from, spec);
    const high = to === undefined ? low : fieldValue(to, spec);
    if (low === null || high === null) return bad;
    if (high < low) return `"${element}": the range runs backwards`;
  }
  return null;
}

const ENV_LINE = /^(['"]?)([^'"=\s]+)\1\s*=\s*(.*)$/;

function unquote(value: string): string {
  const v = value.trim();
  const q = v[0];
  return (q === '"' || q === "'") && v.length >= 2 && v.endsWith(q) ? v.slice(1, -1) : v;
}

export function parseCrontab(text: string, options: CrontabOptions): Crontab {
  const out: Crontab = { env: {}, entries: [], problems: [] };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const number = i + 1;
    const problem = (message: string) => out.problems.push({ line: number, text: line, message });

    const env = ENV_LINE.exec(line);
    if (env) {
      out.env[env[2]!] = unquote(env[3]!);
      return;
    }

    const userPart = options.system ? '(\\S+)\\s+' : '()';
    if (line.startsWith('@')) {
      const m = new RegExp(`^(@\\S+)\\s+${userPart}(\\S.*)$`).exec(line);
      if (!m)
        return problem(
          options.system ? 'expected @nickname, a user and a command' : 'expected @nickname and a command',
        );
      const nickname = m[1]!.toLowerCase();
      if (!NICKNAMES.has(nickname))
        return problem(`unknown nickname ${m[1]} (known: ${[...NICKNAMES].join(', ')})`);
      out.entries.push({ line: number, schedule: nickname, user: m[2] || null, command: m[3]! });
      return;
    }

    const m = new RegExp(`^(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+${userPart}(\\S.*)$`).exec(line);
    if (!m) {
      return problem(
        options.system
          ? 'expected five time fields, a user and a command'
          : 'expected five time fields and a command',
      );
    }
    const times = m.slice(1, 6) as string[];
    for (let f = 0; f < FIELDS.length; f += 1) {
      const why = cronFieldProblem(times[f]!, FIELDS[f]!);
      if (why) return problem(why);
    }
    out.entries.push({ line: number, schedule: times.join(' '), user: m[6] || null, command: m[7]! });
  });
  return out;
}
