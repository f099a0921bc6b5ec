/**
 * Hyperion's nftables table, as data: `table inet hyperion` with four named sets (blocked IPv4
 * and IPv6 addresses/networks as interval sets, blocked TCP and UDP ports) and two base chains
 * that drop what the sets hold. Everything is built as libnftables JSON (`nft -j -f -`), so a
 * reason or an actor name is a JSON string and never nft syntax to be escaped. Pure: no I/O.
 *
 * The table is Hyperion's alone: other tables (ufw, firewalld, hand-written rules) are never
 * named here. A drop in any table is final, so this table needs no cooperation from them.
 */
import { formatNetwork, type IpNetwork, parseAddress, parseNetwork } from '../../util/ip.js';
import type { NftTable, NftValue } from '../../parsers/nft-json.js';
import { networkOf, type Block } from './model.js';

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'hyperion';
export const TABLE = `${TABLE_FAMILY} ${TABLE_NAME}`;

export type SetName = 'blocked_ipv4' | 'blocked_ipv6' | 'blocked_tcp_ports' | 'blocked_udp_ports';

interface SetSpec {
  name: SetName;
  type: 'ipv4_addr' | 'ipv6_addr' | 'inet_service';
  flags: string[];
}

export const SETS: readonly SetSpec[] = [
  // interval: networks as well as single addresses; timeout: per-element expiry.
  { name: 'blocked_ipv4', type: 'ipv4_addr', flags: ['interval', 'timeout'] },
  { name: 'blocked_ipv6', type: 'ipv6_addr', flags: ['interval', 'timeout'] },
  { name: 'blocked_tcp_ports', type: 'inet_service', flags: ['timeout'] },
  { name: 'blocked_udp_ports', type: 'inet_service', flags: ['timeout'] },
];

type Expr = Record<string, unknown>;

const match = (left: Expr, right: unknown): Expr => ({ match: { op: '==', left, right } });
const payload = (protocol: string, field: string): Expr => ({ payload: { protocol, field } });
const DROP: Expr = { drop: null };

interface ChainSpec {
  name: string;
  hook: 'input' | 'forward';
  rules: Expr[][];
}

const dropSources: Expr[][] = [
  [match(payload('ip', 'saddr'), '@blocked_ipv4'), DROP],
  [match(payload('ip6', 'saddr'), '@blocked_ipv6'), DROP],
];

/**
 * Priority -10: before the usual filter chains (priority 0), so a block holds even where another
 * table accepts first. Policy accept: this table only ever removes traffic.
 */
export const CHAIN_PRIORITY = -10;

export const CHAINS: readonly ChainSpec[] = [
  {
    name: 'input',
    hook: 'input',
    rules: [
      // The host talking to itself is never blocked, whatever a set holds.
      [match({ meta: { key: 'iifname' } }, 'lo'), { accept: null }],
      ...dropSources,
      [match(payload('tcp', 'dport'), '@blocked_tcp_ports'), DROP],
      [match(payload('udp', 'dport'), '@blocked_udp_ports'), DROP],
    ],
  },
  // A host that routes (containers, VMs, a gateway) must not forward a blocked source either.
  { name: 'forward', hook: 'forward', rules: dropSources },
];

/** The set a block's element lives in. */
export function setOf(block: Block): SetName | undefined {
  if (block.kind === 'port') return block.protocol === 'udp' ? 'blocked_udp_ports' : 'blocked_tcp_ports';
  const family = networkOf(block)?.family;
  return family === 4 ? 'blocked_ipv4' : family === 6 ? 'blocked_ipv6' : undefined;
}

export const COMMENT_MAX_BYTES = 120;
const COMMENT_ID = /^hyperion:([0-9a-f]{12})(?:\s|$)/;

/**
 * "hyperion:<id> <actor>: <reason>", cut to what the kernel keeps for an element comment. The
 * full reason is in the data directory; the comment lets anyone reading `nft list` see whose
 * block it is without Hyperion.
 */
export function elementComment(block: Block): string {
  const text = `hyperion:${block.id} ${block.actor}: ${block.reason}`;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= COMMENT_MAX_BYTES) return text;
  // Cut on a character boundary: a split UTF-8 sequence would come back as U+FFFD.
  let cut = COMMENT_MAX_BYTES;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut -= 1;
  return bytes.subarray(0, cut).toString('utf8');
}

