/**
 * The firewall of one host: blocks persisted as desired state (store.ts) and enforced in
 * nftables' `inet hyperion` table (ruleset.ts) through the Host interface only — `nft -j` with
 * the transaction on stdin — so it works the same on a remote host over SSH.
 *
 * Every change and every reconciliation runs one at a time per host, and has the same shape:
 * list the table, then either patch its elements (the structure is intact) or rebuild the
 * whole table in one atomic transaction (missing, flushed or altered by hand).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Host, RunResult } from '../../hosts/host.js';
import { parseNftTable, type NftTable } from '../../parsers/nft-json.js';
import { HyperionError, errorMessage, isHyperionError } from '../../util/errors.js';
import { networksOverlap, type IpNetwork } from '../../util/ip.js';
import {
  checkAddressBlock,
  checkPortBlock,
  LOOPBACK_GUARDS,
  type AddressGuard,
  type PortGuard,
} from './lockout.js';
import {
  BLOCK_KINDS,
  MAX_BLOCKS,
  canonicalTarget,
  describeBlock,
  familyOf,
  networkOf,
  type Block,
  type BlockKind,
  type BlockRequest,
  type Protocol,
} from './model.js';
import {
  TABLE,
  TABLE_FAMILY,
  TABLE_NAME,
  diffElements,
  isEmptyDiff,
  patchCommands,
  rebuildCommands,
  remainingSeconds,
  structureProblems,
} from './ruleset.js';
import type { FirewallStore } from './store.js';

export interface BlockView {
  id: string;
  kind: BlockKind;
  address?: string;
  cidr?: string;
  port?: number;
  protocol?: Protocol;
  family?: 'ipv4' | 'ipv6';
  reason: string;
  actor: string;
  createdAt: string;
  /** null: until removed. */
  expiresAt: string | null;
  remainingSeconds: number | null;
  /** Whether the kernel holds it right now; null when the table could not be read. */
  enforced: boolean | null;
}

export type FirewallStatus = 'in-sync' | 'drifted' | 'absent' | 'unavailable';

export interface ReconcileReport {
  at: string;
  /** skipped: the host never had a block, so Hyperion leaves its firewall alone. */
  action: 'skipped' | 'none' | 'patched' | 'rebuilt' | 'failed';
  /** What was wrong before (the table missing, a flushed chain, elements that differed). */
  problems: string[];
  expiredDropped: number;
  error?: string;
}

export interface FirewallView {
  host: string;
  backend: 'nftables';
  table: string;
  status: FirewallStatus;
  problems: string[];
  lastReconcile: ReconcileReport | null;
  counts: Record<BlockKind, number>;
  blocks: BlockView[];
}

/** Who asks, from where, and what must not be blocked on this host. */
export interface BlockContext {
  actor: string;
  isAdmin: boolean;
  /** The addresses the request came from (lockout.ts requestSources). */
  sources: readonly AddressGuard[];
  /** Ports protected on this host (SSH, the exporter's own). */
  protectedPorts: readonly PortGuard[];
  /** The caller's explicit "yes, block that protected port". */
  confirm: boolean;
}

export interface FirewallManagerOptions {
  store: FirewallStore;
  log: Logger;
  /** The configuration's management addresses and networks. */
  management: readonly AddressGuard[];
  now?: () => number;
}

const NFT_TIMEOUT_MS = 15_000;

type Change = 'none' | 'patched' | 'rebuilt';

/** A block as checked, before it is held. */
export interface BlockDraft {
  draft: Omit<Block, 'id' | 'createdAt' | 'expiresAt'>;
  network: IpNetwork | undefined;
}

export class FirewallManager {
  private queue: Promise<unknown> = Promise.resolve();
  private lastReconcile: ReconcileReport | null = null;
  /** Live blocks as last loaded, for the metric (which must not touch the disk or nft). */
  private cached: Block[] = [];
  private readonly now: () => number;

