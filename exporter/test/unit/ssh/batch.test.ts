/**
 * The remote side of a batch without SSH: the exact shell text of script.ts run by the real
 * /bin/sh and coreutils/findutils of this machine, answered through the same parsers SshHost
 * uses. Checks the framing cannot be forged by file contents, that errors land on the right
 * path, and the parsers' edge cases (torn records, a missing tool, entries of a listing).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Batcher, StatfsBatcher, toDirEntries, type Send } from '../../../src/hosts/ssh/batch.js';
import {
  attribute,
  missingTool,
  parseFindRecords,
  splitParts,
  stderrSections,
} from '../../../src/hosts/ssh/parse.js';
import { parseRunAnswer, runOutcome } from '../../../src/hosts/ssh/run.js';
import { runRequest, terminator, workerInit, type Marks } from '../../../src/hosts/ssh/script.js';

/**
 * A Send that runs the worker's set-up and one request in a fresh local /bin/sh (started by
 * `wrap`, e.g. in a PID namespace of its own, when given).
 */
function localSend(requests: { count: number }, wrap: readonly string[] = []): Send {
  const marks: Marks = {
    mark: `hyperion-${randomBytes(12).toString('hex')}`,
    separator: `\n--hyperion-${randomBytes(16).toString('hex')}--\n`,
  };
  let seq = 0;
  return async (build) => {
    seq += 1;
    requests.count += 1;
    const script = `${workerInit(marks)}\n${build(marks, seq)}\n`;
    const [program, ...args] = [...wrap, '/bin/sh'];
    const result = spawnSync(program!, args, { input: script, timeout: 30_000 });
    const init = Buffer.from(terminator(marks, 0));
    const term = Buffer.from(terminator(marks, seq));
    const cut = (b: Buffer) => {
      assert.ok(b.subarray(0, init.length).equals(init), 'the set-up answered first');
      assert.ok(b.subarray(b.length - term.length).equals(term), 'the request ended with its terminator');
      return b.subarray(init.length, b.length - term.length);
    };
    return {
      response: { stdout: cut(result.stdout), stderr: cut(result.stderr).toString('utf8') },
      marks,
      seq,
    };
  };
}

