#!/usr/bin/env node
/**
 * Runs the checks (lint, typecheck, build) and every test suite, shows each one's own output
 * as it goes, and ends with the one summary line CI and people read: `N passed, N failed`.
 *
 * Counting never scrapes the human output: each suite also writes a machine-readable report
 * (node:test's TAP, Jest's --json) that a small parser per format reads. A suite that crashes
 * without a report, exits non-zero while reporting no failure, or skips a test counts as failed.
 *
 *   node scripts/run-suites.mjs                 checks, then every suite
 *   node scripts/run-suites.mjs exporter        checks, then only the named suites
 *   node scripts/run-suites.mjs --no-checks …   suites only (a quick local loop)
 *
 * Adding a suite is adding one line to SUITES.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { clearTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parseJestJson, parseTap } from './lib/reports.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPORT_DIR = path.join(ROOT, 'artifacts', 'test-results');

/** A hung suite must not hang CI: it is killed (with everything it started) after this long. */
const DEFAULT_SUITE_TIMEOUT_MS = 10 * 60_000;

/**
 * @typedef {import('./lib/reports.mjs').Counts} Counts
 * @typedef {{ name: string, cwd: string, argv: (report: string) => string[] | null,
 *             parse: (report: string) => Counts, timeoutMs?: number, describe: string }} Suite
 */

const CHECKS = [
  { name: 'lint', argv: ['npm', 'run', '--silent', 'lint'] },
  { name: 'typecheck', argv: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'build', argv: ['npm', 'run', '--silent', 'build'] },
];

const SUITES = [
  // The counting below, checked on real node:test runs.
  nodeTestSuite('scripts', 'scripts'),
  nodeTestSuite('exporter', 'exporter', { concurrency: 2, timeoutMs: 25 * 60_000 }),
  // Alerting tests drive one Prometheus and one Alertmanager each: one file at a time.
  nodeTestSuite('alerting', 'alerting', { concurrency: 1 }),
  jestSuite('grafana-plugin', 'grafana-plugin'),
  // Headless Chromium against a real exporter (systemd and network namespaces): one file, in order.
  nodeTestSuite('grafana-plugin-browser', 'grafana-plugin', {
    testDir: 'e2e',
    concurrency: 1,
    timeoutMs: 20 * 60_000,
    fileTimeoutMs: 15 * 60_000,
  }),
];

// ---------------------------------------------------------------------------------------------
// Suite kinds

/** Every `*.test.{ts,mts,js,mjs}` below `<dir>/<testDir>`, fixtures and node_modules excluded. */
function findTestFiles(dir, sub = 'test') {
  const testDir = path.join(ROOT, dir, sub);
  if (!existsSync(testDir)) return [];
  return readdirSync(testDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.test\.(ts|mts|js|mjs)$/.test(e.name))
    .map((e) => path.relative(path.join(ROOT, dir), path.join(e.parentPath ?? e.path, e.name)))
    .filter((f) => !f.split(path.sep).some((part) => part === 'fixtures' || part === 'node_modules'))
    .sort();
}

/**
 * A suite run by node's own test runner (through tsx for TypeScript). Node 20 does not expand
 * globs given to --test, so the files are listed here.
 */
function nodeTestSuite(
  name,
  dir,
  { concurrency = 1, timeoutMs, testDir = 'test', fileTimeoutMs = 300_000 } = {},
) {
  const files = findTestFiles(dir, testDir);
  return {
    name,
    cwd: path.join(ROOT, dir),
    describe: `node:test, ${files.length} file${files.length === 1 ? '' : 's'}`,
    timeoutMs,
    argv: (report) =>
      files.length === 0
        ? null
        : [
            process.execPath,
            '--import',
            'tsx',
            '--test',
            `--test-concurrency=${concurrency}`,
            // a last resort against a test that never settles; tests set tighter limits themselves.
            // Node 20 applies it to each file as a whole too: a long file (the browser tests,
            // one stack for all) says how long it may take.
            `--test-timeout=${fileTimeoutMs}`,
            '--test-reporter=spec',
            '--test-reporter-destination=stdout',
            '--test-reporter=tap',
            `--test-reporter-destination=${report}`,
            ...files,
          ],
    parse: parseTap,
  };
}

