/**
 * `nft -j list table FAMILY NAME` (libnftables' JSON, schema version 1): the sets with their
 * elements and the chains with their rules. Set elements come in three shapes — a bare value
 * ("192.0.2.1", 22), a prefix ({"prefix": {"addr", "len"}}) or a range — optionally wrapped in
 * {"elem": {"val", "timeout", "expires", "comment"}} when they carry a timeout or a comment.
 * Timeouts and expiry are whole seconds in this output.
 */

export type NftValue =
  | { kind: 'value'; text: string }
  | { kind: 'prefix'; address: string; length: number }
  | { kind: 'range'; from: string; to: string };

export interface NftElement {
  value: NftValue;
  timeoutSeconds: number | null;
  expiresSeconds: number | null;
  comment: string | null;
}

export interface NftSet {
  name: string;
  /** The element type ("ipv4_addr", "inet_service"…); a concatenation is joined with " . ". */
  type: string;
  flags: string[];
  elements: NftElement[];
}

export interface NftRule {
  handle: number | null;
  /** The rule's expressions as nft printed them (compare with a built rule's expressions). */
  expr: unknown[];
  comment: string | null;
}

export interface NftChain {
  name: string;
  type: string | null;
  hook: string | null;
  priority: number | null;
  policy: string | null;
  rules: NftRule[];
}

export interface NftTable {
  family: string;
  name: string;
  sets: Map<string, NftSet>;
  chains: Map<string, NftChain>;
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
const seconds = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function value(v: unknown): NftValue | undefined {
  const text = scalar(v);
  if (text !== undefined) return { kind: 'value', text };
  if (!isRecord(v)) return undefined;
  if (isRecord(v.prefix)) {
    const address = scalar(v.prefix.addr);
    const length = v.prefix.len;
    if (address !== undefined && typeof length === 'number') return { kind: 'prefix', address, length };
  }
  if (Array.isArray(v.range) && v.range.length === 2) {
    const from = scalar(v.range[0]);
    const to = scalar(v.range[1]);
    if (from !== undefined && to !== undefined) return { kind: 'range', from, to };
  }
  return undefined;
}

function element(v: unknown): NftElement | undefined {
  if (isRecord(v) && isRecord(v.elem)) {
    const inner = value(v.elem.val);
    if (!inner) return undefined;
    return {
      value: inner,
      timeoutSeconds: seconds(v.elem.timeout),
      expiresSeconds: seconds(v.elem.expires),
      comment: typeof v.elem.comment === 'string' ? v.elem.comment : null,
    };
  }
  const plain = value(v);
  return plain && { value: plain, timeoutSeconds: null, expiresSeconds: null, comment: null };
}

/**
 * The named table from a listing, or undefined when the listing does not hold it. Objects of
 * other tables in the same listing (a `list ruleset`) are ignored: Hyperion reads only its own.
 */
export function parseNftTable(text: string, family: string, name: string): NftTable | undefined {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed) || !Array.isArray(parsed.nftables)) throw new Error('nft -j: no "nftables" array');
  let table: NftTable | undefined;
  const ours = (o: Json, key: 'name' | 'table') => o.family === family && o[key] === name;
  for (const item of parsed.nftables) {
    if (!isRecord(item)) continue;
    if (isRecord(item.table) && ours(item.table, 'name')) {
      table ??= { family, name, sets: new Map(), chains: new Map() };
    }
  }
  if (!table) return undefined;
  for (const item of parsed.nftables) {
    if (!isRecord(item)) continue;
    const { set, chain, rule } = item;
    if (isRecord(set) && ours(set, 'table') && typeof set.name === 'string') {
      const elements = Array.isArray(set.elem)
        ? set.elem.map(element).filter((e): e is NftElement => e !== undefined)
        : [];
      table.sets.set(set.name, {
        name: set.name,
        type: Array.isArray(set.type) ? set.type.map(String).join(' . ') : String(set.type),
        flags: Array.isArray(set.flags) ? set.flags.map(String) : [],
        elements,
      });
    } else if (isRecord(chain) && ours(chain, 'table') && typeof chain.name === 'string') {
      table.chains.set(chain.name, {
        name: chain.name,
        type: typeof chain.type === 'string' ? chain.type : null,
        hook: typeof chain.hook === 'string' ? chain.hook : null,
        priority: typeof chain.prio === 'number' ? chain.prio : null,
        policy: typeof chain.policy === 'string' ? chain.policy : null,
        rules: table.chains.get(chain.name)?.rules ?? [],
      });
    } else if (isRecord(rule) && ours(rule, 'table') && typeof rule.chain === 'string') {
      // Rules follow their chain in nft's output, but nothing here depends on that order.
      let target = table.chains.get(rule.chain);
      if (!target) {
        target = { name: rule.chain, type: null, hook: null, priority: null, policy: null, rules: [] };
        table.chains.set(rule.chain, target);
      }
      target.rules.push({
        handle: typeof rule.handle === 'number' ? rule.handle : null,
        expr: Array.isArray(rule.expr) ? rule.expr : [],
        comment: typeof rule.comment === 'string' ? rule.comment : null,
      });
    }
  }
  return table;
}
