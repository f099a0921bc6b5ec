/**
 * The SSH hosts this exporter supervises, kept in the data directory (hosts.json): address,
 * port, login user, how to authenticate, privilege mode, labels, and the pinned host key.
 *
 * Key pinning: adding a host fetches the key its server presents and keeps it as *pending*;
 * the host cannot be used — no route, no /probe, not in /api/v1/targets — until an admin
 * approves exactly that fingerprint. A key that changes later is refused on every connection
 * (logged as an error, hyperion_ssh_host_key_mismatch 1) until an admin fetches the new key
 * again (rescan) and approves it.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DataDir } from '../storage/data-dir.js';
import { HyperionError, errorMessage } from '../util/errors.js';
import type { HostRegistry } from './host-registry.js';
import type { SecretPaths } from './agent/launch.js';
import { SshHost, type Privilege, type SshHostSettings } from './ssh-host.js';
import type { SshConfig } from './ssh/config.js';
import type { ConnectionStatus, Credentials } from './ssh/connection.js';
import { fetchHostKey, type HostKey } from './ssh/host-key.js';
import type { SshMetrics } from './ssh/metrics.js';
import { loadSsh2 } from './ssh/load-ssh2.js';

export const INVENTORY_FILE = 'hosts.json';

const hostKeySchema = z.object({ type: z.string(), key: z.string(), fingerprint: z.string() }).strict();

const authSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('key'), privateKeyFile: z.string(), passphraseFile: z.string().optional() })
    .strict(),
  z.object({ type: z.literal('agent'), socket: z.string() }).strict(),
]);

const entrySchema = z
  .object({
    name: z.string(),
    address: z.string(),
    port: z.number().int(),
    user: z.string(),
    auth: authSchema,
    privilege: z.enum(['root', 'sudo']),
    labels: z.record(z.string(), z.string()),
    /** The approved key: the only one a connection accepts. Null until approved. */
    hostKey: hostKeySchema.nullable(),
    /** A key fetched and waiting for an admin's approval. */
    pendingHostKey: hostKeySchema.nullable(),
    addedAt: z.string(),
    addedBy: z.string(),
    approvedAt: z.string().nullable(),
    approvedBy: z.string().nullable(),
  })
  .strict();

const fileSchema = z.object({ version: z.literal(1), hosts: z.array(entrySchema) }).strict();

export type InventoryEntry = z.infer<typeof entrySchema>;
export type AuthSettings = InventoryEntry['auth'];

/** What an admin gives to add a host (validated at the API edge). */
export interface HostInput {
  name: string;
  address: string;
  port: number;
  user: string;
  auth: AuthSettings;
  privilege: Privilege;
  labels: Record<string, string>;
}

export type HostChange = Partial<Omit<HostInput, 'name'>>;

/**
 * A host as the API shows it. Never a secret; and the paths of the files that hold one (the
 * private key, its passphrase, the agent's socket) only to admins — to anyone else, only how
 * the exporter authenticates.
 */
export interface HostView {
  name: string;
  kind: 'ssh';
  address: string;
  port: number;
  user: string;
  auth: AuthSettings | { type: AuthSettings['type'] };
  privilege: Privilege;
  labels: Record<string, string>;
  approved: boolean;
  hostKey: { type: string; fingerprint: string } | null;
  pendingHostKey: { type: string; fingerprint: string } | null;
  connection: ConnectionStatus | null;
  addedAt: string;
  addedBy: string;
  approvedAt: string | null;
  approvedBy: string | null;
}

export interface InventoryOptions {
  dir: DataDir;
  config: SshConfig;
  metrics: SshMetrics;
  log: Logger;
  /**
   * Where the hosts live (hosts/host-registry.ts): the inventory puts each entry there, ready or
   * pending, and the registry disposes of what the old one had when it is changed or removed.
   */
  registry: HostRegistry;
  /** Told when a host is added, changed or removed (the key files the agents refuse may change). */
  onChange?(name: string): void;
  /** How long fetching a host key may take (connect + key exchange). */
  fetchTimeoutMs?: number;
  /** What the hosts' file agents must never serve. */
  secrets?: () => SecretPaths;
}

