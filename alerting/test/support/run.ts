/**
 * Runs a command-line tool (amtool, promtool) to completion with a time limit and returns what
 * it said: the tests assert on exit codes and output rather than on exceptions.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(binary: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (signal !== null)
        reject(new Error(`${binary} ${args.join(' ')} was killed by ${signal}:\n${stderr}`));
      else resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export const AMTOOL_BIN = process.env.HYPERION_AMTOOL_BIN ?? '/usr/bin/amtool';