export function idFromComment(comment: string | null): string | undefined {
  return comment === null ? undefined : COMMENT_ID.exec(comment)?.[1];
}

/**
 * A key naming what an element matches, the same for a block and for nft's listing of it:
 * numbers, not text, so "2001:DB8::" and "2001:db8::" (or a /32 and a bare address) agree.
 */
export function networkKey(net: IpNetwork): string {
  return `${net.family}:${net.network.toString(16)}/${net.prefix}`;
}

export function blockKey(block: Block): string | undefined {
  if (block.kind === 'port') return `port:${block.port}`;
  const net = networkOf(block);
  return net && networkKey(net);
}

/** The key of a listed element; undefined for a shape Hyperion never writes (a range). */
export function elementKey(set: SetName, value: NftValue): string | undefined {
  if (set === 'blocked_tcp_ports' || set === 'blocked_udp_ports') {
    return value.kind === 'value' && /^\d+$/.test(value.text) ? `port:${Number(value.text)}` : undefined;
  }
  if (value.kind === 'value') {
    const a = parseAddress(value.text);
    return a && networkKey({ family: a.family, network: a.value, prefix: a.family === 4 ? 32 : 128 });
  }
  if (value.kind === 'prefix') {
    const n = parseNetwork(`${value.address}/${value.length}`);
    return n && networkKey(n);
  }
  return undefined;
}

/** Whole seconds left (at least 1), or undefined for a permanent block; 0 when already expired. */
export function remainingSeconds(block: Block, nowMs: number): number | undefined {
  if (block.expiresAt === null) return undefined;
  const left = Date.parse(block.expiresAt) - nowMs;
  return left <= 0 ? 0 : Math.max(1, Math.ceil(left / 1000));
}

function elementValue(block: Block): unknown {
  if (block.kind === 'port') return block.port;
  const net = networkOf(block)!;
  const text = formatNetwork(net);
  const slash = text.indexOf('/');
  return slash < 0 ? text : { prefix: { addr: text.slice(0, slash), len: net.prefix } };
}

/** The JSON element of a block, with its remaining timeout and its comment. */
export function element(block: Block, nowMs: number): Expr {
  const timeout = remainingSeconds(block, nowMs);
  return {
    elem: {
      val: elementValue(block),
      ...(timeout === undefined ? {} : { timeout }),
      comment: elementComment(block),
    },
  };
}

const tableRef = { family: TABLE_FAMILY, table: TABLE_NAME };

/** Elements per command: each command of a large rebuild stays a few tens of KiB. */
const ELEMENTS_PER_COMMAND = 256;

function elementsCommands(verb: 'add' | 'delete', set: SetName, elem: unknown[]): Expr[] {
  const out: Expr[] = [];
  for (let i = 0; i < elem.length; i += ELEMENTS_PER_COMMAND) {
    out.push({
      [verb]: { element: { ...tableRef, name: set, elem: elem.slice(i, i + ELEMENTS_PER_COMMAND) } },
    });
  }
  return out;
}

function groupBySet(blocks: readonly Block[]): Map<SetName, Block[]> {
  const out = new Map<SetName, Block[]>();
  for (const b of blocks) {
    const set = setOf(b);
    if (!set) continue;
    out.set(set, [...(out.get(set) ?? []), b]);
  }
  return out;
}

/**
 * One transaction that replaces the whole table: created if missing (so the delete never
 * fails), deleted, and built again with every live block. nft applies a file atomically, so
 * traffic never sees a moment without the table.
 */
export function rebuildCommands(blocks: readonly Block[], nowMs: number): { nftables: Expr[] } {
  const table = { family: TABLE_FAMILY, name: TABLE_NAME };
  const commands: Expr[] = [
    { add: { table } },
    { delete: { table } },
    { add: { table } },
    ...SETS.map((s) => ({
      add: {
        set: { ...tableRef, name: s.name, type: s.type, flags: s.flags, comment: 'managed by Hyperion' },
      },
    })),
  ];
  for (const chain of CHAINS) {
    commands.push({
      add: {
        chain: {
          ...tableRef,
          name: chain.name,
          type: 'filter',
          hook: chain.hook,
          prio: CHAIN_PRIORITY,
          policy: 'accept',
        },
      },
    });
    for (const expr of chain.rules)
      commands.push({ add: { rule: { ...tableRef, chain: chain.name, expr } } });
  }
  for (const [set, members] of groupBySet(blocks)) {
    commands.push(
      ...elementsCommands(
        'add',
        set,
        members.map((b) => element(b, nowMs)),
      ),
    );
  }
  return { nftables: commands };
}