function keyView(key: HostKey | null): { type: string; fingerprint: string } | null {
  return key ? { type: key.type, fingerprint: key.fingerprint } : null;
}

/** Reads the credentials the exporter logs in with; a problem is a 400 naming the file. */
async function loadCredentials(auth: AuthSettings): Promise<Credentials> {
  if (auth.type === 'agent') {
    try {
      if (!statSync(auth.socket).isSocket()) throw new Error('not a socket');
    } catch (error) {
      throw new HyperionError('bad-request', `SSH agent socket ${auth.socket}: ${errorMessage(error)}`, {
        field: 'body/auth/socket',
      });
    }
    return { type: 'agent', socket: auth.socket };
  }
  const read = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new HyperionError('bad-request', `cannot read ${file} on the exporter's machine (${code})`, {
        field,
      });
    }
  };
  const privateKey = read(auth.privateKeyFile, 'body/auth/privateKeyFile');
  const passphrase = auth.passphraseFile
    ? read(auth.passphraseFile, 'body/auth/passphraseFile')
        .toString('utf8')
        .replace(/\r?\n$/, '')
    : undefined;
  // Parsed here so a wrong file or passphrase is a clear 400 now, not a failed login later.
  // The message never quotes the file: it may be anything the exporter can read.
  const parsed = (await loadSsh2()).utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) {
    const why = /passphrase|encrypted/i.test(parsed.message)
      ? 'it is encrypted and the passphrase is missing or wrong'
      : 'it is not a private key ssh2 can read (OpenSSH, PEM or PPK format)';
    throw new HyperionError('bad-request', `${auth.privateKeyFile}: ${why}`, {
      field: 'body/auth/privateKeyFile',
    });
  }
  return passphrase === undefined ? { type: 'key', privateKey } : { type: 'key', privateKey, passphrase };
}

/** Why a host cannot be used yet: what GET /hosts/{host} and every route on it say. */
function pendingReason(entry: InventoryEntry): string {
  return `host ${entry.name} cannot be used until an admin approves its host key (${entry.pendingHostKey?.fingerprint ?? 'none fetched'}): POST /api/v1/hosts/${entry.name}/approve`;
}

export class Inventory {
  private entries: InventoryEntry[];
  private readonly settings: Omit<SshHostSettings, 'privilege'>;

  constructor(private readonly options: InventoryOptions) {
    const { config } = options;
    this.settings = {
      connectTimeoutMs: config.connectTimeoutSeconds * 1000,
      keepaliveIntervalMs: config.keepaliveIntervalSeconds * 1000,
      keepaliveCountMax: config.keepaliveCountMax,
      backoffInitialMs: config.backoffInitialSeconds * 1000,
      backoffMaxMs: config.backoffMaxSeconds * 1000,
      idleCloseMs: config.idleCloseSeconds * 1000,
      maxChannels: config.maxChannels,
      commandTimeoutMs: config.commandTimeoutSeconds * 1000,
      agentPath: config.agentPath,
      ...(options.secrets ? { secrets: options.secrets } : {}),
    };
    this.entries = options.dir.readJson(INVENTORY_FILE, fileSchema, { version: 1, hosts: [] }).hosts;
    // A removed host's connection series go with it.
    options.registry.onRemoved((name) => options.metrics.forget(name));
    for (const entry of this.entries) {
      options.metrics.register(entry.name);
      this.place(entry);
    }
  }

  /** The SSH host the registry holds under that name, when it is usable. */
  private host(name: string): SshHost | undefined {
    const host = this.options.registry.find(name);
    return host instanceof SshHost ? host : undefined;
  }

  // --- Queries ------------------------------------------------------------------------------

  /** The hosts; `withPaths` only for admins (see HostView). */
  views(withPaths = false): HostView[] {
    return this.entries.map((e) => this.view(e, withPaths));
  }

  get(name: string, withPaths = false): HostView {
    return this.view(this.require(name), withPaths);
  }

  /** The files the exporter authenticates with: never served by the files API, on any host. */
  secretFiles(): string[] {
    return this.entries.flatMap((e) =>
      e.auth.type === 'key'
        ? [e.auth.privateKeyFile, ...(e.auth.passphraseFile ? [e.auth.passphraseFile] : [])]
        : [e.auth.socket],
    );
  }

