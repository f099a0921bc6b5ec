/**
 * /proc/net/stat/nf_conntrack: a header naming the columns, then one line per possible CPU of
 * hexadecimal counters (net/netfilter/nf_conntrack_standalone.c). The columns vary between
 * kernels (`searched`, `new`, `delete`… were dropped in 4.x, `clashres` and `chainlength` added
 * in 5.x), so they are looked up by name. Each counter is per CPU; the totals are their sum.
 * `entries` is the same table size repeated on every line, not a per-CPU count: it is skipped
 * (the table size is nf_conntrack_count).
 */
import { fields, ignoreSkipped, type SkipReporter } from './skip.js';

const HEX = /^[0-9a-f]+$/i;

export function parseConntrackStat(text: string, skipped: SkipReporter = ignoreSkipped): Map<string, number> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (header === undefined) throw new Error('empty /proc/net/stat/nf_conntrack');
  const names = fields(header);
  if (!names.every((n) => /^[a-z_]+$/.test(n))) {
    throw new Error(`malformed /proc/net/stat/nf_conntrack header: ${JSON.stringify(header.slice(0, 80))}`);
  }
  const totals = new Map<string, number>(names.filter((n) => n !== 'entries').map((n) => [n, 0]));
  for (const line of lines) {
    const values = fields(line);
    if (values.length !== names.length || !values.every((v) => HEX.test(v))) {
      skipped(line, 'not one hexadecimal counter per column');
      continue;
    }
    names.forEach((name, i) => {
      if (name !== 'entries') totals.set(name, totals.get(name)! + parseInt(values[i]!, 16));
    });
  }
  return totals;
}