  constructor(
    private readonly host: Host,
    private readonly options: FirewallManagerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The blocks with what the kernel holds; changes nothing. */
  /** Whether a live block has this id (read from the store, without asking the kernel). */
  holds(id: string): boolean {
    return this.live(this.options.store.load()).some((b) => b.id === id);
  }

  async view(): Promise<FirewallView> {
    return this.exclusive(async () => {
      const blocks = this.live(this.options.store.load());
      let table: NftTable | undefined;
      let problems: string[];
      let status: FirewallStatus;
      let enforced: Map<string, number | null> | undefined;
      try {
        table = await this.list();
        const structural = structureProblems(table);
        if (!table && blocks.length === 0) {
          status = 'absent';
          problems = [];
        } else {
          const diff = table && structural.length === 0 ? diffElements(table, blocks) : undefined;
          enforced = diff?.enforced ?? new Map();
          problems = diff ? describeDiff(diff) : structural;
          status = problems.length === 0 ? 'in-sync' : 'drifted';
        }
      } catch (error) {
        status = 'unavailable';
        problems = [errorMessage(error)];
      }
      return {
        host: this.host.name,
        backend: 'nftables',
        table: TABLE,
        status,
        problems,
        lastReconcile: this.lastReconcile,
        counts: countByKind(blocks),
        blocks: blocks.map((b) => this.toView(b, enforced)),
      };
    });
  }

  /**
   * Every refusal a block can meet that does not depend on the blocks already held: the target
   * itself, the addresses that manage the host (anti-lockout) and the protected ports. The API
   * asks this before the second factor is verified; block() asks it again.
   */
  checkBlock(request: BlockRequest, context: BlockContext): BlockDraft {
    const target = request.target;
    const canonical = canonicalTarget(target);
    const draft: Omit<Block, 'id' | 'createdAt' | 'expiresAt'> =
      target.kind === 'port'
        ? {
            kind: 'port',
            port: target.port,
            protocol: target.protocol,
            reason: request.reason,
            actor: context.actor,
          }
        : { kind: target.kind, target: canonical, reason: request.reason, actor: context.actor };
    const network = networkOf(draft);
    if (target.kind !== 'port' && !network)
      throw new HyperionError('validation', `not an IP ${target.kind}: ${canonical ?? '?'}`);
    if (network) {
      checkAddressBlock(network, [...LOOPBACK_GUARDS, ...context.sources, ...this.options.management]);
    } else if (target.kind === 'port') {
      const guard = checkPortBlock(target.port, target.protocol, context.protectedPorts, context.confirm);
      if (guard && !context.isAdmin) {
        throw new HyperionError(
          'role',
          `blocking ${target.protocol.toUpperCase()} port ${target.port} (${guard.why}) needs the admin role; ${context.actor} is not an admin`,
        );
      }
    }
    return { draft, network };
  }

  async block(request: BlockRequest, context: BlockContext): Promise<BlockView> {
    const { draft, network } = this.checkBlock(request, context);
    return this.exclusive(async () => {
      const blocks = this.live(this.options.store.load());
      if (blocks.length >= MAX_BLOCKS) {
        throw new HyperionError(
          'conflict',
          `host ${this.host.name} already has ${blocks.length} blocks, the most Hyperion holds per host; block a network instead, or remove some`,
        );
      }
      const clash = blocks.find((b) =>
        network
          ? overlaps(b, network)
          : b.kind === 'port' && b.port === draft.port && b.protocol === draft.protocol,
      );
      if (clash) {
        throw new HyperionError(
          'conflict',
          `${describeBlock(draft)} is already covered by block ${clash.id} (${describeBlock(clash)}, ${clash.reason}); remove that one first`,
          { extra: { existing: clash.id } },
        );
      }
      const now = this.now();
      const block: Block = {
        ...draft,
        id: randomBytes(6).toString('hex'),
        createdAt: new Date(now).toISOString(),
        expiresAt:
          request.durationSeconds === undefined
            ? null
            : new Date(now + request.durationSeconds * 1000).toISOString(),
      };
      const next = [...blocks, block];
      // Enforce first, then record: an answer of "blocked" is true in the kernel. If the save
      // fails, the next reconciliation removes the element nobody recorded.
      await this.sync(next);
      this.save(next);
      return this.toView(block, new Map([[block.id, null]]));
    });
  }

  async unblock(id: string): Promise<BlockView> {
    return this.exclusive(async () => {
      const blocks = this.live(this.options.store.load());
      const block = blocks.find((b) => b.id === id);
      if (!block) {
        throw new HyperionError(
          'not-found',
          `no block ${id} on host ${this.host.name} (it may have expired); GET /hosts/${this.host.name}/firewall lists them`,
        );
      }
      const next = blocks.filter((b) => b.id !== id);
      await this.sync(next);
      this.save(next);
      return { ...this.toView(block, new Map()), enforced: false };
    });
  }

  /**
   * Makes the kernel match the desired state: rebuilds a missing or altered table, restores
   * elements, drops expired blocks from the state. A host that never had a block is skipped.
   */
  async reconcile(): Promise<ReconcileReport> {
    return this.exclusive(async () => {
      const report: ReconcileReport = {
        at: new Date(this.now()).toISOString(),
        action: 'skipped',
        problems: [],
        expiredDropped: 0,
      };
      try {
        if (!this.options.store.exists()) return report;
        const stored = this.options.store.load();
        const blocks = this.live(stored);
        report.expiredDropped = stored.length - blocks.length;
        if (report.expiredDropped > 0) this.save(blocks);
        const table = await this.list();
        const structural = structureProblems(table);
        report.problems = structural.length > 0 ? structural : describeDiff(diffElements(table!, blocks));
        report.action = await this.sync(blocks, table);
        if (report.action !== 'none') {
          this.options.log.warn(
            { host: this.host.name, action: report.action, problems: report.problems },
            'firewall: the nftables table differed from the desired state; restored it',
          );
        }
      } catch (error) {
        report.action = 'failed';
        report.error = errorMessage(error);
        this.options.log.error(
          { host: this.host.name, err: report.error },
          'firewall: reconciliation failed',
        );
      }
      this.lastReconcile = report;
      return report;
    });
  }

  /** Whether this host's firewall was ever used (it has a desired state); untouched otherwise. */
  inUse(): boolean {
    return this.options.store.exists();
  }

  /** Live blocks per kind, from memory (for the metric). */
  counts(): Record<BlockKind, number> {
    return countByKind(this.live(this.cached));
  }

  private async sync(blocks: readonly Block[], listed?: NftTable): Promise<Change> {
    const table = listed ?? (await this.list());
    const now = this.now();
    if (structureProblems(table).length === 0) {
      const diff = diffElements(table!, blocks);
      if (isEmptyDiff(diff)) return 'none';
      try {
        await this.apply(patchCommands(diff.add, diff.remove, now));
        return 'patched';
      } catch (error) {
        // An element may have expired between the listing and the patch: start from scratch.
        this.options.log.info(
          { host: this.host.name, err: errorMessage(error) },
          'firewall: patch failed; rebuilding',
        );
      }
    }
    await this.apply(rebuildCommands(blocks, now));
    return 'rebuilt';
  }

  /** The table as nft lists it; undefined when it does not exist. */
  private async list(): Promise<NftTable | undefined> {
    const result = await this.nft(() =>
      this.host.privileged.nftList(TABLE_FAMILY, TABLE_NAME, NFT_TIMEOUT_MS),
    );
    if (result.code !== 0) {
      if (/No such file or directory/i.test(result.stderr)) return undefined;
      throw nftError('list the table', result.stderr);
    }
    return parseNftTable(result.stdout, TABLE_FAMILY, TABLE_NAME);
  }

  private async apply(transaction: ReturnType<typeof rebuildCommands>): Promise<void> {
    // The root agent hands the transaction to nft on a pipe (nft -j -f -).
    const result = await this.nft(() =>
      this.host.privileged.nftApply(JSON.stringify(transaction), NFT_TIMEOUT_MS),
    );
    if (result.code !== 0) throw nftError('apply the change', result.stderr);
  }

  /** nft through the host's root agent, its absence said in words. */
  private async nft(agent: () => Promise<RunResult>) {
    try {
      return await agent();
    } catch (error) {
      if (isHyperionError(error) && error.type === 'unsupported') {
        throw new HyperionError('unsupported', `nftables (nft) is not installed on host ${this.host.name}`);
      }
      throw error;
    }
  }

  private live(blocks: readonly Block[]): Block[] {
    const now = this.now();
    const live = blocks.filter((b) => remainingSeconds(b, now) !== 0);
    this.cached = live;
    return live;
  }

  private save(blocks: Block[]): void {
    this.options.store.save(blocks);
    this.cached = blocks;
  }

  private toView(b: Block, enforced: Map<string, number | null> | undefined): BlockView {
    const family = familyOf(b);
    return {
      id: b.id,
      kind: b.kind,
      ...(b.kind === 'address' ? { address: b.target } : {}),
      ...(b.kind === 'cidr' ? { cidr: b.target } : {}),
      ...(b.kind === 'port' ? { port: b.port, protocol: b.protocol } : {}),
      ...(family ? { family: family === 4 ? ('ipv4' as const) : ('ipv6' as const) } : {}),
      reason: b.reason,
      actor: b.actor,
      createdAt: b.createdAt,
      expiresAt: b.expiresAt,
      remainingSeconds: remainingSeconds(b, this.now()) ?? null,
      enforced: enforced ? enforced.has(b.id) : null,
    };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function overlaps(b: Block, network: NonNullable<ReturnType<typeof networkOf>>): boolean {
  const other = networkOf(b);
  return other !== undefined && networksOverlap(other, network);
}

function countByKind(blocks: readonly Block[]): Record<BlockKind, number> {
  const counts = Object.fromEntries(BLOCK_KINDS.map((k) => [k, 0])) as Record<BlockKind, number>;
  for (const b of blocks) counts[b.kind] += 1;
  return counts;
}

function describeDiff(diff: ReturnType<typeof diffElements>): string[] {
  return [
    ...diff.add.map((b) => `block ${b.id} (${describeBlock(b)}) is not in the kernel`),
    ...diff.remove.map((r) => `element in ${r.set} is not a live block`),
  ];
}

function nftError(what: string, stderr: string): HyperionError {
  const detail = stderr.trim().split('\n').slice(0, 3).join(' ').slice(0, 300);
  const hint = /Operation not permitted/i.test(detail)
    ? ' (the exporter needs CAP_NET_ADMIN for the firewall)'
    : '';
  return new HyperionError('unavailable', `nft could not ${what}: ${detail}${hint}`);
}
