/**
 * The agents of one host: started on demand, each running one request at a time, at most
 * `max` at once, closed after being idle. A request that finds every agent busy waits its turn
 * for a bounded time and is then refused (503): file work can be slow (a large copy, a dead
 * network mount) but can never pile up without end, nor take the exporter's own threads — it
 * runs in the agents' processes.
 */
import { HyperionError } from '../../util/errors.js';
import { AgentConnection, type AgentTransport } from './connection.js';

export interface AgentPoolOptions {
  /** Starts one agent (a process, a channel). */
  launch(): Promise<AgentTransport>;
  hostName: string;
  /** Agents at once. */
  max: number;
  /** How long a request waits for a free agent before it is refused. */
  queueTimeoutMs: number;
  /** An agent nobody used for this long is closed. */
  idleMs: number;
  /** How long starting an agent (and its hello) may take. */
  startTimeoutMs: number;
  /** After the hello, before the agent's first request (e.g. telling a shared agent its secrets). */
  prepare?(connection: AgentConnection): Promise<void>;
}

interface Waiter {
  resolve(connection: AgentConnection): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class AgentPool {
  private readonly idle: { connection: AgentConnection; since: number }[] = [];
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: AgentPoolOptions) {}

  /** Runs `work` on an agent of its own; the agent goes back to the pool unless it broke. */
  async use<T>(work: (connection: AgentConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    try {
      return await work(connection);
    } finally {
      this.release(connection);
    }
  }

  /**
   * An agent for a stream (a download, an upload): kept until `done` is called, so the stream
   * may outlive the request handler that started it.
   */
  async hold(): Promise<{ connection: AgentConnection; done: () => void }> {
    const connection = await this.acquire();
    let released = false;
    return {
      connection,
      done: () => {
        if (released) return;
        released = true;
        this.release(connection);
      },
    };
  }

  /** Ends the idle agents: the next requests start new ones (e.g. with a new list of secrets). */
  recycle(): void {
    for (const { connection } of this.idle.splice(0)) connection.close();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const { connection } of this.idle.splice(0)) connection.close();
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.unavailable('the host was removed or changed'));
    }
  }

  private async acquire(): Promise<AgentConnection> {
    if (this.closed) throw this.unavailable('the host was removed or changed');
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      if (entry.connection.alive) {
        this.running += 1;
        return entry.connection;
      }
    }
    if (this.running < this.options.max) {
      this.running += 1;
      try {
        return await this.start();
      } catch (error) {
        this.running -= 1;
        this.wakeNext();
        throw error;
      }
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(
            new HyperionError(
              'unavailable',
              `host ${this.options.hostName}: all ${this.options.max} file agents are busy; try again shortly`,
              { extra: { retryAfterSeconds: 5 } },
            ),
          );
        }, this.options.queueTimeoutMs),
      };
      this.waiting.push(waiter);
    });
  }

  private release(connection: AgentConnection): void {
    const next = this.waiting.shift();
    if (connection.alive && !connection.busy && !this.closed) {
      if (next) {
        clearTimeout(next.timer);
        next.resolve(connection);
        return;
      }
      this.running -= 1;
      this.idle.push({ connection, since: Date.now() });
      this.sweep();
      return;
    }
    if (connection.busy) connection.close(); // left mid-request: it cannot be reused
    this.running -= 1;
    if (next) {
      this.waiting.unshift(next);
      this.wakeNext();
    }
  }

  /** A slot freed: start an agent for the first waiter. */
  private wakeNext(): void {
    const next = this.waiting.shift();
    if (!next) return;
    clearTimeout(next.timer);
    this.running += 1;
    this.start().then(next.resolve, (error: unknown) => {
      this.running -= 1;
      next.reject(error as Error);
      this.wakeNext();
    });
  }

  private async start(): Promise<AgentConnection> {
    const transport = await this.options.launch();
    const connection = new AgentConnection(transport, this.options.hostName);
    try {
      const [name, protocol] = await connection.call('hello', [], this.options.startTimeoutMs);
      if (name !== 'hyperion-agent' || protocol !== '1') {
        throw new HyperionError(
          'unavailable',
          `host ${this.options.hostName}: the file agent speaks another protocol (${name} ${protocol})`,
        );
      }
      await this.options.prepare?.(connection);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  private sweep(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        for (let i = this.idle.length - 1; i >= 0; i -= 1) {
          const entry = this.idle[i]!;
          if (now - entry.since >= this.options.idleMs || !entry.connection.alive) {
            this.idle.splice(i, 1);
            entry.connection.close();
          }
        }
        if (this.idle.length === 0) {
          clearInterval(this.sweeper);
          this.sweeper = undefined;
        }
      },
      Math.max(1000, this.options.idleMs / 4),
    );
    this.sweeper.unref();
  }

  private unavailable(why: string): HyperionError {
    return new HyperionError('unavailable', `host ${this.options.hostName}: ${why}`);
  }
}
