/**
 * One pooled SSH connection to one host: connected on first use, kept open with SSH keep-alives,
 * reconnected on demand after it drops, with an exponential back-off after failed attempts (a
 * request during a back-off fails at once instead of hammering a dead host), and closed after
 * a long idle spell. The server must present the pinned host key; any other key refuses the
 * connection, logs an error and raises hyperion_ssh_host_key_mismatch.
 */
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import type { Logger } from 'pino';
import { HyperionError, errorMessage } from '../../util/errors.js';
import { fingerprintOf, hostKeyAlgorithms, type HostKey } from './host-key.js';
import type { ConnectResult, SshMetrics } from './metrics.js';
import { loadSsh2 } from './load-ssh2.js';

export type Credentials =
  { type: 'key'; privateKey: Buffer; passphrase?: string } | { type: 'agent'; socket: string };

export interface SshTarget {
  /** Inventory name, used in messages and metric labels. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Read when a connection is made, so a rotated key file needs no restart. */
  credentials(): Promise<Credentials>;
  /** The approved host key: the only one accepted. */
  hostKey: HostKey;
}

export interface ConnectionSettings {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  idleCloseMs: number;
}

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Why the last attempt failed (or the connection dropped), if it did. */
  lastError: string | null;
  /** While in a back-off: when the next attempt is allowed (ms since the epoch). */
  retryAt: number | null;
  hostKeyMismatch: boolean;
}

function classify(error: Error & { level?: string; code?: string }, mismatch: boolean): ConnectResult {
  if (mismatch) return 'host_key_mismatch';
  if (error.level === 'client-authentication') return 'auth_failed';
  if (error.level === 'client-timeout') return 'timeout';
  if (error.code === 'ECONNREFUSED') return 'refused';
  return 'error';
}

