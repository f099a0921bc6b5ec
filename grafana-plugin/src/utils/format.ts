/**
 * How numbers, counts and dates look on every page. Numbers go through Grafana's own value
 * formats (getValueFormat), so "1.50 KiB" or "12.3%" reads exactly as on a dashboard panel;
 * dates follow the user's locale in a compact form (the time alone for today).
 */
import { formattedValueToString, getValueFormat } from '@grafana/data';
import { config } from '@grafana/runtime';

const NOTHING = '–';

function known(value: number | null | undefined): value is number {
  return value !== null && value !== undefined && Number.isFinite(value);
}

/** One Grafana unit, e.g. format('bytes', 1536) → "1.50 KiB"; '–' for no value. */
export function format(unit: string, value: number | null | undefined, decimals?: number): string {
  if (!known(value)) return NOTHING;
  return formattedValueToString(getValueFormat(unit)(value, decimals));
}

/** Memory and file sizes: binary units, as `free` and `ls -h` count them. */
export function formatBytes(bytes: number | null | undefined): string {
  return format('bytes', bytes);
}

/** Bytes per second, binary units. */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  return format('binBps', bytesPerSecond);
}

/** "45 seconds", "2 hours", "31 days": the largest unit, Grafana's duration format. */
export function formatDuration(seconds: number | null | undefined): string {
  if (!known(seconds)) return NOTHING;
  return format('dtdurations', Math.max(0, seconds), 0);
}

/** A percentage given 0–100 (a process's CPU may exceed 100: several CPUs). */
export function formatPercent(value: number | null | undefined, decimals = 1): string {
  return format('percent', value, decimals);
}

/** A ratio 0–1 as a percentage. */
export function formatRatio(value: number | null | undefined, decimals = 0): string {
  return format('percentunit', value, decimals);
}

const numberFormats = new Map<string, Intl.NumberFormat>();

/** "1 process", "2 processes": the noun agrees with the count. */
export function plural(count: number, one: string, many: string): string {
  const locale = userLocale() ?? '';
  let f = numberFormats.get(locale);
  if (!f) {
    // One formatter per locale: toLocaleString would build a new one on every call.
    f = new Intl.NumberFormat(locale || undefined);
    numberFormats.set(locale, f);
  }
  return `${f.format(count)} ${count === 1 ? one : many}`;
}

/**
 * The locale dates are written in: the user's regional format when Grafana has one, the
 * browser's language otherwise — never a fixed "en-US".
 */
export function userLocale(): string | undefined {
  const user = config.bootData?.user as { regionalFormat?: unknown } | undefined;
  if (typeof user?.regionalFormat === 'string' && user.regionalFormat !== '') return user.regionalFormat;
  return typeof navigator === 'undefined' ? undefined : navigator.language;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const locale = userLocale();
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

/**
 * A compact local date: the time alone today ("14:03:22" or "2:03:22 PM", as the locale
 * writes it), the day and time this year ("7 Dec, 14:03"), the short date before that.
 */
export function formatTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return NOTHING;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const sameYear = date.getFullYear() === now.getFullYear();
  if (sameYear && date.getMonth() === now.getMonth() && date.getDate() === now.getDate())
    return dateFormat({ timeStyle: 'medium' }).format(date);
  if (sameYear)
    return dateFormat({ day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(date);
  return dateFormat({ dateStyle: 'short' }).format(date);
}

/** The full local date and time, for a tooltip next to a compact one. */
export function formatFullTime(iso: string | null | undefined): string {
  if (!iso) return NOTHING;
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : dateFormat({ dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

/** "in 5 minutes" / "3 hours ago" relative to now. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return NOTHING;
  const delta = (Date.parse(iso) - now) / 1000;
  if (!Number.isFinite(delta)) return iso;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/**
 * Builds the formatters the tables use, while the page still waits for its first answer: the
 * first Intl formatter of a page loads the locale's data, which otherwise lands inside the first
 * render of a big table (some 100 ms in the render benchmark's profile).
 */
export function warmFormats(): void {
  plural(1, '', '');
  // Grafana's value formats build their index on the first use.
  formatBytes(1);
  formatTime(new Date().toISOString());
  formatTime('2000-01-01T00:00:00Z');
  formatFullTime(new Date().toISOString());
}
