/**
 * `systemctl list-timers --all --output=json`: one object per timer,
 *   {"next":1795576500000000,"left":…,"last":1795493038325974,"passed":…,"unit":"x.timer","activates":"x.service"}
 * with times in microseconds since the epoch, 0 or null for "never" (systemd 252 prints "left"
 * and "passed" as absolute times too, so they are not used: the caller knows the time).
 * An older systemctl ignores --output for this command and prints its table, which
 * parseListTimersTable reads by the header's column positions.
 */
export interface SystemdTimer {
  unit: string;
  /** The unit it starts. */
  activates: string | null;
  /** ISO 8601, or null when it will not elapse again / never did. */
  next: string | null;
  last: string | null;
  /** The table's own text for a time it does not give in UTC (older systemctl only). */
  nextText?: string;
  lastText?: string;
}

function fromMicros(value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? new Date(Math.floor(value / 1000)).toISOString()
    : null;
}

export function parseListTimersJson(text: string): SystemdTimer[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('systemctl list-timers: expected a JSON array');
  const out: SystemdTimer[] = [];
  for (const item of parsed) {
    if (typeof item !== 'object' || item === null) continue;
    const t = item as Record<string, unknown>;
    if (typeof t.unit !== 'string') continue;
    out.push({
      unit: t.unit,
      activates: typeof t.activates === 'string' && t.activates !== '' ? t.activates : null,
      next: fromMicros(t.next),
      last: fromMicros(t.last),
    });
  }
  return out;
}

const COLUMNS = ['NEXT', 'LEFT', 'LAST', 'PASSED', 'UNIT', 'ACTIVATES'] as const;
const UTC_TIME = /^[A-Za-z]{3} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:UTC|GMT)$/;

function tableTime(text: string): { iso: string | null; text?: string } {
  if (text === '' || text === '-' || text === 'n/a') return { iso: null };
  const m = UTC_TIME.exec(text);
  return m ? { iso: `${m[1]}T${m[2]}.000Z` } : { iso: null, text };
}

export function parseListTimersTable(text: string): SystemdTimer[] {
  const lines = text.split('\n');
  const headerIndex = lines.findIndex((l) => /^NEXT\s+LEFT\s+LAST\s+PASSED\s+UNIT\s+ACTIVATES/.test(l));
  if (headerIndex < 0) throw new Error('systemctl list-timers: no table header');
  const header = lines[headerIndex]!;
  const starts = COLUMNS.map((c) => header.indexOf(c));
  const out: SystemdTimer[] = [];
  for (const line of lines.slice(headerIndex + 1)) {
    if (line.trim() === '') break; // then "N timers listed."
    const cell = (i: number) =>
      line.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
    const unit = cell(4);
    if (unit === '') continue;
    const next = tableTime(cell(0));
    const last = tableTime(cell(2));
    out.push({
      unit,
      activates: cell(5) || null,
      next: next.iso,
      last: last.iso,
      ...(next.text === undefined ? {} : { nextText: next.text }),
      ...(last.text === undefined ? {} : { lastText: last.text }),
    });
  }
  return out;
}

/** Either output form of `systemctl list-timers --all --output=json`. */
export function parseListTimers(text: string): SystemdTimer[] {
  return text.trimStart().startsWith('[') ? parseListTimersJson(text) : parseListTimersTable(text);
}
