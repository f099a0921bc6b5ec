/**
 * Starts a real hyperion-exporter process for a test and stops it afterwards. The exporter
 * listens on port 0 and announces its address in its "listening" log line, so tests never race
 * for ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXPORTER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(EXPORTER_DIR, 'src/main.ts');

export interface RunningExporter {
  url: string;
  port: number;
  child: ChildProcess;
  storagePath: string;
  /** Every log line the exporter wrote so far (JSON objects). */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra flags; --web.listen-address and --storage.path are set unless given here. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Reuse a data directory (e.g. across a restart); a fresh temporary one otherwise. */
  storagePath?: string;
  /** Prefix the command, e.g. ['nsenter', '-t', pid, '-m', '-p'] to run inside a namespace. */
  wrapper?: string[];
  timeoutMs?: number;
  /**
   * Started as root (as the tests are), the exporter drops to this user (--user), which is
   * created once per machine when missing (see testUser). Absent: --user=root, the exporter
   * keeps root and its agents are its children — unless `args` name a --user themselves.
   */
  user?: string;
}

/** The unprivileged user tests let the exporter drop to: a system user, made once per machine. */
export const TEST_USER = 'hyperion-test';

/** Makes `name` a system user without a home or a login shell, unless it exists. */
export function testUser(name = TEST_USER): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const made = spawnSync(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name],
      {
        encoding: 'utf8',
      },
    );
    // Another test may have made it meanwhile (exit 9: the user exists).
    if (made.status !== 0 && made.status !== 9) throw new Error(`useradd ${name}: ${made.stderr}`);
  }
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) };
}

export async function startExporter(options: StartOptions = {}): Promise<RunningExporter> {
  const args = options.args ?? [];
  const ownStorage = options.storagePath === undefined;
  const storagePath = options.storagePath ?? mkdtempSync(path.join(os.tmpdir(), 'hyperion-test-'));
  const flags = [...args];
  if (!args.some((a) => a.startsWith('--web.listen-address'))) flags.push('--web.listen-address=127.0.0.1:0');
  if (!args.some((a) => a.startsWith('--storage.path'))) flags.push(`--storage.path=${storagePath}`);
  if (!args.some((a) => a.startsWith('--user'))) {
    if (options.user !== undefined) testUser(options.user);
    flags.push(`--user=${options.user ?? 'root'}`);
  }
  const command = [...(options.wrapper ?? []), process.execPath, '--import', 'tsx', MAIN, ...flags];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: EXPORTER_DIR,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A child that never announced itself must not outlive the test that gave up on it.
      child.kill('SIGKILL');
      reject(new Error(`exporter did not start within ${options.timeoutMs ?? 30000} ms:\n${buffered}`));
    }, options.timeoutMs ?? 30000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited with ${code} before listening:\n${buffered}`));
    });
    child.stderr!.setEncoding('utf8');
    let pending = '';
    child.stderr!.on('data', (chunk: string) => {
      buffered += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(Number(entry.port));
          }
        } catch {
          // not JSON (e.g. a Node warning): kept in `buffered` for error messages only
        }
      }
    });
  });
  const port = await listening;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    storagePath,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      if (ownStorage) rmSync(storagePath, { recursive: true, force: true });
    },
  };
}
