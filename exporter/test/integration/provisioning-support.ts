/**
 * Shared by the provisioning-*.test.ts files: where the deployment files are, running the real
 * checkers (promtool, amtool, docker-compose, systemd-analyze) and scripts/stack.sh, and small
 * YAML helpers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { EXPORTER_DIR } from '../support/exporter.js';

export const REPO = path.resolve(EXPORTER_DIR, '..');
export const STACK = path.join(REPO, 'scripts/stack.sh');
export const PROMETHEUS_YML = path.join(REPO, 'provisioning/prometheus/prometheus.yml');
export const ALERTMANAGER_YML = path.join(REPO, 'alerting/alertmanager.yml');
export const COMPOSE_YML = path.join(REPO, 'docker-compose.yml');
export const ENV_EXAMPLE = path.join(REPO, '.env.example');
export const UNIT_FILE = path.join(REPO, 'provisioning/systemd/hyperion-exporter.service');
export const SCALE_OUT = path.join(REPO, 'provisioning/scale-out');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a real program to completion. A missing program is a failure that says what to install,
 * never a skip: the test command installs them (scripts/install-test-deps.sh).
 */
export function run(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  const [program, ...args] = argv;
  const found = program!.includes('/') ? existsSync(program!) : which(program!) !== undefined;
  if (!found) throw new Error(`${program} is not installed: run scripts/install-test-deps.sh`);
  const r = spawnSync(program!, args, {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr } satisfies RunResult;
}

/** The program's path on PATH or in the sbin directories (a non-login root shell may lack them). */
export function which(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export type Yaml = Record<string, unknown>;
export const isMap = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function readYaml(file: string): Yaml {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  if (!isMap(doc)) throw new Error(`${file} is not a YAML mapping`);
  return doc;
}

/** Every string in a YAML tree, with its path ("a.b[0].c"). */
export function strings(node: unknown, at = ''): { at: string; value: string }[] {
  if (typeof node === 'string') return [{ at, value: node }];
  if (Array.isArray(node)) return node.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (isMap(node)) return Object.entries(node).flatMap(([k, v]) => strings(v, at === '' ? k : `${at}.${k}`));
  return [];
}

/** A copy of a YAML tree with `replace` applied to every string in it. */
export function mapStrings(node: unknown, replace: (s: string) => string): unknown {
  if (typeof node === 'string') return replace(node);
  if (Array.isArray(node)) return node.map((v) => mapStrings(v, replace));
  if (isMap(node))
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mapStrings(v, replace)]));
  return node;
}

export interface Rendered {
  configDir: string;
  prometheusYml: string;
  alertmanagerYml: string;
}

/** The local stack's configuration, as scripts/stack.sh writes it (--render-only). */
export function renderStack(stateDir: string, secretsDir: string, args: string[] = []): Rendered {
  const r = run([
    'bash',
    STACK,
    '--render-only',
    '--state-dir',
    stateDir,
    '--secrets-dir',
    secretsDir,
    ...args,
  ]);
  if (r.code !== 0) throw new Error(`stack.sh --render-only failed (${r.code}): ${r.stderr}`);
  const configDir = r.stdout.trim();
  return {
    configDir,
    prometheusYml: path.join(configDir, 'prometheus.yml'),
    alertmanagerYml: path.join(configDir, 'alertmanager.yml'),
  };
}

/**
 * A stand-in for exporters' /api/v1/targets and /probe endpoints, used where a test checks what
 * Prometheus does with the shipped relabelling rather than what the exporter answers: it lists
 * `hosts` in Prometheus' HTTP service-discovery format (only to the expected bearer token) and
 * records which host each /probe request was for.
 */
export interface ProbeStandIn {
  port: number;
  /** Targets asked for through /probe, in order. */
  probes: string[];
  /** Authorization headers seen on /api/v1/targets. */
  discoveryAuth: string[];
  /** Authorization headers seen on /probe. */
  probeAuth: string[];
  close(): Promise<void>;
}

export async function startProbeStandIn(hosts: string[], token: string | undefined): Promise<ProbeStandIn> {
  const probes: string[] = [];
  const discoveryAuth: string[] = [];
  const probeAuth: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname === '/api/v1/targets') {
      discoveryAuth.push(req.headers.authorization ?? '');
      if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ targets: hosts, labels: {} }]));
      return;
    }
    if (url.pathname === '/probe') {
      const target = url.searchParams.get('target') ?? '';
      probes.push(target);
      probeAuth.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE hyperion_probe_success gauge\nhyperion_probe_success 1\n');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    probes,
    discoveryAuth,
    probeAuth,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