describe('batches run by a real local shell', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-batch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers reads, heads, listings and stats of one turn in one request', async () => {
    const requests = { count: 0 };
    const batcher = new Batcher(localSend(requests), 'test');
    writeFileSync(path.join(dir, 'one'), '1\n');
    writeFileSync(path.join(dir, 'empty'), '');
    mkdirSync(path.join(dir, 'd'));
    writeFileSync(path.join(dir, 'd', 'x'), 'x');
    const [one, empty, missing, isDir, head, list, stat, clock] = await Promise.all([
      batcher.read(path.join(dir, 'one')),
      batcher.read(path.join(dir, 'empty')),
      batcher.read(path.join(dir, 'missing')),
      batcher.read(path.join(dir, 'd')),
      batcher.head('/proc/self/status', 200),
      batcher.find('names', path.join(dir, 'd')),
      batcher.find('stat', path.join(dir, 'one')),
      batcher.clock(),
    ]);
    assert.equal(requests.count, 1);
    assert.deepEqual(one, { ok: true, text: '1\n' });
    assert.deepEqual(empty, { ok: true, text: '' });
    assert.ok(!missing.ok && (missing.error as NodeJS.ErrnoException).code === 'ENOENT');
    assert.ok(!isDir.ok && (isDir.error as NodeJS.ErrnoException).code === 'EISDIR');
    assert.ok(head.ok && head.text.length === 200 && head.text.startsWith('Name:'));
    assert.deepEqual(toDirEntries(list, path.join(dir, 'd'), 'test'), [{ name: 'x', type: 'file' }]);
    assert.equal(stat.self.size, 2);
    assert.ok(Math.abs(clock - Date.now() / 1000) < 5);
  });

  it('removes what killed workers left behind, and only that', async () => {
    // Worker directories are named hyperion-worker.<PID namespace>.<shell pid>.<random>.
    const tmp = process.env.TMPDIR ?? '/tmp';
    const ns = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))![1]!;
    const dead = path.join(tmp, `hyperion-worker.${ns}.2147483640.test`);
    const alive = path.join(tmp, `hyperion-worker.${ns}.${process.pid}.test`);
    // A shell of another PID namespace (a container sharing /tmp): its pid means nothing here.
    const foreign = path.join(tmp, 'hyperion-worker.1.2147483640.test');
    for (const d of [dead, alive, foreign]) mkdirSync(d, { recursive: true });
    try {
      await new Batcher(localSend({ count: 0 }), 'test').read('/proc/loadavg');
      assert.equal(existsSync(dead), false, 'the directory of a shell that is gone');
      assert.equal(existsSync(alive), true, 'the directory of a live shell stays');
      assert.equal(existsSync(foreign), true, "another namespace's directory stays");

      // A worker in a PID namespace of its own, with its own /proc, sharing this /tmp (sshd in a
      // container): this process's pid is not in its /proc, and this directory is still not its.
      mkdirSync(dead, { recursive: true });
      const contained = new Batcher(
        localSend({ count: 0 }, ['unshare', '--pid', '--fork', '--mount-proc']),
        'test',
      );
      assert.ok((await contained.read('/proc/loadavg')).ok);
      assert.equal(existsSync(alive), true, 'a live shell of another namespace is not taken for dead');
      assert.equal(existsSync(dead), true, "the namespace's own dead are its own to remove");
    } finally {
      for (const d of [dead, alive, foreign]) rmSync(d, { recursive: true, force: true });
    }
  });

  it('refuses adjtimex on a host without perl, clearly, and still answers the reads sent with it', async () => {
    const requests = { count: 0 };
    for (const batcher of [
      new Batcher(localSend(requests), 'bare'), // fast reads turned off
      new Batcher(localSend(requests), 'bare', undefined, () => Promise.resolve(undefined)), // no perl found
    ]) {
      const [timex, file] = await Promise.allSettled([
        batcher.adjtimex(),
        batcher.read(path.join(dir, 'one')),
      ]);
      assert.equal(timex.status, 'rejected');
      assert.match(
        String((timex as PromiseRejectedResult).reason),
        /host bare has no perl: reading its kernel clock state/,
      );
      assert.deepEqual(file, { status: 'fulfilled', value: { ok: true, text: '1\n' } });
    }
  });

  it('cannot be fooled by contents that imitate its marks', async () => {
    const requests = { count: 0 };
    const batcher = new Batcher(localSend(requests), 'test');
    // Guesses at the separator's and terminator's shapes, and NULs: all plain content.
    const tricky = 'a\n--hyperion-00000000000000000000000000000000--\nb\nhyperion-000 1 end\n\0N\0/x\0';
    writeFileSync(path.join(dir, 'tricky'), tricky);
    const [first, second] = await Promise.all([
      batcher.read(path.join(dir, 'tricky')),
      batcher.read(path.join(dir, 'one')),
    ]);
    assert.deepEqual(first, { ok: true, text: tricky });
    assert.deepEqual(second, { ok: true, text: '1\n' });
  });

  it('coalesces statfs calls into one stat -f', async () => {
    const requests = { count: 0 };
    const statfs = new StatfsBatcher(localSend(requests), 'test');
    const [root, tmp, missing] = await Promise.allSettled([
      statfs.statfs('/'),
      statfs.statfs(dir),
      statfs.statfs('/nonexistent'),
    ]);
    assert.equal(requests.count, 1);
    assert.ok(root.status === 'fulfilled' && root.value.blocks > 0 && root.value.blockSize > 0);
    assert.equal(tmp.status, 'fulfilled');
    assert.ok(missing.status === 'rejected' && (missing.reason as NodeJS.ErrnoException).code === 'ENOENT');
  });

  it('runs a program and reads its status, output tails and timeout back', async () => {
    const requests = { count: 0 };
    const send = localSend(requests);
    const run = async (
      argv: string[],
      options: { timeoutMs?: number; maxOutputBytes?: number; input?: string } = {},
    ) => {
      const max = options.maxOutputBytes ?? 1 << 20;
      const { response, marks, seq } = await send((m, s) =>
        runRequest(m, s, { argv, sudo: false, maxOutputBytes: max, ...options }),
      );
      return runOutcome(
        parseRunAnswer(response, marks, seq, max),
        argv,
        { ...options, onTimeout: 'resolve' },
        'test',
        false,
      );
    };
    assert.deepEqual(await run(['sh', '-c', 'echo o; echo e >&2; exit 4']), {
      stdout: 'o\n',
      stderr: 'e\n',
      code: 4,
      signal: null,
    });
    assert.equal((await run(['cat'], { input: 'in' })).stdout, 'in');
    const cut = await run(['sh', '-c', 'printf 0123456789'], { maxOutputBytes: 4 });
    assert.deepEqual([cut.stdout, cut.truncated], ['6789', true]);
    const slow = await run(['sleep', '5'], { timeoutMs: 300 });
    assert.deepEqual([slow.timedOut, slow.signal, slow.code], [true, 'SIGKILL', null]);
  });
});

