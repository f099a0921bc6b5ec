/**
 * `npm run generate --workspace alerting` rewrites the generated files from thresholds.yml;
 * `… -- --check` only reports which ones are out of date (exit 1), for CI and pre-commit hooks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAll } from './emit.js';

const ALERTING_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function current(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [relative, content] of await renderAll(ALERTING_DIR)) {
  const file = path.join(ALERTING_DIR, relative);
  if (current(file) === content) continue;
  stale.push(relative);
  if (!check) writeFileSync(file, content);
}
if (check && stale.length > 0) {
  console.error(`out of date (run npm run generate --workspace alerting): ${stale.join(', ')}`);
  process.exitCode = 1;
} else {
  console.log(stale.length > 0 ? `wrote ${stale.join(', ')}` : 'generated files are up to date');
}
