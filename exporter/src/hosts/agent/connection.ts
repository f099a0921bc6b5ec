/**
 * One running agent (a local child process, or one SSH channel to a remote host) and the
 * requests it answers, one at a time: a request, then its answer frames. An `err` answer becomes
 * an Error carrying the errno name in `code` (as Node's own fs errors do, so one mapping serves
 * both), a `refused` answer an AgentRefusal. A request that outlives its time limit ends the
 * agent: whatever it was stuck on (a dead network mount) stays with that process, never with
 * the exporter.
 */
import { Readable, Writable } from 'node:stream';
import { HyperionError } from '../../util/errors.js';
import { FrameReader, encodeFrame, textFields, type AnswerFrame } from './protocol.js';

/** How the exporter reaches one agent. */
export interface AgentTransport {
  /** Bytes to the agent. */
  input: NodeJS.WritableStream;
  /** Bytes from the agent. */
  output: NodeJS.ReadableStream & { pause(): unknown; resume(): unknown };
  /** Ends the agent for good (kills the process, closes the channel). */
  close(): void;
  /** Called once when the agent is gone, with what its stderr said last, if anything. */
  onGone(listener: (why: string) => void): void;
  /**
   * Whether the agent keeps the exporter's event loop alive: only while it works on a request,
   * so an idle agent never holds up a process that is done (a test, a CLI command).
   */
  hold?(busy: boolean): void;
}

/** Why the agent refused a request: the reason code it gave, and its message. */
export class AgentRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentRefusal';
  }
}

export function isAgentRefusal(error: unknown): error is AgentRefusal {
  return error instanceof AgentRefusal;
}

/** An errno failure reported by the agent, shaped like Node's (code = "ENOENT"…). */
export function errnoError(code: string, message: string, path?: string): NodeJS.ErrnoException {
  const error = new Error(message) as NodeJS.ErrnoException;
  error.code = /^E[A-Z0-9]+$/.test(code) ? code : 'EIO';
  if (path !== undefined) error.path = path;
  return error;
}

/** A verb done as `user` (the agent's `as` verb), or as the agent itself when user is undefined. */
export function asUser(user: string | undefined, verb: string, args: readonly string[]): [string, string[]] {
  return user === undefined ? [verb, [...args]] : ['as', [user, verb, ...args]];
}

interface Pending {
  onFrame(frame: AnswerFrame): void;
  fail(error: Error): void;
}

/** Chunks sent to the agent stay well below its 1 MiB request limit. */
const WRITE_CHUNK = 256 * 1024;

export class AgentConnection {
  private readonly reader = new FrameReader();
  private pending: { id: number; handler: Pending } | undefined;
  private nextId = 1;
  private gone: Error | undefined;
  private readonly goneListeners = new Set<() => void>();

  constructor(
    private readonly transport: AgentTransport,
    private readonly hostName: string,
  ) {
    transport.output.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.onGone((why) => this.end(this.lost(why)));
  }

  get alive(): boolean {
    return this.gone === undefined;
  }

  /** Whether a request is running on it. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  onGone(listener: () => void): void {
    this.goneListeners.add(listener);
  }

  close(): void {
    this.end(this.lost('closed'));
  }

  /**
   * A request answered with one `ok` frame: its text fields. Aborting `signal` ends the agent
   * (a root agent kills the program it runs when the exporter hangs up).
   */
  call(verb: string, args: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const timer = this.limit(timeoutMs, verb, reject);
      const onAbort = () =>
        this.end(new HyperionError('unavailable', `${verb} was stopped before it finished`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.send(verb, args, {
        onFrame: (frame) => {
          this.settle();
          done();
          if (frame.status === 'ok') resolve(textFields(frame.rest));
          else reject(this.failure(frame));
        },
        fail: (error) => {
          done();
          reject(error);
        },
      });
      if (signal?.aborted) onAbort();
    });
  }

