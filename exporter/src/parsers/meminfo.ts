/** /proc/meminfo: "Key:   value kB" lines. Values are returned in bytes (or counts, without unit). */
import { fields, ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

export function parseMeminfo(text: string, skipped: SkipReporter = ignoreSkipped): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      skipped(line, 'no key');
      continue;
    }
    const [raw, unit] = fields(line.slice(colon + 1));
    const value = toNumber(raw);
    if (Number.isNaN(value) || (unit !== undefined && unit !== 'kB')) {
      skipped(line, 'malformed value');
      continue;
    }
    out.set(line.slice(0, colon), unit === 'kB' ? value * 1024 : value);
  }
  return out;
}
