import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunRecord } from '../../../src/managers/jobs/definition.js';
import { JobHistory } from '../../../src/managers/jobs/history.js';
import { DataDir } from '../../../src/storage/data-dir.js';

function record(job: string, id: number, stdout = `run ${id}\n`): RunRecord {
  const at = new Date(Date.UTC(2026, 10, 24, 0, 0, id)).toISOString();
  return {
    id,
    job,
    host: 'local',
    trigger: 'schedule',
    actor: null,
    scheduledFor: at,
    startedAt: at,
    endedAt: at,
    durationSeconds: 0.01,
    result: 'success',
    exitCode: 0,
    signal: null,
    timedOut: false,
    error: null,
    stdout,
    stderr: '',
    outputTruncated: false,
    lastSuccessAt: at,
  };
}

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

describe('JobHistory', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hyperion-history-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the newest runs, in memory and on disk, and numbering continues after a reopen', () => {
    const dir = new DataDir(path.join(root, 'retention'));
    const history = new JobHistory(dir, 3);
    for (let n = 0; n < 10; n += 1) history.append(record('a', history.allocateId('a')));
    assert.deepEqual(
      history.summaries('a').map((s) => s.id),
      [10, 9, 8],
    );
    // Compacted whenever it reached twice the retention: never more than 6 lines.
    const file = dir.path('a.jsonl');
    assert.ok(lines(file).length <= 6, `${lines(file).length} lines`);
    history.close();

    const reopened = new JobHistory(dir, 3);
    reopened.load('a');
    assert.deepEqual(
      reopened.summaries('a').map((s) => s.id),
      [10, 9, 8],
    );
    assert.equal(lines(file).length, 3, 'compacted at start-up');
    assert.equal(reopened.allocateId('a'), 11);
    // Summaries carry no output; the run itself does, while retained.
    assert.equal('stdout' in reopened.summaries('a')[0]!, false);
    assert.equal(reopened.get('a', 9)?.stdout, 'run 9\n');
    assert.equal(reopened.get('a', 2), undefined);
    reopened.close();
  });

  it('drops a torn last line (a crash mid-write) and appends after it cleanly', () => {
    const dir = new DataDir(path.join(root, 'torn'));
    const file = dir.path('b.jsonl');
    writeFileSync(file, `${JSON.stringify(record('b', 1))}\n${JSON.stringify(record('b', 2))}\n{"id":3,"jo`);
    const history = new JobHistory(dir, 10);
    history.append(record('b', history.allocateId('b')));
    assert.deepEqual(
      history.summaries('b').map((s) => s.id),
      [3, 2, 1],
    );
    for (const line of lines(file)) JSON.parse(line); // every line whole
    assert.equal(lines(file).length, 3);
    history.close();
  });

  it('skips lines that are not run records, and forgets a removed job with its file', () => {
    const dir = new DataDir(path.join(root, 'remove'));
    const file = dir.path('c.jsonl');
    writeFileSync(file, `{"not":"a run"}\n${JSON.stringify(record('c', 4))}\n`);
    const history = new JobHistory(dir, 10);
    assert.deepEqual(
      history.summaries('c').map((s) => s.id),
      [4],
    );
    history.remove('c');
    assert.equal(existsSync(file), false);
    assert.deepEqual(history.summaries('c'), []);
    assert.equal(history.allocateId('c'), 1);
    history.close();
    // After close nothing is written: a run ending during shutdown is dropped, not a crash.
    history.append(record('c', 2));
  });
});