  /** A request answered with one `ok` frame: its payload after the status, as bytes. */
  async request(verb: string, args: readonly string[], timeoutMs: number): Promise<Buffer> {
    const [frame] = await this.pipeline([{ verb, args }], timeoutMs);
    if (frame!.status !== 'ok') throw this.failure(frame!);
    return frame!.rest;
  }

  /**
   * Several requests written at once and answered in order: one round trip for all of them (a
   * scrape's reads). Resolves with one answer frame per request, whatever its status; `failure`
   * turns one that is not `ok` into its error.
   */
  pipeline(requests: readonly AgentRequest[], timeoutMs: number): Promise<AnswerFrame[]> {
    return new Promise((resolve, reject) => {
      const answers: AnswerFrame[] = [];
      const timer = this.limit(timeoutMs, requests.map((r) => r.verb).join(', '), reject);
      this.sendAll(requests, {
        onFrame: (frame) => {
          answers.push(frame);
          if (answers.length < requests.length) {
            this.pending!.id += 1;
            return;
          }
          this.settle();
          clearTimeout(timer);
          resolve(answers);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /**
   * A read: the `ok` frame's fields (what was opened), then the bytes as a stream. The stream
   * pauses the agent when its reader is slow; `idleMs` without progress ends the agent.
   */
  read(
    args: readonly string[],
    idleMs: number,
    user?: string,
  ): Promise<{ fields: string[]; stream: Readable }> {
    return new Promise((resolve, reject) => {
      let stream: Readable | undefined;
      const timer = this.limit(idleMs, 'read', (error) => (stream ? stream.destroy(error) : reject(error)));
      const output = this.transport.output;
      this.send(...asUser(user, 'read', args), {
        onFrame: (frame) => {
          timer.refresh();
          if (!stream) {
            if (frame.status !== 'ok') {
              this.settle();
              clearTimeout(timer);
              reject(this.failure(frame));
              return;
            }
            stream = new Readable({
              read: () => {
                timer.refresh(); // a reader taking bytes is progress too
                output.resume();
              },
              destroy: (error, callback) => {
                clearTimeout(timer);
                // A reader that stops early leaves the agent mid-file: it cannot be reused.
                if (this.pending) this.close();
                output.resume();
                callback(error);
              },
            });
            resolve({ fields: textFields(frame.rest), stream });
            return;
          }
          if (frame.status === 'data') {
            if (!stream.push(frame.rest)) output.pause();
            return;
          }
          this.settle();
          clearTimeout(timer);
          if (frame.status === 'end') stream.push(null);
          else stream.destroy(this.failure(frame));
        },
        fail: (error) => {
          clearTimeout(timer);
          if (stream) stream.destroy(error);
          else reject(error);
        },
      });
    });
  }

  /**
   * A new file: resolves, once the agent created it, with a stream taking its bytes. Ending the
   * stream makes the agent sync and close the file (the stream finishes when it has); destroying
   * it makes the agent remove what it wrote.
   */
  write(args: readonly string[], idleMs: number, user?: string): Promise<Writable> {
    return new Promise((resolve, reject) => {
      let finished: ((error?: Error | null) => void) | undefined;
      let sink: Writable | undefined;
      let id = 0;
      const timer = this.limit(idleMs, 'write', (error) => (sink ? sink.destroy(error) : reject(error)));
      id = this.send(...asUser(user, 'write', args), {
        onFrame: (frame) => {
          timer.refresh();
          if (!sink) {
            if (frame.status !== 'ok') {
              this.settle();
              clearTimeout(timer);
              reject(this.failure(frame));
              return;
            }
            sink = new Writable({
              write: (chunk: Buffer, _encoding, callback) => {
                timer.refresh();
                for (let at = 0; at < chunk.length; at += WRITE_CHUNK) {
                  this.transport.input.write(
                    encodeFrame([String(id), 'data', chunk.subarray(at, at + WRITE_CHUNK)]),
                  );
                }
                callback();
              },
              final: (callback) => {
                finished = callback;
                this.transport.input.write(encodeFrame([String(id), 'end']));
              },
              destroy: (error, callback) => {
                clearTimeout(timer);
                if (this.pending?.id === id) {
                  if (error) this.transport.input.write(encodeFrame([String(id), 'abort']));
                  // The agent answers the abort (or the end) on its own; this side stops waiting.
                  if (!finished) this.close();
                }
                callback(error);
              },
            });
            resolve(sink);
            return;
          }
          this.settle();
          clearTimeout(timer);
          const done = finished;
          finished = undefined;
          if (frame.status === 'ok') done?.();
          else {
            const error = this.failure(frame);
            if (done) done(error);
            else sink.destroy(error);
          }
        },
        fail: (error) => {
          clearTimeout(timer);
          if (finished) finished(error);
          else if (sink) sink.destroy(error);
          else reject(error);
        },
      });
    });
  }

  private limit(ms: number, verb: string, fail: (error: Error) => void): NodeJS.Timeout {
    return setTimeout(() => {
      const error = new HyperionError(
        'timeout',
        `host ${this.hostName}: the agent's ${verb} did not finish within ${Math.round(ms / 1000)} s`,
      );
      fail(error);
      this.end(error);
    }, ms);
  }

  private send(verb: string, args: readonly string[], handler: Pending): number {
    return this.sendAll([{ verb, args }], handler);
  }

  /** Writes the requests at once (ids in sequence) and waits for their answers; the first id. */
  private sendAll(requests: readonly AgentRequest[], handler: Pending): number {
    if (this.gone) {
      handler.fail(this.gone);
      return 0;
    }
    if (this.pending) throw new Error('agent connection: one request at a time');
    const id = this.nextId;
    this.nextId += requests.length;
    this.pending = { id, handler };
    this.transport.hold?.(true);
    try {
      const frames = requests.map((r, i) => encodeFrame([String(id + i), r.verb, ...r.args]));
      this.transport.input.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
    } catch (error) {
      this.pending = undefined;
      handler.fail(error as Error);
    }
    return id;
  }

  private settle(): void {
    this.pending = undefined;
    this.transport.hold?.(false);
  }

  private onData(chunk: Buffer): void {
    let frames: AnswerFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.end(new HyperionError('unavailable', `host ${this.hostName}: agent: ${(error as Error).message}`));
      return;
    }
    for (const frame of frames) {
      const pending = this.pending;
      // An answer to nothing asked: the stream cannot be trusted any more.
      if (!pending || pending.id !== frame.id) {
        this.end(new HyperionError('unavailable', `host ${this.hostName}: the agent answered out of turn`));
        return;
      }
      pending.handler.onFrame(frame);
    }
  }

  /** The error an answer that is not `ok` stands for (see answerError). */
  failure(frame: AnswerFrame): Error {
    return answerError(frame, this.hostName);
  }

  private lost(why: string): HyperionError {
    return new HyperionError(
      'unavailable',
      `host ${this.hostName}: the agent stopped${why ? ` (${why.slice(0, 300)})` : ''}`,
    );
  }

  private end(error: Error): void {
    if (this.gone) return;
    this.gone = error;
    const pending = this.pending;
    this.pending = undefined;
    this.transport.hold?.(false);
    pending?.handler.fail(error);
    this.transport.close();
    for (const listener of this.goneListeners) listener();
  }
}

/** One request of a pipeline: a verb of the protocol and its arguments. */
export interface AgentRequest {
  verb: string;
  args: readonly string[];
}

/** The error an answer that is not `ok` stands for: errno, refusal, or a broken answer. */
export function answerError(frame: AnswerFrame, hostName: string): Error {
  const [code = 'EIO', message = 'the agent gave no reason'] = textFields(frame.rest);
  if (frame.status === 'err') return errnoError(code, message);
  if (frame.status === 'refused') return new AgentRefusal(code, message);
  return new HyperionError('unavailable', `host ${hostName}: unexpected agent answer "${frame.status}"`);
}