  /** Approved hosts with their labels: what /api/v1/targets and /probe serve. */
  approved(): InventoryEntry[] {
    return this.entries.filter((e) => this.host(e.name) !== undefined);
  }

  /** The host /probe?target=NAME collects from; a 400 for a name that cannot be probed. */
  probeTarget(name: string): SshHost {
    const host = this.host(name);
    if (host) return host;
    const entry = this.entry(name);
    throw new HyperionError(
      'bad-request',
      entry
        ? `target ${name} awaits approval of its host key; it cannot be probed yet`
        : `unknown target "${name}": not in the inventory (GET /api/v1/hosts lists it)`,
      { field: 'query/target' },
    );
  }

  // --- Changes (admin, audited by the API) ------------------------------------------------------

  /** The refusals of an add that need no connection: the name taken, credentials unreadable. */
  async checkAdd(input: Pick<HostInput, 'name' | 'auth'>): Promise<void> {
    if (this.entry(input.name))
      throw new HyperionError('conflict', `host ${input.name} is already in the inventory`);
    await loadCredentials(input.auth);
  }

  /** The refusals of a change that need no connection: unknown host, credentials unreadable. */
  async checkChange(name: string, change: HostChange): Promise<void> {
    this.require(name);
    if (change.auth) await loadCredentials(change.auth);
  }

  /** Refuses an unknown host name. */
  checkKnown(name: string): void {
    this.require(name);
  }

  async add(input: HostInput, actor: string): Promise<HostView> {
    await this.checkAdd(input);
    const key = await this.fetchKey(input.address, input.port);
    // Checked again: another add of the same name may have finished while the key was fetched.
    if (this.entry(input.name))
      throw new HyperionError('conflict', `host ${input.name} is already in the inventory`);
    const entry: InventoryEntry = {
      ...input,
      hostKey: null,
      pendingHostKey: key,
      addedAt: new Date().toISOString(),
      addedBy: actor,
      approvedAt: null,
      approvedBy: null,
    };
    this.entries = [...this.entries, entry];
    this.save();
    this.place(entry);
    this.options.onChange?.(entry.name);
    this.options.metrics.register(entry.name);
    this.options.log.info(
      { host: entry.name, address: `${entry.address}:${entry.port}`, fingerprint: key.fingerprint, actor },
      'host added; its host key awaits approval',
    );
    return this.view(entry, true);
  }

  /** Pins the pending key, if it is the one the admin compared (fingerprint). */
  /** Refuses an approval that cannot succeed: no key awaiting, or another fingerprint. */
  checkApprove(name: string, fingerprint: string): InventoryEntry {
    const entry = this.require(name);
    const pending = entry.pendingHostKey;
    if (!pending) {
      throw new HyperionError(
        'conflict',
        `host ${name} has no key awaiting approval${entry.hostKey ? ` (approved: ${entry.hostKey.fingerprint})` : ''}; fetch it again with POST /api/v1/hosts/${name}/rescan`,
      );
    }
    if (pending.fingerprint !== fingerprint) {
      throw new HyperionError(
        'conflict',
        `the fingerprint given does not match the key host ${name} presented (${pending.fingerprint}); nothing was approved`,
        { field: 'body/fingerprint' },
      );
    }
    return entry;
  }

  approve(name: string, fingerprint: string, actor: string): HostView {
    const entry = this.checkApprove(name, fingerprint);
    const updated: InventoryEntry = {
      ...entry,
      hostKey: entry.pendingHostKey,
      pendingHostKey: null,
      approvedAt: new Date().toISOString(),
      approvedBy: actor,
    };
    this.replace(updated);
    this.host(name)?.warmUp();
    this.options.log.info({ host: name, fingerprint, actor }, 'host key approved');
    return this.view(updated, true);
  }

