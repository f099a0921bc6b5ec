/**
 * Starting a server for a benchmark and being sure it is gone afterwards. A server counts as
 * ready when a line of its stderr says so; until then its output is kept for the error message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Cleanup } from './cleanup.js';

const KEEP_OUTPUT_CHARS = 16 * 1024;

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** The pid of the program itself: spawned directly, never through a shell or a wrapper. */
  readonly pid: number;
  /** The last few kilobytes of stderr, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartSpec<T> {
  label: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Looks at each stderr line; a defined result means the server is ready. */
  ready(line: string): T | undefined;
  timeoutMs: number;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const tooLate = await Promise.race([gone.then(() => false), late]);
  clearTimeout(timer);
  if (tooLate && !exited(child)) {
    child.kill('SIGKILL');
    await gone;
  }
}

export async function startProcess<T>(
  cleanup: Cleanup,
  spec: StartSpec<T>,
): Promise<{ process: ManagedProcess; ready: T }> {
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  const stop = cleanup.add(spec.label, () => terminate(child, 5000));
  const handle: ManagedProcess = {
    child,
    get pid() {
      return child.pid ?? -1;
    },
    output: () => output,
    stop,
  };

  const ready = await new Promise<T>((resolve, reject) => {
    let pending = '';
    let done = false;
    const finish = (error: Error | undefined, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value as T);
    };
    const timer = setTimeout(
      () => finish(new Error(`${spec.label} was not ready within ${spec.timeoutMs} ms:\n${output}`)),
      spec.timeoutMs,
    );
    child.once('error', (error) => finish(new Error(`${spec.label}: ${error.message}`)));
    child.once('exit', (code, signal) =>
      finish(new Error(`${spec.label} exited (${code ?? signal}) before it was ready:\n${output}`)),
    );
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      // Always drained, so a chatty server never blocks on a full pipe during the measurement.
      output = (output + chunk).slice(-KEEP_OUTPUT_CHARS);
      if (done) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const value = spec.ready(line);
        if (value !== undefined) {
          finish(undefined, value);
          return;
        }
      }
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { process: handle, ready };
}
