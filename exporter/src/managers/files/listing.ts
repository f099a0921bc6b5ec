/**
 * Sorting and paging a directory listing, pure functions of the entries. Directories come
 * first by default (as in every file manager), links to directories counting as directories;
 * names compare as people expect ("file2" before "file10", case folded), with the exact name
 * as the tie-breaker so the order is total and stable across pages.
 */
import type { FileInfo } from './info.js';

export const LIST_SORT_KEYS = ['name', 'size', 'mtime', 'type'] as const;
export type ListSortKey = (typeof LIST_SORT_KEYS)[number];

export interface ListQuery {
  sort?: ListSortKey;
  order?: 'asc' | 'desc';
  /** Directories before files whatever the sort (default true). */
  dirsFirst?: boolean;
  offset?: number;
  limit?: number;
}

export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 10_000;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Natural order ("file2" < "file10"): runs of digits compare as numbers, everything else by
 * code point. Hand-written because Intl.Collator's numeric compare costs a few microseconds a
 * call, and sorting 10 000 names makes some 130 000 calls.
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let si = i;
      let sj = j;
      while (si < a.length - 1 && a.charCodeAt(si) === 48 && isDigit(a.charCodeAt(si + 1))) si += 1;
      while (sj < b.length - 1 && b.charCodeAt(sj) === 48 && isDigit(b.charCodeAt(sj + 1))) sj += 1;
      let ei = si;
      let ej = sj;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei += 1;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej += 1;
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k += 1) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i += 1;
    j += 1;
  }
  return a.length - i - (b.length - j);
}

/** An entry with what sorting needs computed once, not once per comparison. */
interface Row {
  item: FileInfo;
  key: string;
  dir: number;
}

function byName(a: Row, b: Row): number {
  const c = naturalCompare(a.key, b.key);
  if (c !== 0) return c;
  return a.item.name < b.item.name ? -1 : a.item.name > b.item.name ? 1 : 0;
}

const COMPARE: Record<ListSortKey, (a: Row, b: Row) => number> = {
  name: byName,
  size: (a, b) => a.item.size - b.item.size,
  mtime: (a, b) => (a.item.mtime < b.item.mtime ? -1 : a.item.mtime > b.item.mtime ? 1 : 0),
  type: (a, b) => (a.item.type < b.item.type ? -1 : a.item.type > b.item.type ? 1 : 0),
};

function isDirLike(f: FileInfo): boolean {
  return f.type === 'dir' || (f.type === 'symlink' && f.targetType === 'dir');
}

export function sortEntries(items: readonly FileInfo[], query: ListQuery = {}): FileInfo[] {
  const sign = query.order === 'desc' ? -1 : 1;
  const dirsFirst = query.dirsFirst ?? true;
  const compare = COMPARE[query.sort ?? 'name'];
  const rows: Row[] = items.map((item) => ({
    item,
    key: item.name.toLowerCase(),
    dir: isDirLike(item) ? 1 : 0,
  }));
  rows.sort(
    // Ties on size/mtime/type fall back to the name, ascending, so pages never reshuffle.
    (a, b) => (dirsFirst ? b.dir - a.dir : 0) || sign * compare(a, b) || byName(a, b),
  );
  return rows.map((r) => r.item);
}

export function pageOf<T>(items: T[], offset = 0, limit = DEFAULT_LIST_LIMIT): T[] {
  return items.slice(offset, offset + limit);
}
