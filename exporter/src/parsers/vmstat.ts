/** /proc/vmstat: one "name value" pair a line, names in the kernel's mm/vmstat.c order. */
import { ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

const LINE = /^([a-z0-9_]+) (-?\d+)$/;

/**
 * Every field, or those whose name `wanted` accepts: the collector exports a handful of the
 * kernel's ~190 lines, and converting only those keeps the scrape cheap.
 */
export function parseVmstat(
  text: string,
  skipped: SkipReporter = ignoreSkipped,
  wanted: (name: string) => boolean = () => true,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = LINE.exec(line);
    if (!match) {
      skipped(line, 'not a "name value" line');
      continue;
    }
    if (wanted(match[1]!)) out.set(match[1]!, toNumber(match[2]));
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
