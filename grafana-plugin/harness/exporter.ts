/**
 * Starts a real hyperion-exporter for the harness: a fresh data directory, the three Grafana
 * tokens the proxy routes need (created with the exporter's own CLI, as an operator would), and
 * the exporter itself on 127.0.0.1 with a free port it announces in its "listening" log line.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const EXPORTER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../exporter');
const MAIN = path.join(EXPORTER_DIR, 'src/main.ts');

export interface GrafanaTokens {
  viewerToken: string;
  operatorToken: string;
  adminToken: string;
}

export interface RunningExporter {
  url: string;
  port: number;
  storagePath: string;
  tokens: GrafanaTokens;
  child: ChildProcess;
  /**
   * `hyperion-exporter otp code` on the exporter's host, as an administrator hands a person
   * their enrolment code: the code for the actor key (grafana:<org>:<user id>).
   */
  issueEnrolmentCode(actorKey: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface ExporterOptions {
  /** YAML written to hyperion.yml in the data directory. */
  config?: string;
  /** Prefix of the command (nsenter … to run it inside namespaces). */
  wrapper?: string[];
  extraArgs?: string[];
  timeoutMs?: number;
  /**
   * The user the exporter becomes when started as root (--user): the browser tests name an
   * unprivileged one, so the app is proven against the privilege split it is deployed with.
   * Absent: root — the harness run by hand (cli.ts) against a developer's own files.
   */
  user?: string;
}

/** `hyperion-exporter token create --grafana`: the secret is the first line of its output. */
async function createToken(storagePath: string, name: string, role: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      'token',
      'create',
      '--name',
      name,
      '--role',
      role,
      '--grafana',
      `--storage.path=${storagePath}`,
    ],
    { cwd: EXPORTER_DIR, timeout: 60_000 },
  );
  const token = stdout.trim().split('\n')[0] ?? '';
  if (!/^hyp_\S+$/.test(token))
    throw new Error(`token create ${name}: unexpected output ${JSON.stringify(stdout)}`);
  return token;
}

async function issueEnrolmentCode(storagePath: string, actorKey: string, name: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      'otp',
      'code',
      '--actor',
      actorKey,
      '--name',
      name,
      `--storage.path=${storagePath}`,
    ],
    { cwd: EXPORTER_DIR, timeout: 60_000 },
  );
  const code = stdout.trim();
  if (!/^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}$/.test(code))
    throw new Error(`otp code ${actorKey}: unexpected output ${JSON.stringify(stdout)}`);
  return code;
}

async function createTokens(storagePath: string): Promise<GrafanaTokens> {
  // One after the other: each rewrites tokens.json.
  const viewerToken = await createToken(storagePath, 'grafana-viewer', 'viewer');
  const operatorToken = await createToken(storagePath, 'grafana-operator', 'operator');
  const adminToken = await createToken(storagePath, 'grafana-admin', 'admin');
  return { viewerToken, operatorToken, adminToken };
}

export async function startRealExporter(options: ExporterOptions = {}): Promise<RunningExporter> {
  const storagePath = mkdtempSync(path.join(os.tmpdir(), 'hyperion-harness-'));
  if (options.config !== undefined) writeFileSync(path.join(storagePath, 'hyperion.yml'), options.config);
  const tokens = await createTokens(storagePath).catch((error: unknown) => {
    rmSync(storagePath, { recursive: true, force: true });
    throw error;
  });
  const command = [
    ...(options.wrapper ?? []),
    process.execPath,
    '--import',
    'tsx',
    MAIN,
    '--web.listen-address=127.0.0.1:0',
    `--storage.path=${storagePath}`,
    `--user=${options.user ?? 'root'}`,
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: EXPORTER_DIR,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the exporter did not listen within ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the exporter exited (${code}) before listening:\n${log}`));
    });
    let pending = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-20_000);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === 'listening' && typeof entry.port === 'number') {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // not a JSON log line
        }
      }
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    rmSync(storagePath, { recursive: true, force: true });
    throw error;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    storagePath,
    tokens,
    child,
    issueEnrolmentCode: (actorKey, name) => issueEnrolmentCode(storagePath, actorKey, name),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(storagePath, { recursive: true, force: true });
    },
  };
}
