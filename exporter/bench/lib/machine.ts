/** The facts a reader needs to judge the numbers: the machine, its load, and what ran. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { machineFacts } from './procfs.js';
import { fixed, heading, mib, table } from './report.js';
import { NODE_EXPORTER } from './servers.js';

function firstLine(command: string, args: readonly string[]): string {
  try {
    // node_exporter prints its version on stderr with some Go versions, stdout with others.
    const out = execFileSync(command, [...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    return out.split('\n')[0]?.trim() || 'unknown';
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    return stderr.split('\n')[0]?.trim() || `not available (${(error as Error).message.split('\n')[0]})`;
  }
}

function packageVersion(exporterDir: string): string {
  const pkg = JSON.parse(readFileSync(path.join(exporterDir, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

export function printMachine(exporterDir: string): void {
  const facts = machineFacts();
  heading('machine');
  table(
    [
      ['cores', String(facts.cores)],
      ['cpu', facts.model],
      ['memory', `${mib(facts.memoryBytes)} MiB`],
      ['kernel', facts.kernel],
      ['load average at start', facts.loadAverage.map((l) => fixed(l)).join(' ')],
      ['node', process.version],
      ['node_exporter', firstLine(NODE_EXPORTER, ['--version'])],
      ['hyperion-exporter', packageVersion(exporterDir)],
    ],
    true,
  );
}