describe('the shell text of a program run', () => {
  const marks: Marks = { mark: 'M', separator: 'SEP' };

  it('quotes every word and runs only the listed programs through sudo -n', () => {
    const text = runRequest(marks, 1, {
      argv: ['kill', '-s', 'TERM', '--', '42'],
      sudo: true,
      maxOutputBytes: 100,
      env: { LC_ALL: "C'x" },
      timeoutMs: 1000,
    });
    assert.match(text, /exec \$S sudo -n -- env 'LC_ALL=C'\\''x' kill -s TERM -- 42/);
    assert.match(text, /sudo -n -- kill -s KILL -- "-\$3"/, 'the watchdog kills through sudo too');
    const plain = runRequest(marks, 2, { argv: ['kill', '1'], sudo: false, maxOutputBytes: 100 });
    assert.doesNotMatch(plain, /sudo/);
    assert.throws(
      () => runRequest(marks, 3, { argv: ['x'], sudo: false, maxOutputBytes: 1, env: { 'A B': 'x' } }),
      /variable name/,
    );
  });
});

describe('parsers of worker answers', () => {
  const sep = Buffer.from('|SEP|');

  it('splits parts only when the separators are exactly as many as expected', () => {
    const parts = splitParts(Buffer.from('a|SEP|b|SEP|tail'), sep, 2);
    assert.deepEqual(parts?.map(String), ['a', 'b', 'tail']);
    assert.equal(splitParts(Buffer.from('a|SEP|b'), sep, 2), undefined);
    assert.equal(splitParts(Buffer.from('a|SEP|b|SEP||SEP|'), sep, 2), undefined);
  });

  it('groups stderr by section and matches each line to its path', () => {
    const sections = stderrSections(
      "\nM 3 reads\ncat: /a: No such file or directory\n\nM 3 find0\nfind: '/d/x': No such file or directory\n",
      'M',
      3,
    );
    assert.deepEqual(sections.get('reads'), ['cat: /a: No such file or directory']);
    const paths = new Set(['/a', '/b:c', '/d']);
    assert.equal(attribute('cat: /a: No such file or directory', paths), '/a');
    assert.equal(attribute("cat: '/b:c': Permission denied", paths), '/b:c');
    assert.equal(attribute("head: cannot open '/a' for reading: No such file or directory", paths), '/a');
    assert.equal(attribute("find: '/d/x': No such file or directory", paths), undefined);
    // Alone in its section, a path owns every line — except one about an entry inside it.
    assert.equal(
      attribute("find: 'odd quoted name': Permission denied", new Set(['/odd name'])),
      '/odd name',
    );
    assert.equal(attribute("find: '/proc/123': No such file or directory", new Set(['/proc'])), undefined);
  });

  it('tells a missing tool from a failing one', () => {
    assert.equal(missingTool(['sh: 1: find: not found']), 'find');
    assert.equal(missingTool(['bash: line 1: realpath: command not found']), 'realpath');
    assert.equal(missingTool(['cat: /x: No such file or directory']), undefined);
  });

  it('reads find records of every kind and stops at a torn one', () => {
    const buf = Buffer.from(
      [
        'N',
        '/d',
        '1',
        'f',
        'name with\nnewline',
        'S',
        '/f',
        'f',
        '12',
        '644',
        '0',
        '0',
        '1700000000.5',
        'D',
        '/d',
        '1',
      ].join('\0'),
    );
    const records = parseFindRecords(buf);
    assert.equal(records.length, 2);
    assert.equal(records[0]!.name, 'name with\nnewline');
    assert.deepEqual(
      [records[1]!.size, records[1]!.mode, records[1]!.mtimeMs],
      [12, 0o644, 1_700_000_000_500],
    );
  });
});
