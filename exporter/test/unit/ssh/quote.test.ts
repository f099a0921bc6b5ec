/**
 * The one quoting helper, checked against real shells: whatever the words hold (quotes,
 * dollars, backticks, newlines, globs, leading dashes, any byte but NUL), /bin/sh and bash read
 * them back exactly, and nothing they contain is executed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { shellQuote, shellWords } from '../../../src/hosts/ssh/quote.js';

const SHELLS = ['/bin/sh', '/bin/bash'].filter((s) => existsSync(s));

/** What `printf '%s\0' WORDS` prints through a shell, split back into words. */
function roundTrip(shell: string, words: string[], cwd: string): string[] {
  const result = spawnSync(shell, ['-c', `printf '%s\\0' ${shellWords(words)}`], {
    cwd,
    encoding: 'buffer',
    timeout: 10_000,
  });
  assert.equal(result.status, 0, result.stderr.toString());
  const parts = result.stdout.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

/** Deterministic pseudo-random strings over every byte except NUL, with shell-heavy characters. */
function corpus(count: number): string[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const special = [...'\'"`$\\;&|<>(){}[]*?~#!= \t\n-'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const length = next() % 24;
    for (let j = 0; j < length; j++) {
      const r = next() % 3;
      s +=
        r === 0
          ? special[next() % special.length]
          : r === 1
            ? String.fromCharCode(1 + (next() % 126))
            : 'aé€😀'[next() % 4];
    }
    out.push(s);
  }
  return out;
}

describe('shellQuote', () => {
  it('leaves plain words readable and quotes everything else', () => {
    assert.equal(shellQuote('/proc/1/stat'), '/proc/1/stat');
    assert.equal(shellQuote('--'), '--');
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellWords(['kill', '-s', 'TERM', '--', '42']), 'kill -s TERM -- 42');
  });

  it('refuses a NUL, which no argument can hold', () => {
    assert.throws(() => shellQuote('a\0b'), /NUL/);
  });

  it('round-trips hostile words through real shells without running any of them', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'hyperion-quote-'));
    try {
      const hostile = [
        '$(touch pwned1)',
        '`touch pwned2`',
        "'; touch pwned3; '",
        '"; touch pwned4; "',
        '$HOME',
        '${IFS}',
        '*',
        '~',
        '-n',
        '\\',
        'a\nb',
        '',
        ' ',
        '!!',
        ...corpus(400),
      ];
      for (const shell of SHELLS) {
        assert.deepEqual(roundTrip(shell, hostile, cwd), hostile, shell);
      }
      for (const n of [1, 2, 3, 4]) assert.equal(existsSync(path.join(cwd, `pwned${n}`)), false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
