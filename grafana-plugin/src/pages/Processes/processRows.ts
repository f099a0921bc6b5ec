/** The process list as table rows: a flat page as it is, a tree flattened with each row's depth. */
import type { ProcessInfo, ProcessNode } from '../../api/types';

export interface ProcessRow extends ProcessInfo {
  depth: number;
  hasChildren: boolean;
}

export function flatRows(items: readonly ProcessInfo[]): ProcessRow[] {
  return items.map((p) => ({ ...p, depth: 0, hasChildren: false }));
}

/** Depth-first, parents before their children, each level in the order the exporter sorted it. */
export function treeRows(nodes: readonly ProcessNode[]): ProcessRow[] {
  const out: ProcessRow[] = [];
  // An explicit stack: a deep process chain must not overflow the call stack.
  const stack: { node: ProcessNode; depth: number }[] = [...nodes]
    .reverse()
    .map((node) => ({ node, depth: 0 }));
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    const { children, ...info } = node;
    out.push({ ...info, depth, hasChildren: children.length > 0 });
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push({ node: children[i]!, depth: depth + 1 });
  }
  return out;
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
