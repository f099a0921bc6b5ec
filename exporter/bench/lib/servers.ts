/**
 * The two servers the metrics benchmark compares: Hyperion from its built output, and Debian's
 * prometheus-node-exporter. Both bind 127.0.0.1 only and are stopped by the run's Cleanup.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shebangNodeFlags } from '../../test/support/node-flags.js';
import type { Cleanup } from './cleanup.js';
import { freePort, isAddressInUse } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';

export interface RunningServer {
  name: string;
  /** Base URL, without a path. */
  url: string;
  process: ManagedProcess;
}

export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const START_TIMEOUT_MS = 15_000;
const BIND_ATTEMPTS = 3;

export function hyperionMain(exporterDir: string): string {
  const main = path.join(exporterDir, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npm run bench does)`);
  return main;
}

/** The exporter announces its port in a JSON log line: {"msg":"listening","port":N}. */
function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return entry.msg === 'listening' && typeof entry.port === 'number' ? entry.port : undefined;
  } catch {
    return undefined;
  }
}

export interface HyperionOptions {
  exporterDir: string;
  /** Flags for node itself (before the script), e.g. --cpu-prof while profiling. */
  nodeArgs?: readonly string[];
  args?: readonly string[];
}

export async function startHyperion(cleanup: Cleanup, options: HyperionOptions): Promise<RunningServer> {
  const main = hyperionMain(options.exporterDir);
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hyperion-bench-'));
  cleanup.add('hyperion storage', () => rmSync(storage, { recursive: true, force: true }));
  // process.execPath and the script directly: the pid measured is the server's, no npm or shell.
  const { process, ready: port } = await startProcess(cleanup, {
    label: 'hyperion-exporter',
    command: globalThis.process.execPath,
    args: [
      ...shebangNodeFlags(main),
      ...(options.nodeArgs ?? []),
      main,
      '--web.listen-address=127.0.0.1:0',
      `--storage.path=${storage}`,
      // Root, as node_exporter is measured here: /metrics reads /proc and /sys the same way as
      // either user, and a fresh machine may not have the hyperion user yet.
      '--user=root',
      ...(options.args ?? []),
    ],
    cwd: storage,
    ready: listeningPort,
    timeoutMs: START_TIMEOUT_MS,
  });
  return { name: 'hyperion', url: `http://127.0.0.1:${port}`, process };
}

/**
 * node_exporter with its own defaults, or with `collectors` alone (--collector.disable-defaults
 * and one --collector.NAME each): the collectors that do the work Hyperion's default set does.
 */
export async function startNodeExporter(
  cleanup: Cleanup,
  collectors?: readonly string[],
  name = 'node_exporter',
): Promise<RunningServer> {
  if (!existsSync(NODE_EXPORTER)) {
    throw new Error(`${NODE_EXPORTER} is missing: apt-get install prometheus-node-exporter`);
  }
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      const { process } = await startProcess(cleanup, {
        label: 'node_exporter',
        command: NODE_EXPORTER,
        args: [
          `--web.listen-address=127.0.0.1:${port}`,
          ...(collectors
            ? ['--collector.disable-defaults', ...collectors.map((c) => `--collector.${c}`)]
            : []),
        ],
        ready: (line) => (line.includes('msg="Listening on"') ? true : undefined),
        timeoutMs: START_TIMEOUT_MS,
      });
      return { name, url: `http://127.0.0.1:${port}`, process };
    } catch (error) {
      if (attempt >= BIND_ATTEMPTS || !isAddressInUse((error as Error).message)) throw error;
    }
  }
}
