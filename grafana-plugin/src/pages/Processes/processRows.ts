/** The process list as table rows: a flat page as it is, a tree flattened with each row's depth. */
import type { ProcessInfo, ProcessNode, ProcessPage, ProcessTreePage } from '../../api/types';
import { sortRows, type Sort } from '../../components/VirtualTable';

export interface ProcessRow extends ProcessInfo {
  depth: number;
  hasChildren: boolean;
}

/** A tree answer has `processes` (the count at every level); a flat page does not. */
export function isTreePage(data: ProcessPage | ProcessTreePage): data is ProcessTreePage {
  return 'processes' in data;
}

/** The value a column sorts on (the exporter's own sort keys). */
export function processValue(p: ProcessInfo, key: string): string | number {
  const value = (p as unknown as Record<string, unknown>)[key];
  if (key === 'startTime') return Date.parse(String(value));
  return typeof value === 'number' ? value : String(value ?? '');
}

export function flatRows(items: readonly ProcessInfo[], sort?: Sort): ProcessRow[] {
  const sorted = sort ? sortRows(items, sort, processValue) : items;
  return sorted.map((p) => ({ ...p, depth: 0, hasChildren: false }));
}

/**
 * Depth-first, parents before their children, each level sorted (here, so a re-sort needs no
 * new request). Tolerates nodes without `children` rather than failing the whole page.
 */
export function treeRows(nodes: readonly ProcessNode[], sort?: Sort): ProcessRow[] {
  const order = (level: readonly ProcessNode[]) => (sort ? sortRows(level, sort, processValue) : level);
  const out: ProcessRow[] = [];
  // An explicit stack: a deep process chain must not overflow the call stack.
  const stack: { node: ProcessNode; depth: number }[] = [...order(nodes)]
    .reverse()
    .map((node) => ({ node, depth: 0 }));
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    const { children = [], ...info } = node;
    out.push({ ...info, depth, hasChildren: children.length > 0 });
    const kids = order(children);
    for (let i = kids.length - 1; i >= 0; i -= 1) stack.push({ node: kids[i]!, depth: depth + 1 });
  }
  return out;
}

/** The rows of any answer, whatever shape it has (the toggle may be ahead of the data). */
export function rowsOf(data: ProcessPage | ProcessTreePage | undefined, sort?: Sort): ProcessRow[] {
  if (!data) return [];
  return isTreePage(data) ? treeRows(data.items, sort) : flatRows(data.items, sort);
}

/**
 * Why no signal or renice is offered for a process, or undefined when they are: the exporter
 * refuses PID 1 and itself, and a kernel thread has no user space to signal or renice.
 */
export function whyNoActions(p: ProcessInfo, exporterPid: number | null | undefined): string | undefined {
  if (p.pid === 1) return 'PID 1 is the init process: the exporter never signals or renices it';
  if (exporterPid !== null && exporterPid !== undefined && p.pid === exporterPid)
    return 'this is the Hyperion exporter itself';
  if (p.kernelThread) return 'a kernel thread: signals and nice values do not apply to it';
  return undefined;
}

export const STATE_NAMES: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'disk sleep',
  Z: 'zombie',
  T: 'stopped',
  t: 'traced',
  I: 'idle',
  X: 'dead',
};

/** CPU and memory of each process over the last live refreshes, kept in the browser. */
export interface ProcessSample {
  t: number;
  cpu: number;
  rss: number;
}

export const HISTORY_SAMPLES = 60;

/**
 * Adds one refresh to the history: every process listed gets a sample, processes no longer
 * listed are dropped (a reused pid starts over: the start time is part of the key).
 */
export function recordHistory(
  history: Map<string, ProcessSample[]>,
  items: readonly ProcessInfo[],
  t: number,
): Map<string, ProcessSample[]> {
  const next = new Map<string, ProcessSample[]>();
  for (const p of items) {
    const key = historyKey(p);
    const before = history.get(key) ?? [];
    const last = before[before.length - 1];
    const samples = last && last.t === t ? before : [...before, { t, cpu: p.cpuPercent, rss: p.rssBytes }];
    next.set(key, samples.slice(-HISTORY_SAMPLES));
  }
  return next;
}

export function historyKey(p: Pick<ProcessInfo, 'pid' | 'startTime'>): string {
  return `${p.pid}@${p.startTime}`;
}

/** Every process of a page, at every level of a tree. */
export function allProcesses(data: ProcessPage | ProcessTreePage): ProcessInfo[] {
  if (!isTreePage(data)) return data.items;
  return treeRows(data.items);
}