/** A Jest suite (the Grafana plugin's, to come): its --json report has the counts. */
export function jestSuite(name, dir, { timeoutMs } = {}) {
  return {
    name,
    cwd: path.join(ROOT, dir),
    describe: 'jest',
    timeoutMs,
    argv: (report) => ['npx', '--no-install', 'jest', '--ci', '--json', `--outputFile=${report}`],
    parse: parseJestJson,
  };
}

// ---------------------------------------------------------------------------------------------
// Running

/** Children run in their own process group so a timeout can stop everything a suite started. */
let current;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current?.pid) killGroup(current.pid, 'SIGKILL');
    process.exit(130);
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function run(argv, cwd, timeoutMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: 'inherit', detached: true });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000).unref();
    }, timeoutMs);
    const done = (code, error) => {
      clearTimeout(timer);
      current = undefined;
      // Whatever the suite left behind (a daemon whose parent died) goes with it.
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      resolve({ code, error, timedOut, seconds: (Date.now() - started) / 1000 });
    };
    child.once('error', (error) => done(-1, error.message));
    child.once('exit', (code, signal) => done(code ?? (signal ? 128 : -1)));
  });
}

function banner(text) {
  console.log(`\n\x1b[1m=== ${text} ===\x1b[0m`);
}

async function runCheck(check) {
  banner(check.name);
  const r = await run(check.argv, ROOT, DEFAULT_SUITE_TIMEOUT_MS);
  const ok = r.code === 0;
  const why = r.error ?? (r.timedOut ? 'timed out' : `exit code ${r.code}`);
  return {
    name: check.name,
    passed: 0,
    failed: ok ? 0 : 1,
    seconds: r.seconds,
    result: ok ? 'ok' : `FAILED (${why})`,
  };
}

async function runSuite(suite) {
  banner(`${suite.name} (${suite.describe})`);
  const report = path.join(REPORT_DIR, `${suite.name}.report`);
  rmSync(report, { force: true });
  const argv = suite.argv(report);
  if (argv === null) {
    console.log('no test files');
    return { name: suite.name, passed: 0, failed: 0, seconds: 0, result: 'no test files' };
  }
  const r = await run(argv, suite.cwd, suite.timeoutMs ?? DEFAULT_SUITE_TIMEOUT_MS);
  const counts = existsSync(report)
    ? suite.parse(readFileSync(report, 'utf8'))
    : { passed: 0, failed: 1, notes: ['it wrote no report'] };
  if (r.timedOut) counts.notes.push(`killed after ${(suite.timeoutMs ?? DEFAULT_SUITE_TIMEOUT_MS) / 1000} s`);
  if (r.error) counts.notes.push(`could not start: ${r.error}`);
  if (r.code !== 0 && counts.failed === 0) {
    counts.failed = 1;
    counts.notes.push(`exited with code ${r.code} yet reported no failing test`);
  }
  const result = `${counts.passed} passed, ${counts.failed} failed${counts.notes.length ? ` — ${counts.notes.join('; ')}` : ''}`;
  return { name: suite.name, passed: counts.passed, failed: counts.failed, seconds: r.seconds, result };
}

async function main() {
  const args = process.argv.slice(2);
  const withChecks = !args.includes('--no-checks');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
    console.log('0 passed, 1 failed');
    process.exit(2);
  }
  mkdirSync(REPORT_DIR, { recursive: true });
  const started = Date.now();
  const rows = [];
  if (withChecks) for (const check of CHECKS) rows.push(await runCheck(check));
  for (const suite of SUITES) {
    if (wanted.length === 0 || wanted.includes(suite.name)) rows.push(await runSuite(suite));
  }

  const passed = rows.reduce((n, r) => n + r.passed, 0);
  const failed = rows.reduce((n, r) => n + r.failed, 0);
  banner('summary');
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows)
    console.log(`${r.name.padEnd(width)}  ${r.seconds.toFixed(1).padStart(6)} s  ${r.result}`);
  console.log(`${'total'.padEnd(width)}  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`);
  console.log(`reports: ${path.relative(ROOT, REPORT_DIR)}/`);
  // The last line, alone, in exactly this form: CI and people grep for it.
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
