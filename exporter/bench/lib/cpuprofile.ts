/**
 * Summarises a V8 .cpuprofile (written by `node --cpu-prof`): self time by function and by
 * area (Hyperion's own code, each dependency, Node internals, GC), so a profile can be read in
 * the benchmark's output without opening DevTools.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: { name: string; ms: number }[];
  byArea: { name: string; ms: number }[];
  /** Hyperion's own functions with everything they call (where a scrape's time goes). */
  inclusive: { name: string; ms: number }[];
}

function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/')) return 'hyperion';
  return url;
}

function shortUrl(url: string): string {
  const dep = /node_modules\/(.*)$/.exec(url);
  if (dep) return dep[1]!;
  const own = /\/dist\/(.*)$/.exec(url);
  return own ? own[1]! : url;
}

function frameName(frame: ProfileNode['callFrame']): string {
  return `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

/**
 * Inclusive time of Hyperion's functions: a depth-first walk that charges each node's subtree to
 * every distinct Hyperion function on its stack (once, so recursion is not counted twice).
 */
function inclusiveTimes(
  profile: Profile,
  byId: Map<number, ProfileNode>,
  selfUs: Map<number, number>,
): Map<string, number> {
  const parents = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const result = new Map<string, number>();
  const walk = (node: ProfileNode, stack: readonly string[]): number => {
    const own = node.callFrame.url.includes('/dist/') ? frameName(node.callFrame) : undefined;
    const next = own !== undefined && !stack.includes(own) ? [...stack, own] : stack;
    let us = node.callFrame.functionName === '(idle)' ? 0 : (selfUs.get(node.id) ?? 0);
    for (const child of node.children ?? []) {
      const c = byId.get(child);
      if (c) us += walk(c, next);
    }
    if (next !== stack) result.set(own!, (result.get(own!) ?? 0) + us);
    return us;
  };
  for (const root of profile.nodes.filter((n) => !parents.has(n.id))) walk(root, []);
  return result;
}

function top(map: Map<string, number>, count: number): { name: string; ms: number }[] {
  return [...map]
    .map(([name, us]) => ({ name, ms: us / 1000 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
}

export function summariseProfile(file: string, count = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time since the previous sample, i.e. how long this one stood for.
    const us = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    total += us;
    const fn = frameName(frame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const a = area(frame.url, frame.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  });
  return {
    totalMs: total / 1000,
    byFunction: top(byFunction, count),
    byArea: top(byArea, count),
    inclusive: top(inclusiveTimes(profile, byId, selfUs), count),
  };
}