export class SshConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private state: ConnectionState = 'idle';
  private lastError: string | null = null;
  private retryAt = 0;
  private failures = 0;
  private mismatch = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The client this connection ended itself for being idle. */
  private idleClosed: Client | undefined;
  /** Listeners told when the connection goes away, so channel holders forget their channels. */
  private readonly downListeners = new Set<() => void>();
  /** Counts failures of any kind (connects, drops); /probe compares it before and after. */
  transportFailures = 0;

  constructor(
    private readonly target: SshTarget,
    private readonly settings: ConnectionSettings,
    private readonly metrics: SshMetrics,
    private readonly log: Logger,
  ) {}

  status(): ConnectionStatus {
    return {
      state: this.state,
      lastError: this.lastError,
      retryAt: this.state === 'backoff' ? this.retryAt : null,
      hostKeyMismatch: this.mismatch,
    };
  }

  onDown(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** The connected client: an existing one, the attempt under way, or a new attempt. */
  async get(): Promise<Client> {
    if (this.state === 'closed') {
      throw new HyperionError('unavailable', `host ${this.target.name} was removed or changed`);
    }
    this.touch();
    if (this.client) return this.client;
    if (this.connecting) return this.connecting;
    if (this.state === 'backoff' && Date.now() < this.retryAt) {
      this.transportFailures += 1; // a request refused for an unreachable host failed too
      const seconds = ((this.retryAt - Date.now()) / 1000).toFixed(1);
      throw new HyperionError(
        'unavailable',
        `host ${this.target.name} is unreachable (${this.lastError ?? 'connection failed'}); next attempt in ${seconds} s`,
      );
    }
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Opens a session channel running `command` (the workers' `exec /bin/sh`). */
  async exec(command: string): Promise<ClientChannel> {
    const client = await this.get();
    return new Promise((resolve, reject) => {
      client.exec(command, (error, channel) => {
        if (error) {
          reject(
            new HyperionError(
              'unavailable',
              `host ${this.target.name}: cannot open a channel: ${error.message}`,
            ),
          );
        } else resolve(channel);
      });
    });
  }

  /** Counts a failure seen by a channel (a request that timed out) for /probe. */
  noteFailure(): void {
    this.transportFailures += 1;
  }

  /** Ends the connection for good: the host was removed or its settings changed. */
  close(): void {
    this.state = 'closed';
    clearTimeout(this.idleTimer);
    this.client?.end();
    this.client = undefined;
    this.metrics.up.set({ host: this.target.name }, 0);
  }

  /** Marks the connection used: the idle close counts from the last use (a request on a kept channel too). */
  touch(): void {
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.idle(), this.settings.idleCloseMs);
      this.idleTimer.unref();
    }
  }

  private idle(): void {
    this.idleTimer = undefined;
    if (!this.client) return;
    this.log.debug({ host: this.target.name }, 'closing an idle SSH connection');
    this.idleClosed = this.client;
    this.client.end();
  }

  private connect(): Promise<Client> {
    this.state = 'connecting';
    return Promise.all([this.target.credentials(), loadSsh2()]).then(
      ([credentials, ssh2]) => this.open(credentials, ssh2.Client),
      (error: unknown) => Promise.reject(this.failed(error as Error, 'error')),
    );
  }

  private open(credentials: Credentials, SshClient: typeof Client): Promise<Client> {
    const { target, settings } = this;
    const pinned = Buffer.from(target.hostKey.key, 'base64');
    let presented: Buffer | undefined;
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: settings.connectTimeoutMs,
      keepaliveInterval: settings.keepaliveIntervalMs,
      keepaliveCountMax: settings.keepaliveCountMax,
      algorithms: { serverHostKey: hostKeyAlgorithms(target.hostKey.type) as never },
      hostVerifier: (blob: Buffer) => {
        presented = blob;
        return blob.equals(pinned);
      },
      ...(credentials.type === 'key'
        ? { privateKey: credentials.privateKey, passphrase: credentials.passphrase }
        : { agent: credentials.socket }),
    };
    return new Promise<Client>((resolve, reject) => {
      const client = new SshClient();
      let ready = false;
      let failed = false; // 'close' follows 'error': one failure is counted once
      client.once('ready', () => {
        ready = true;
        if (this.state === 'closed') {
          // Removed or changed while connecting: this connection belongs to nobody.
          client.end();
          reject(new HyperionError('unavailable', `host ${target.name} was removed or changed`));
          return;
        }
        this.client = client;
        this.state = 'ready';
        this.failures = 0;
        this.lastError = null;
        this.mismatch = false;
        this.metrics.connects.inc({ host: target.name, result: 'success' });
        this.metrics.up.set({ host: target.name }, 1);
        this.metrics.keyMismatch.set({ host: target.name }, 0);
        this.log.info(
          { host: target.name, address: `${target.address}:${target.port}` },
          'SSH connection ready',
        );
        resolve(client);
      });
      client.on('error', (error: Error) => {
        if (ready) {
          if (this.state === 'closed') return; // our own close() of a removed host
          this.lastError = errorMessage(error);
          this.log.warn({ host: target.name, err: this.lastError }, 'SSH connection error');
          return; // 'close' follows and does the rest
        }
        if (failed) return;
        failed = true;
        const mismatch = presented !== undefined && !presented.equals(pinned);
        reject(this.failed(error, classify(error, mismatch), presented));
        client.end();
      });
      client.on('close', () => {
        if (!ready) {
          // Closed before 'ready' without an 'error' (the server hung up during the handshake).
          if (!failed)
            reject(this.failed(new Error('the server closed the connection during the handshake'), 'error'));
          failed = true;
          return;
        }
        if (this.client === client) this.client = undefined;
        for (const listener of this.downListeners) listener();
        // A removed host's series are gone already (SshMetrics.forget): never bring them back.
        if (this.state === 'closed') return;
        this.state = 'idle';
        if (client !== this.idleClosed) this.transportFailures += 1; // our own idle close is no failure
        this.metrics.up.set({ host: target.name }, 0);
      });
      client.connect(config);
    });
  }

  /** Records a failed attempt (metrics, log, back-off) and returns the error to reject with. */
  private failed(error: Error, result: ConnectResult, presented?: Buffer): HyperionError {
    if (this.state === 'closed')
      return new HyperionError('unavailable', `host ${this.target.name} was removed`);
    const { target, settings } = this;
    this.transportFailures += 1;
    this.failures += 1;
    const delay = Math.min(settings.backoffMaxMs, settings.backoffInitialMs * 2 ** (this.failures - 1));
    this.state = 'backoff';
    this.retryAt = Date.now() + delay;
    this.metrics.connects.inc({ host: target.name, result });
    this.metrics.up.set({ host: target.name }, 0);
    if (result === 'host_key_mismatch') {
      this.mismatch = true;
      this.metrics.keyMismatch.set({ host: target.name }, 1);
      const seen = presented ? fingerprintOf(presented) : 'unknown';
      this.lastError =
        `host key mismatch: the server presented ${seen}, the pinned key is ${target.hostKey.fingerprint}; ` +
        'refusing to connect (an admin must approve a new key if this change is legitimate)';
      this.log.error(
        {
          host: target.name,
          address: `${target.address}:${target.port}`,
          presented: seen,
          pinned: target.hostKey.fingerprint,
        },
        'SSH HOST KEY MISMATCH: the host presented a different key than the one approved; refusing to connect (possible man-in-the-middle)',
      );
      return new HyperionError('unavailable', `host ${target.name}: ${this.lastError}`);
    }
    this.lastError =
      result === 'auth_failed' ? `authentication as ${target.user} failed` : errorMessage(error);
    this.log.warn(
      { host: target.name, result, err: this.lastError, retryInMs: delay },
      'SSH connection attempt failed',
    );
    return new HyperionError('unavailable', `host ${target.name} is unreachable: ${this.lastError}`);
  }
}