/** Adds and removes elements only, for a table whose structure is intact. */
export function patchCommands(
  add: readonly Block[],
  remove: readonly { set: SetName; value: NftValue }[],
  nowMs: number,
): { nftables: Expr[] } {
  const commands: Expr[] = [];
  const removals = new Map<SetName, unknown[]>();
  for (const r of remove) removals.set(r.set, [...(removals.get(r.set) ?? []), nftValue(r.value)]);
  for (const [set, values] of removals) commands.push(...elementsCommands('delete', set, values));
  for (const [set, members] of groupBySet(add)) {
    commands.push(
      ...elementsCommands(
        'add',
        set,
        members.map((b) => element(b, nowMs)),
      ),
    );
  }
  return { nftables: commands };
}

function nftValue(value: NftValue): unknown {
  if (value.kind === 'prefix') return { prefix: { addr: value.address, len: value.length } };
  if (value.kind === 'range') return { range: [value.from, value.to] };
  return /^\d+$/.test(value.text) ? Number(value.text) : value.text;
}

/**
 * What is wrong with the table's structure (sets, chains, rules), in words for the log and
 * the API; empty when it is as built. Elements are compared separately (diffElements).
 */
export function structureProblems(table: NftTable | undefined): string[] {
  if (!table) return [`table ${TABLE} is missing`];
  const problems: string[] = [];
  for (const spec of SETS) {
    const set = table.sets.get(spec.name);
    if (!set) problems.push(`set ${spec.name} is missing`);
    else if (set.type !== spec.type || spec.flags.some((f) => !set.flags.includes(f)))
      problems.push(`set ${spec.name} has type ${set.type} and flags ${set.flags.join(',')}`);
  }
  for (const spec of CHAINS) {
    const chain = table.chains.get(spec.name);
    if (!chain) {
      problems.push(`chain ${spec.name} is missing`);
      continue;
    }
    if (chain.hook !== spec.hook || chain.priority !== CHAIN_PRIORITY || chain.policy !== 'accept')
      problems.push(
        `chain ${spec.name} is not a filter chain on hook ${spec.hook} at priority ${CHAIN_PRIORITY}`,
      );
    const want = spec.rules.map((r) => JSON.stringify(r));
    const have = chain.rules.map((r) => JSON.stringify(r.expr));
    if (want.join('\n') !== have.join('\n'))
      problems.push(`chain ${spec.name} has ${have.length} rule(s), not the ${want.length} Hyperion wrote`);
  }
  for (const name of table.chains.keys())
    if (!CHAINS.some((c) => c.name === name)) problems.push(`chain ${name} was added by someone else`);
  return problems;
}

export interface ElementDiff {
  /** Blocks the kernel does not hold (or holds under another block's id). */
  add: Block[];
  /** Elements the kernel holds that no live block wants. */
  remove: { set: SetName; value: NftValue }[];
  /** Ids of blocks the kernel holds, with the seconds left by the kernel's own clock. */
  enforced: Map<string, number | null>;
}

/** Compares the elements nft listed with the live blocks. */
export function diffElements(table: NftTable, blocks: readonly Block[]): ElementDiff {
  const wanted = new Map<string, Block>();
  for (const b of blocks) {
    const set = setOf(b);
    const key = blockKey(b);
    if (set && key) wanted.set(`${set} ${key}`, b);
  }
  const diff: ElementDiff = { add: [], remove: [], enforced: new Map() };
  const present = new Set<string>();
  for (const spec of SETS) {
    for (const el of table.sets.get(spec.name)?.elements ?? []) {
      const key = elementKey(spec.name, el.value);
      const block = key === undefined ? undefined : wanted.get(`${spec.name} ${key}`);
      if (block && idFromComment(el.comment) === block.id) {
        present.add(block.id);
        diff.enforced.set(block.id, el.expiresSeconds);
      } else {
        diff.remove.push({ set: spec.name, value: el.value });
      }
    }
  }
  for (const b of wanted.values()) if (!present.has(b.id)) diff.add.push(b);
  return diff;
}

export function isEmptyDiff(diff: ElementDiff): boolean {
  return diff.add.length === 0 && diff.remove.length === 0;
}
