/**
 * The parts of LocalHost.run that jobs rely on: the tail of long output, a timeout that kills
 * everything the program started and still reports what it printed, an abort, and clear
 * errors for a missing program or working directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { HyperionError } from '../../../src/util/errors.js';

const host = new LocalHost();

/** Whether a pid is a live process (a zombie awaiting its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i += 1) await delay(100);
  return !alive(pid);
}

describe('LocalHost.run for jobs', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-run-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('keeps the tail of long output and lets the program finish', async () => {
    // 200 000 bytes of "x", then an end marker: only the last 1 KiB is kept.
    const r = await host.run(
      ['/bin/sh', '-c', 'head -c 200000 /dev/zero | tr "\\0" x; echo END; echo err >&2'],
      {
        maxOutputBytes: 1024,
        timeoutMs: 10_000,
      },
    );
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, 1024);
    assert.ok(r.stdout.endsWith('xEND\n'));
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.truncated, true);
  });

  it('does not cut a UTF-8 character in half at the start of the tail', async () => {
    const r = await host.run(
      ['/bin/sh', '-c', 'i=0; while [ $i -lt 100 ]; do printf "é"; i=$((i+1)); done'],
      {
        maxOutputBytes: 15,
      },
    );
    assert.equal(r.stdout, 'é'.repeat(7)); // 14 of the 15 bytes: the split character is dropped
  });

  it('on timeout kills the whole process group and, asked to, resolves with what was printed', async () => {
    const pidFile = path.join(tmp, 'child.pid');
    const started = Date.now();
    const r = await host.run(['/bin/sh', '-c', `echo before; sleep 30 & echo $! > ${pidFile}; wait`], {
      timeoutMs: 700,
      onTimeout: 'resolve',
    });
    const took = Date.now() - started;
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.code, null);
    assert.equal(r.stdout, 'before\n');
    // The shell's child held the pipe: without the group kill this would take 30 s.
    assert.ok(took < 5000, `took ${took} ms`);
    assert.ok(await gone(Number(readFileSync(pidFile, 'utf8'))), 'the background sleep was killed too');
  });

  it('rejects on timeout by default, as other callers expect', async () => {
    await assert.rejects(
      host.run(['sleep', '30'], { timeoutMs: 300 }),
      (e: HyperionError) => e.type === 'timeout',
    );
  });

  it('an abort kills the program and rejects', async () => {
    const abort = new AbortController();
    const pending = host.run(['sleep', '30'], { signal: abort.signal, timeoutMs: 20_000 });
    setTimeout(() => abort.abort('stop'), 200);
    const started = Date.now();
    await assert.rejects(pending, /was stopped before it finished/);
    assert.ok(Date.now() - started < 5000);
    await assert.rejects(host.run(['true'], { signal: abort.signal }), /stopped/);
  });

  it('reports the exit code, the signal, the environment and the working directory', async () => {
    const failed = await host.run(['/bin/sh', '-c', 'exit 7']);
    assert.deepEqual([failed.code, failed.signal, failed.timedOut], [7, null, undefined]);
    const killed = await host.run(['/bin/sh', '-c', 'kill -TERM $$']);
    assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
    const env = await host.run(['/bin/sh', '-c', 'echo "$HYPERION_X"; pwd'], {
      env: { HYPERION_X: 'y z' },
      cwd: tmp,
    });
    assert.equal(env.stdout, `y z\n${tmp}\n`);
  });

  it('names a missing program and a missing working directory apart', async () => {
    await assert.rejects(
      host.run(['/nonexistent/program']),
      /\/nonexistent\/program is not installed on host local/,
    );
    await assert.rejects(
      host.run(['true'], { cwd: path.join(tmp, 'nope') }),
      (e: HyperionError) =>
        e.type === 'not-found' && /working directory .*nope does not exist/.test(e.message),
    );
  });

  it('gives stdin from input, and /dev/null without it (a program reading stdin does not hang)', async () => {
    assert.equal((await host.run(['cat'], { input: 'hello' })).stdout, 'hello');
    assert.equal((await host.run(['cat'], { timeoutMs: 5000 })).stdout, '');
  });
});
