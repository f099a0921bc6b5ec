/** /proc/vmstat: one "name value" pair a line, names in the kernel's mm/vmstat.c order. */
import { fields, ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

export function parseVmstat(text: string, skipped: SkipReporter = ignoreSkipped): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = fields(line);
    const value = toNumber(parts[1]);
    if (parts.length !== 2 || !/^[a-z0-9_]+$/.test(parts[0]!) || Number.isNaN(value)) {
      skipped(line, 'not a "name value" line');
      continue;
    }
    out.set(parts[0]!, value);
  }
  return out;
}

/**
 * Whether a /proc/vmstat field is a level (a gauge) rather than a count of events since boot.
 * The kernel lists its zone and node state first (`nr_free_pages`, `nr_dirty`…: current
 * numbers of pages) and its event counters after (`pgfault`, `pswpin`, `oom_kill`…). A few
 * `nr_` names are cumulative nonetheless, and `workingset_nodes` is a level without the prefix.
 */
const CUMULATIVE_NR = new Set([
  'nr_dirtied',
  'nr_written',
  'nr_throttled_written',
  'nr_foll_pin_acquired',
  'nr_foll_pin_released',
]);

export function isVmstatGauge(name: string): boolean {
  if (name === 'workingset_nodes') return true;
  return name.startsWith('nr_') && !CUMULATIVE_NR.has(name);
}
