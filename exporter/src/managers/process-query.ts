/**
 * Filtering, sorting, paging and nesting of a process snapshot: pure functions, so the server
 * answers exactly what the client asked for without shipping the whole table.
 */
import type { ProcessInfo, ProcessNode, ProcessQuery, ProcessSortKey } from './process-types.js';

export function filterProcesses(items: readonly ProcessInfo[], query: ProcessQuery): ProcessInfo[] {
  const user = query.user;
  const uid = user !== undefined && /^\d+$/.test(user) ? Number(user) : undefined;
  const search = query.search ? query.search.toLowerCase() : undefined;
  const states = query.state && query.state.length > 0 ? new Set(query.state) : undefined;
  return items.filter(
    (p) =>
      (user === undefined || p.user === user || p.uid === uid) &&
      (states === undefined || states.has(p.state)) &&
      (search === undefined ||
        p.name.toLowerCase().includes(search) ||
        p.command.toLowerCase().includes(search)),
  );
}

/**
 * Sorts a copy. Ties fall back to pid ascending in both directions, so the order is total and
 * pages never overlap or skip between two requests. Strings compare by code unit, which is
 * deterministic and locale-free (the same order on every host and in every browser).
 */
export function sortProcesses(
  items: readonly ProcessInfo[],
  key: ProcessSortKey = 'pid',
  order: 'asc' | 'desc' = 'asc',
): ProcessInfo[] {
  const sign = order === 'desc' ? -1 : 1;
  return [...items].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    // startTime is ISO 8601 in UTC with a fixed width, so its text order is its time order.
    const c = x < y ? -1 : x > y ? 1 : 0;
    return c !== 0 ? c * sign : a.pid - b.pid;
  });
}

export function page<T>(items: readonly T[], offset = 0, limit?: number): T[] {
  return items.slice(offset, limit === undefined ? undefined : offset + limit);
}

/**
 * Nests processes under their parents. The input order is kept among siblings and among the
 * top level, so sorting before nesting sorts every level. A process whose parent is not in the
 * input (filtered out, exited, or pid 1 and kthreadd whose parent is 0) is at the top. A
 * snapshot is not atomic: a pid reused between two reads could make two processes each other's
 * parent, so nodes no top-level node reaches become top-level themselves.
 */
export function buildTree(items: readonly ProcessInfo[]): ProcessNode[] {
  const nodes = new Map<number, ProcessNode>();
  for (const p of items) nodes.set(p.pid, { ...p, children: [] });
  const roots: ProcessNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.ppid === node.pid ? undefined : nodes.get(node.ppid);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }

  const reached = new Set<number>();
  const mark = (start: ProcessNode): void => {
    // Iterative: a deep chain of processes must not exhaust the stack.
    const stack = [start];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (reached.has(node.pid)) continue;
      reached.add(node.pid);
      stack.push(...node.children);
    }
  };
  roots.forEach(mark);
  if (reached.size === nodes.size) return roots;

  for (const node of nodes.values()) {
    if (reached.has(node.pid)) continue;
    const parent = nodes.get(node.ppid)!;
    parent.children.splice(parent.children.indexOf(node), 1);
    roots.push(node);
    mark(node);
  }
  // Put the promoted nodes where the input order would have them.
  const position = new Map(items.map((p, i) => [p.pid, i]));
  return roots.sort((a, b) => position.get(a.pid)! - position.get(b.pid)!);
}
