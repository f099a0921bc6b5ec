/**
 * Runs Debian's promtool, the reference checker for the exposition format, rule files and
 * configurations. Returns what it said instead of throwing so a test can print the problems.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PROMTOOL_BIN = process.env.HYPERION_PROMTOOL_BIN ?? '/usr/bin/promtool';

export interface PromtoolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function promtool(args: string[], stdin?: string, timeoutMs = 30_000): Promise<PromtoolResult> {
  if (!existsSync(PROMTOOL_BIN)) {
    throw new Error(`${PROMTOOL_BIN} does not exist; run scripts/install-test-deps.sh`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (signal !== null) reject(new Error(`promtool ${args.join(' ')} killed by ${signal}: ${stderr}`));
      else resolve({ code: code ?? -1, stdout, stderr });
    });
    // promtool may exit before reading all of stdin (e.g. on a usage error): that is its answer.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });
}

/**
 * `promtool check metrics` lints an exposition read from stdin: exit 0 and no output when clean,
 * otherwise one problem per line (exit 3 for lint problems, 1 for a parse error).
 */
export async function checkMetrics(exposition: string): Promise<{ ok: boolean; problems: string }> {
  const result = await promtool(['check', 'metrics'], exposition);
  const problems = `${result.stdout}${result.stderr}`.trim();
  return { ok: result.code === 0 && problems === '', problems };
}
