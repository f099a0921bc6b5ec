/**
 * The summary line is only as good as the counting: run real node:test files that pass, fail,
 * skip, time out and crash, and check what parseTap makes of the TAP they produce.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseJestJson, parseTap } from '../lib/reports.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-reports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs node --test on the given file bodies; returns the TAP report and the exit code. */
function runNodeTests(name, files) {
  const paths = Object.entries(files).map(([file, body]) => {
    const p = path.join(dir, `${name}-${file}`);
    writeFileSync(p, body);
    return p;
  });
  const report = path.join(dir, `${name}.tap`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--test', '--test-reporter=tap', `--test-reporter-destination=${report}`, ...paths],
      // Without NODE_TEST_CONTEXT, which would make the inner runner talk to ours instead.
      { timeout: 30_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
      (error) => resolve({ tap: readFileSync(report, 'utf8'), code: error ? error.code : 0 }),
    );
  });
}

const HEADER = "import test, { describe, it } from 'node:test';\n";

describe('parseTap on real node:test runs', () => {
  it('counts passing tests, nested ones included, and failures', async () => {
    const { tap, code } = await runNodeTests('mixed', {
      'a.test.mjs': `${HEADER}
        test('one', () => {});
        describe('group', () => { it('two', () => {}); it('three', () => { throw new Error('no'); }); });`,
      'b.test.mjs': `${HEADER}
        test('four', () => { console.log('# pass 999'); });`,
    });
    assert.equal(code, 1);
    assert.deepEqual(parseTap(tap), { passed: 3, failed: 1, notes: [] });
  });

  it('counts skipped and todo tests as failures, with a note', async () => {
    const { tap } = await runNodeTests('skips', {
      'a.test.mjs': `${HEADER}
        test('runs', () => {});
        test('skipped', { skip: true }, () => {});
        test.todo('later');`,
    });
    const counts = parseTap(tap);
    assert.equal(counts.passed, 1);
    assert.equal(counts.failed, 2);
    assert.match(counts.notes.join(), /skipped\/todo/);
  });

  it('counts a file that crashes while loading as a failure', async () => {
    const { tap, code } = await runNodeTests('crash', {
      'a.test.mjs': `${HEADER} test('fine', () => {});`,
      'b.test.mjs': `throw new Error('cannot even load');`,
    });
    assert.equal(code, 1);
    const counts = parseTap(tap);
    assert.equal(counts.passed, 1);
    assert.ok(counts.failed >= 1, JSON.stringify(counts));
  });

  it('counts a test that times out', async () => {
    const { tap } = await runNodeTests('timeout', {
      'a.test.mjs': `${HEADER} test('hangs', { timeout: 100 }, () => new Promise(() => {}));`,
    });
    const counts = parseTap(tap);
    assert.equal(counts.passed, 0);
    assert.ok(counts.failed >= 1, JSON.stringify(counts));
  });

  it('reports a truncated TAP file (a crashed runner) as one failure', () => {
    assert.deepEqual(parseTap('TAP version 13\n# Subtest: one\nok 1 - one\n').failed, 1);
    assert.equal(parseTap('').passed, 0);
  });
});

describe('parseJestJson', () => {
  it('reads the counts of a Jest --json report', () => {
    const report = {
      numPassedTests: 12,
      numFailedTests: 2,
      numPendingTests: 0,
      numTodoTests: 0,
      numRuntimeErrorTestSuites: 0,
      success: false,
    };
    assert.deepEqual(parseJestJson(JSON.stringify(report)), { passed: 12, failed: 2, notes: [] });
  });

  it('counts pending tests and files that failed to run as failures', () => {
    const report = {
      numPassedTests: 5,
      numFailedTests: 0,
      numPendingTests: 1,
      numTodoTests: 1,
      numRuntimeErrorTestSuites: 1,
    };
    const counts = parseJestJson(JSON.stringify(report));
    assert.equal(counts.passed, 5);
    assert.equal(counts.failed, 3);
    assert.equal(counts.notes.length, 2);
  });

  it('treats a report that is not JSON as a crashed run', () => {
    assert.deepEqual(parseJestJson('Test suite failed to run').failed, 1);
  });
});