  /** Fetches the host's key again, after a legitimate change (a reinstalled server). */
  async rescan(name: string, actor: string): Promise<HostView> {
    const entry = this.require(name);
    const key = await this.fetchKey(entry.address, entry.port);
    const current = this.require(name);
    const same = current.hostKey?.key === key.key;
    const updated: InventoryEntry = { ...current, pendingHostKey: same ? null : key };
    this.entries = this.entries.map((e) => (e.name === name ? updated : e));
    this.save();
    // An approved host stays usable with its pinned key until the new one is approved.
    if (!updated.hostKey) this.place(updated);
    this.options.log.info(
      { host: name, fingerprint: key.fingerprint, unchanged: same, actor },
      'host key fetched again',
    );
    return this.view(updated, true);
  }

  async change(name: string, change: HostChange, actor: string): Promise<HostView> {
    const entry = this.require(name);
    const next: InventoryEntry = { ...entry, ...change };
    if (change.auth) await loadCredentials(change.auth);
    const moved = next.address !== entry.address || next.port !== entry.port;
    if (moved) {
      // Another address is another server until its key says otherwise.
      const key = await this.fetchKey(next.address, next.port);
      if (entry.hostKey?.key !== key.key) {
        next.hostKey = null;
        next.pendingHostKey = key;
        next.approvedAt = null;
        next.approvedBy = null;
      } else next.pendingHostKey = null;
    }
    this.require(name); // still there after the fetch
    if (Object.keys(change).every((k) => k === 'labels')) {
      // Labels are Prometheus' business: the connection and the managers stay as they are.
      this.entries = this.entries.map((e) => (e.name === name ? next : e));
      this.save();
    } else this.replace(next);
    this.options.log.info({ host: name, actor, fields: Object.keys(change) }, 'host changed');
    return this.view(next, true);
  }

  remove(name: string, actor: string): void {
    this.require(name);
    this.entries = this.entries.filter((e) => e.name !== name);
    this.save();
    this.options.registry.remove(name);
    this.options.onChange?.(name);
    this.options.log.info({ host: name, actor }, 'host removed');
  }

  /** Ends every connection (shutdown). */
  close(): void {
    this.options.registry.close();
  }

  // --- Internals ----------------------------------------------------------------------------

  private entry(name: string): InventoryEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  private require(name: string): InventoryEntry {
    const entry = this.entry(name);
    if (!entry)
      throw new HyperionError('not-found', `host ${name} is not in the inventory`, { field: 'params/host' });
    return entry;
  }

  private replace(entry: InventoryEntry): void {
    this.entries = this.entries.map((e) => (e.name === entry.name ? entry : e));
    this.save();
    this.place(entry);
    this.options.onChange?.(entry.name);
  }

  /**
   * Puts the entry in the registry: a new connection when its key is approved, a pending state
   * otherwise. Either way, what the registry held under the name before is disposed of.
   */
  private place(entry: InventoryEntry): void {
    if (!entry.hostKey) {
      this.options.registry.setPending(entry.name, pendingReason(entry));
      return;
    }
    const hostKey = entry.hostKey;
    const auth = entry.auth;
    const host = new SshHost(
      {
        name: entry.name,
        address: entry.address,
        port: entry.port,
        user: entry.user,
        hostKey,
        credentials: () => loadCredentials(auth),
      },
      { ...this.settings, privilege: entry.privilege },
      this.options.metrics,
      this.options.log,
    );
    this.options.registry.setReady(host);
  }

  private fetchKey(address: string, port: number): Promise<HostKey> {
    return fetchHostKey({
      address,
      port,
      timeoutMs: this.options.fetchTimeoutMs ?? this.settings.connectTimeoutMs,
    });
  }

  private save(): void {
    this.options.dir.writeJson(INVENTORY_FILE, { version: 1, hosts: this.entries });
  }

  private view(entry: InventoryEntry, withPaths: boolean): HostView {
    const host = this.host(entry.name);
    return {
      name: entry.name,
      kind: 'ssh',
      address: entry.address,
      port: entry.port,
      user: entry.user,
      auth: withPaths ? entry.auth : { type: entry.auth.type },
      privilege: entry.privilege,
      labels: entry.labels,
      approved: host !== undefined,
      hostKey: keyView(entry.hostKey),
      pendingHostKey: keyView(entry.pendingHostKey),
      connection: host ? host.status() : null,
      addedAt: entry.addedAt,
      addedBy: entry.addedBy,
      approvedAt: entry.approvedAt,
      approvedBy: entry.approvedBy,
    };
  }
}
