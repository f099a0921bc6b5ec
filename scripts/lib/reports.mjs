/**
 * Readers of the machine-readable reports test runners write, each returning the same counts.
 * A test that did not run (skipped, todo, cancelled) counts as failed: this project forbids
 * skipping, and a cancelled test is one whose file timed out or crashed.
 */

/**
 * @typedef {{ passed: number, failed: number, notes: string[] }} Counts
 */

/**
 * node:test's TAP ends with `# pass N`, `# fail N`, … for the whole run. The last occurrence
 * wins, since a test's own output can appear earlier as `# …` diagnostic lines.
 * @returns {Counts}
 */
export function parseTap(text) {
  const last = (key) => {
    const all = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
    return all.length === 0 ? undefined : Number(all[all.length - 1][1]);
  };
  const pass = last('pass');
  const fail = last('fail');
  if (pass === undefined || fail === undefined) {
    return { passed: 0, failed: 1, notes: ['no summary in the TAP report: the runner crashed'] };
  }
  const cancelled = last('cancelled') ?? 0;
  const skipped = last('skipped') ?? 0;
  const todo = last('todo') ?? 0;
  const notes = [];
  if (cancelled > 0) notes.push(`${cancelled} cancelled (timed out or their file crashed)`);
  if (skipped + todo > 0) notes.push(`${skipped + todo} skipped/todo: not allowed in this project`);
  return { passed: pass, failed: fail + cancelled + skipped + todo, notes };
}

/**
 * Jest's --json: tests that did not run (pending, todo) and files that could not load count as failed.
 * @returns {Counts}
 */
export function parseJestJson(text) {
  let r;
  try {
    r = JSON.parse(text);
  } catch {
    return { passed: 0, failed: 1, notes: ['the Jest report is not JSON: the runner crashed'] };
  }
  const pending = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const broken = r.numRuntimeErrorTestSuites ?? 0;
  const notes = [];
  if (pending > 0) notes.push(`${pending} skipped/todo: not allowed in this project`);
  if (broken > 0) notes.push(`${broken} test file(s) failed to run`);
  return { passed: r.numPassedTests ?? 0, failed: (r.numFailedTests ?? 0) + pending + broken, notes };
}
