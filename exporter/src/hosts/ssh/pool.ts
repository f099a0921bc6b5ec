/**
 * The workers of one host, and the cap on the channels they hold. Requests wait in line for a
 * free worker; a new one is started only when none is free and the cap allows. Lanes keep one
 * kind of work from starving the others: programs run through run() (a job may take an hour)
 * can never hold every worker, and statfs — which hangs on a dead network mount — gets one.
 */
import type { SshConnection } from './connection.js';
import { Worker } from './worker.js';
import { HyperionError } from '../../util/errors.js';

export type Lane = 'read' | 'statfs' | 'run';

interface Waiter {
  lane: Lane;
  resolve(worker: Worker): void;
  reject(error: Error): void;
}

export interface PoolSettings {
  /** Workers at most (channels, with the SFTP session's one kept apart). */
  maxWorkers: number;
  /** How long starting a worker may take (a slow login shell counts). */
  startTimeoutMs: number;
  /** Idle workers beyond the first are ended after this long. */
  idleMs: number;
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Lane>();
  private starting = 0;
  private readonly waiters: Waiter[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly connection: SshConnection,
    private readonly hostName: string,
    private readonly settings: PoolSettings,
  ) {}

  /** How many requests of a lane may be in flight at once. */
  private laneLimit(lane: Lane): number {
    const max = this.settings.maxWorkers;
    if (lane === 'statfs') return 1;
    if (lane === 'run') return Math.max(1, max - 2);
    return max;
  }

  private inLane(lane: Lane): number {
    let n = 0;
    for (const l of this.busy.values()) if (l === lane) n += 1;
    return n;
  }

  /** Runs `fn` with a worker of its own; the worker goes back to the pool afterwards. */
  async use<T>(lane: Lane, fn: (worker: Worker) => Promise<T>): Promise<T> {
    const worker = await this.acquire(lane);
    try {
      return await fn(worker);
    } finally {
      this.release(worker);
    }
  }

  get startTimeoutMs(): number {
    return this.settings.startTimeoutMs;
  }

  stats(): { idle: number; busy: number; starting: number; waiting: number } {
    return {
      idle: this.idle.length,
      busy: this.busy.size,
      starting: this.starting,
      waiting: this.waiters.length,
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const w of [...this.idle, ...this.busy.keys()]) w.destroy();
    this.idle.length = 0;
    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(new HyperionError('unavailable', `host ${this.hostName} was removed or changed`));
    }
  }

  private acquire(lane: Lane): Promise<Worker> {
    if (this.closed) {
      return Promise.reject(new HyperionError('unavailable', `host ${this.hostName} was removed or changed`));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ lane, resolve, reject });
      this.dispatch();
    });
  }

  private release(worker: Worker): void {
    this.busy.delete(worker);
    if (worker.alive && !this.closed) {
      this.idle.push(worker);
      this.armIdleTimer();
    }
    this.dispatch();
  }

  /** Hands free workers to waiters in order, starting workers where the cap allows. */
  private dispatch(): void {
    for (let i = 0; i < this.waiters.length;) {
      const waiter = this.waiters[i]!;
      if (this.inLane(waiter.lane) >= this.laneLimit(waiter.lane)) {
        i += 1; // this lane is full; later waiters of other lanes may still go
        continue;
      }
      const worker = this.idle.pop();
      if (worker) {
        this.waiters.splice(i, 1);
        this.busy.set(worker, waiter.lane);
        waiter.resolve(worker);
        continue;
      }
      const total = this.busy.size + this.starting;
      if (total >= this.settings.maxWorkers) return;
      // Start one for this waiter; it (or whoever is first then) gets it when it is ready.
      if (this.starting >= this.waitersWithoutWorker()) return;
      this.start();
      i += 1;
    }
  }

  private waitersWithoutWorker(): number {
    return this.waiters.filter((w) => this.inLane(w.lane) < this.laneLimit(w.lane)).length;
  }

  private start(): void {
    this.starting += 1;
    this.connection
      .exec('exec /bin/sh')
      .then((channel) => Worker.start(channel, this.hostName, this.settings.startTimeoutMs))
      .then(
        (worker) => {
          this.starting -= 1;
          worker.onClose(() => this.forget(worker));
          if (this.closed) {
            worker.destroy();
            return;
          }
          this.idle.push(worker);
          this.armIdleTimer();
          this.dispatch();
        },
        (error: Error) => {
          this.starting -= 1;
          // Nobody else can do better right now: every waiter learns why (host down, refused).
          if (this.busy.size + this.starting === 0) {
            for (const waiter of this.waiters.splice(0)) waiter.reject(error);
          } else {
            this.waiters.shift()?.reject(error);
          }
          this.dispatch();
        },
      );
  }

  private forget(worker: Worker): void {
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    this.busy.delete(worker);
  }

  /** Keeps one idle worker for the next probe; ends the others after a quiet spell. */
  private armIdleTimer(): void {
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      while (this.idle.length > 1) this.idle.shift()!.destroy();
    }, this.settings.idleMs);
    this.idleTimer.unref();
  }
}
