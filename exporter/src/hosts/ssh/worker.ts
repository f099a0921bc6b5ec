/**
 * A worker: one long-lived `/bin/sh` on the host, reading requests (script.ts) from its
 * standard input over one SSH channel. Starting it costs what every SSH command costs — a
 * session, the login shell and its start-up files, which on some hosts take seconds — once;
 * after that a request costs a write and the programs it runs. One request at a time; the
 * pool (pool.ts) hands workers out. A request that does not finish in time, or output that
 * breaks the protocol, ends the worker: its state is unknown, and a new one is cheap.
 */
import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { HyperionError } from '../../util/errors.js';
import { terminator, workerInit, type Marks } from './script.js';

export interface WorkerResponse {
  stdout: Buffer;
  stderr: string;
}

/** Collects one stream of a request and tells when its terminator arrived (always the last bytes). */
class Collector {
  private chunks: Buffer[] = [];
  private length = 0;
  private tail = Buffer.alloc(0);
  done = false;

  constructor(private readonly term: Buffer) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Only the last term.length bytes are kept for the check, so a large answer is not copied.
    this.tail = Buffer.concat([this.tail, chunk]);
    if (this.tail.length > this.term.length)
      this.tail = this.tail.subarray(this.tail.length - this.term.length);
    this.done = this.tail.equals(this.term);
  }

  /** Everything received so far (a request still running). */
  peek(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }

  /** The bytes before the terminator. */
  take(): Buffer {
    const all = Buffer.concat(this.chunks, this.length);
    return all.subarray(0, all.length - this.term.length);
  }
}

interface Pending {
  out: Collector;
  err: Collector;
  resolve(response: WorkerResponse): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class Worker {
  readonly marks: Marks = {
    mark: `hyperion-${randomBytes(12).toString('hex')}`,
    separator: `\n--hyperion-${randomBytes(16).toString('hex')}--\n`,
  };
  private seq = 0;
  private pending: Pending | undefined;
  private closed = false;
  private readonly closeListeners = new Set<() => void>();
  /** Bytes the channel sent while no request was pending: a protocol error. */
  private stray = false;

  private constructor(
    private readonly channel: ClientChannel,
    private readonly hostName: string,
  ) {
    channel.on('data', (chunk: Buffer) => this.onData('out', chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.onData('err', chunk));
    channel.on('close', () => this.handleClose());
    // A write after the far end closed raises EPIPE here: the close handler does the rest.
    channel.on('error', () => this.destroy());
  }

  /** Starts /bin/sh on an opened channel and runs the set-up request (script.workerInit). */
  static async start(channel: ClientChannel, hostName: string, timeoutMs: number): Promise<Worker> {
    const worker = new Worker(channel, hostName);
    try {
      await worker.send(0, workerInit(worker.marks), timeoutMs);
    } catch (error) {
      worker.destroy();
      throw new HyperionError(
        'unavailable',
        `host ${hostName}: cannot start a shell (needs /bin/sh, mktemp): ${(error as Error).message}`,
      );
    }
    return worker;
  }

  get alive(): boolean {
    return !this.closed;
  }

  onClose(listener: () => void): void {
    this.closeListeners.add(listener);
  }

  /** Runs one request; `build` gets the marks and the request's sequence number. */
  request(build: (marks: Marks, seq: number) => string, timeoutMs: number): Promise<WorkerResponse> {
    if (this.closed) return Promise.reject(this.lost());
    if (this.pending) return Promise.reject(new Error('worker busy: the pool handed it out twice'));
    this.seq += 1;
    let script: string;
    try {
      script = build(this.marks, this.seq);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.send(this.seq, script, timeoutMs);
  }

  /** What the pending request wrote to stdout so far (run() reads the program's pid from it). */
  partialStdout(): Buffer {
    return this.pending?.out.peek() ?? Buffer.alloc(0);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    // close() asks the server to end the channel; sh then sees end of input and exits,
    // removing its private directory.
    this.channel.close();
    this.fail(this.lost());
    for (const listener of this.closeListeners) listener();
  }

  private send(seq: number, script: string, timeoutMs: number): Promise<WorkerResponse> {
    return new Promise((resolve, reject) => {
      const term = Buffer.from(terminator(this.marks, seq));
      const timer = setTimeout(() => {
        const error = new HyperionError(
          'timeout',
          `host ${this.hostName} did not answer within ${timeoutMs} ms`,
        );
        this.fail(error);
        this.destroy();
      }, timeoutMs);
      this.pending = { out: new Collector(term), err: new Collector(term), resolve, reject, timer };
      this.channel.write(`${script}\n`);
    });
  }

  private onData(stream: 'out' | 'err', chunk: Buffer): void {
    const pending = this.pending;
    if (!pending) {
      this.stray = true;
      this.destroy();
      return;
    }
    (stream === 'out' ? pending.out : pending.err).push(chunk);
    if (pending.out.done && pending.err.done) {
      clearTimeout(pending.timer);
      this.pending = undefined;
      pending.resolve({ stdout: pending.out.take(), stderr: pending.err.take().toString('utf8') });
    }
  }

  private fail(error: Error): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(this.lost());
    for (const listener of this.closeListeners) listener();
  }

  private lost(): HyperionError {
    return new HyperionError(
      'unavailable',
      this.stray
        ? `host ${this.hostName}: the shell wrote outside a request; it was ended`
        : `host ${this.hostName}: the connection was lost before the answer arrived`,
    );
  }
}
