/**
 * `journalctl --output=json`: one JSON object per line (journalctl's export format as JSON).
 * A field holding bytes that are not valid UTF-8 comes as an array of numbers, a field with
 * several values as an array of those, and a field larger than 4096 bytes as null unless --all
 * was given (journalctl(1), "json").
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export interface JournalEntry {
  /** ISO 8601, from __REALTIME_TIMESTAMP (microseconds since the epoch). */
  time: string | null;
  /** syslog priority: 0 emerg … 7 debug. */
  priority: number | null;
  pid: number | null;
  /** SYSLOG_IDENTIFIER, else the command name. */
  identifier: string | null;
  message: string;
}

/** Shown for a message journalctl left out as too large (it prints null without --all). */
export const MESSAGE_TOO_LARGE = '[message larger than 4096 bytes, not shown]';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** A field as text: a string, or bytes decoded with U+FFFD for what is not UTF-8. */
function fieldText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
      return utf8.decode(Uint8Array.from(value as number[]));
    }
    // Several values of one field: the first is the one journalctl's other formats show.
    return value.length > 0 ? fieldText(value[0]) : null;
  }
  return null;
}

function fieldInt(value: unknown): number | null {
  const text = fieldText(value);
  return text !== null && /^\d{1,16}$/.test(text) ? Number(text) : null;
}

export function parseJournalJson(text: string, skipped: SkipReporter = ignoreSkipped): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      skipped(line, 'not JSON');
      continue;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      skipped(line, 'not a JSON object');
      continue;
    }
    const r = record as Record<string, unknown>;
    const micros = fieldText(r.__REALTIME_TIMESTAMP);
    const time =
      micros !== null && /^\d{1,17}$/.test(micros) ? new Date(Number(micros) / 1000).toISOString() : null;
    const message = 'MESSAGE' in r ? fieldText(r.MESSAGE) : '';
    out.push({
      time,
      priority: fieldInt(r.PRIORITY),
      pid: fieldInt(r._PID),
      identifier: fieldText(r.SYSLOG_IDENTIFIER) ?? fieldText(r._COMM),
      message: message ?? MESSAGE_TOO_LARGE,
    });
  }
  return out;
}
