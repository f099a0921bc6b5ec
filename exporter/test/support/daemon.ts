/**
 * Runs a real server binary (Prometheus, Alertmanager, node_exporter…) for a test: spawn it,
 * wait until an HTTP readiness URL answers 200, and stop it for sure afterwards. Fails loudly —
 * with the tail of the program's own log — when the binary is missing, exits early or never
 * becomes ready, because a test that quietly skips on a missing binary proves nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { freePort, isAddressInUse } from './ports.js';

export interface DaemonOptions {
  /** Shown in error messages, e.g. "prometheus". */
  name: string;
  binary: string;
  args: string[];
  /** Polled with GET until it answers 200. */
  readyUrl: string;
  /**
   * Polled instead of fetching readyUrl, for a daemon fetch() cannot reach as it is (TLS with a
   * test CA, client certificates, basic auth): true once it is ready.
   */
  ready?: () => Promise<boolean>;
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Daemon {
  child: ChildProcess;
  /** The last lines the program wrote to stdout and stderr. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Kept bounded so a chatty daemon in a long test cannot grow the test process without limit. */
const MAX_LOG_LINES = 400;

/** Daemons still running; killed when the test process exits, even after an uncaught failure. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(`${message}\n--- log tail ---\n${log}`);
  }
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  if (!existsSync(options.binary)) {
    throw new DaemonStartError(
      `${options.name}: ${options.binary} does not exist; run scripts/install-test-deps.sh`,
      '',
    );
  }
  const child = spawn(options.binary, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let partial = '';
  const onData = (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const logTail = (n = 40) =>
    [...lines, partial]
      .filter((l) => l !== '')
      .slice(-n)
      .join('\n');

  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exited = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    });
    child.once('error', (error) => {
      running.delete(child);
      exited = `could not be started: ${error.message}`;
      resolve();
    });
  });

  // The timer is unref'd so a daemon that already exited does not keep the test process alive.
  const untilExitOr = (ms: number) =>
    Promise.race([exitedPromise, new Promise((r) => setTimeout(r, ms).unref())]);

  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      await untilExitOr(5000);
      if (exited === undefined) {
        child.kill('SIGKILL');
        await untilExitOr(2000);
      }
    }
  };

  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new DaemonStartError(`${options.name} ${exited} before it was ready`, logTail());
    }
    if (Date.now() > deadline) {
      await stop();
      throw new DaemonStartError(`${options.name} was not ready within ${timeoutMs} ms`, logTail());
    }
    try {
      if (options.ready) {
        if (await options.ready()) break;
      } else {
        const res = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      }
    } catch {
      // not listening yet: poll again
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, logTail, stop };
}

/** Ports tried in turn: another program can take a free port before the daemon binds it. */
const PORT_ATTEMPTS = 3;

export interface DaemonOnPort extends Daemon {
  /** The loopback port the daemon was given and listens on. */
  port: number;
}

/**
 * startDaemon() for a program that cannot announce the port it bound (Prometheus, Alertmanager):
 * `makeOptions` builds its options for a port that was free a moment earlier. Losing that port to
 * someone else before the bind is not the program's fault, so "address already in use" is retried
 * on a fresh port; any other failure is not, and is thrown at once.
 *
 * `dir` is the daemon's own temporary directory: removed when the daemon cannot be started (no
 * caller is left to remove it then) and by stop().
 */
export async function startDaemonOnFreePort(
  makeOptions: (port: number) => DaemonOptions,
  { dir }: { dir?: string } = {},
): Promise<DaemonOnPort> {
  const removeDir = () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const port = await freePort();
      const daemon = await startDaemon(makeOptions(port));
      return {
        ...daemon,
        port,
        async stop() {
          await daemon.stop();
          removeDir();
        },
      };
    } catch (error) {
      const portTaken = error instanceof DaemonStartError && isAddressInUse(error.log);
      if (!portTaken || attempt >= PORT_ATTEMPTS) {
        removeDir();
        throw error;
      }
    }
  }
}
