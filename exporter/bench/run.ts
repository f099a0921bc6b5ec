/**
 * `npm run bench`: prints the machine, then runs each part in order. A benchmark, not a test:
 * it prints figures and verdicts against the targets and does not fail on a MISS.
 * It exits non-zero only when a part could not be measured at all.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseBenchArgs } from './cli.js';
import { Cleanup } from './lib/cleanup.js';
import { printMachine } from './lib/machine.js';
import { PARTS } from './parts.js';

const EXPORTER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<number> {
  let options;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const unknown = options.only.filter((name) => !PARTS.some((p) => p.name === name));
  if (unknown.length > 0) {
    console.error(`unknown part(s): ${unknown.join(', ')}; parts: ${PARTS.map((p) => p.name).join(', ')}`);
    return 2;
  }
  const parts = options.only.length === 0 ? PARTS : PARTS.filter((p) => options.only.includes(p.name));

  const cleanup = new Cleanup();
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    abort.abort();
    console.error(`\nbench: ${signal}, stopping and cleaning up`);
    // A second Ctrl-C means "now": clean up and leave without waiting for the part to notice.
    if (interrupts > 1) void cleanup.runAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  printMachine(EXPORTER_DIR);
  let failed = 0;
  try {
    for (const part of parts) {
      if (abort.signal.aborted) break;
      console.log(`\n### ${part.name}: ${part.title}`);
      try {
        await part.run({
          exporterDir: EXPORTER_DIR,
          options,
          cleanup,
          deadline: Date.now() + options.maxSeconds * 1000,
          signal: abort.signal,
        });
      } catch (error) {
        failed += 1;
        console.error(`bench part "${part.name}" failed: ${(error as Error).stack ?? String(error)}`);
      } finally {
        // Each part starts from a quiet machine: nothing of the previous part keeps running.
        await cleanup.runAll();
      }
    }
  } finally {
    await cleanup.runAll();
  }
  return abort.signal.aborted ? 130 : failed > 0 ? 1 : 0;
}

process.exitCode = await main();
