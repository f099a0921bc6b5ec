/**
 * The perl reader's program run by this machine's real perl, and the client's parser of its
 * length-framed answers: contents byte for byte (binary, big, empty), one-read heads, listings
 * with types, and errno names for what fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PERL_ADJTIMEX_PROGRAM } from '../../../src/hosts/adjtimex-program.js';
import { PERL_READER_PROGRAM, parseFastResponse, type FastOp } from '../../../src/hosts/ssh/perl-reader.js';
import { parseAdjtimex } from '../../../src/parsers/adjtimex.js';

function ask(ops: FastOp[]) {
  const request = `${ops.length}\0${ops.map((o) => `${o.kind}\0${o.maxBytes}\0${o.path}\0`).join('')}`;
  const result = spawnSync('perl', ['-e', PERL_READER_PROGRAM], {
    input: Buffer.from(request),
    timeout: 20_000,
  });
  assert.equal(result.status, 0, result.stderr.toString());
  const answers = parseFastResponse(result.stdout, ops.length);
  assert.ok(answers, 'a complete answer');
  return answers;
}

describe('the perl reader', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-perl-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads whole files, heads and listings, with errno names for failures', () => {
    const binary = Buffer.from([0, 1, 2, 255, 0, 10, 0]);
    const big = Buffer.alloc(300_000, 65);
    writeFileSync(path.join(dir, 'bin'), binary);
    writeFileSync(path.join(dir, 'big'), big);
    writeFileSync(path.join(dir, 'empty'), '');
    mkdirSync(path.join(dir, 'sub'));
    symlinkSync('bin', path.join(dir, 'link'));
    writeFileSync(path.join(dir, "we'ird\nname"), 'x');
    const answers = ask([
      { kind: 'r', maxBytes: 0, path: path.join(dir, 'bin') },
      { kind: 'r', maxBytes: 0, path: path.join(dir, 'big') },
      { kind: 'r', maxBytes: 0, path: path.join(dir, 'empty') },
      { kind: 'h', maxBytes: 3, path: path.join(dir, 'big') },
      { kind: 'r', maxBytes: 0, path: path.join(dir, 'missing') },
      { kind: 'r', maxBytes: 0, path: path.join(dir, 'sub') },
      { kind: 'l', maxBytes: 0, path: dir },
      { kind: 'l', maxBytes: 0, path: path.join(dir, 'bin') },
      { kind: 'l', maxBytes: 0, path: path.join(dir, 'nope') },
      { kind: 'r', maxBytes: 0, path: '/proc/self/stat' },
    ]);
    const data = (i: number) => {
      const a = answers[i]!;
      assert.ok(a.ok, `answer ${i}: ${JSON.stringify(a)}`);
      return a.data;
    };
    const code = (i: number) => {
      const a = answers[i]!;
      assert.ok(!a.ok, `answer ${i} should fail`);
      return a.code;
    };
    assert.deepEqual(data(0), binary);
    assert.deepEqual(data(1), big);
    assert.equal(data(2).length, 0);
    assert.equal(data(3).toString(), 'AAA');
    assert.equal(code(4), 'ENOENT');
    assert.equal(code(5), 'EISDIR');
    const listing = data(6).toString('utf8').replace(/\0$/, '').split('\0').sort();
    assert.deepEqual(listing, ['fbig', 'fbin', 'fempty', "fwe'ird\nname", 'llink', 'dsub'].sort());
    assert.equal(code(7), 'ENOTDIR');
    assert.equal(code(8), 'ENOENT');
    assert.match(data(9).toString(), /^\d+ \(perl\) /);
  });

  it('answers adjtimex (kind t) with the same clock state as the local helper, between file reads', () => {
    const answers = ask([
      { kind: 'r', maxBytes: 0, path: '/proc/sys/kernel/ostype' },
      { kind: 't', maxBytes: 0, path: '' },
      { kind: 'r', maxBytes: 0, path: '/proc/sys/kernel/ostype' },
    ]);
    assert.ok(answers.every((a) => a.ok));
    const line = (answers[1] as { data: Buffer }).data.toString();
    const timex = parseAdjtimex(line);
    const local = parseAdjtimex(
      spawnSync('perl', ['-e', PERL_ADJTIMEX_PROGRAM], { input: '\n', timeout: 20_000 }).stdout.toString(),
    );
    assert.deepEqual(
      [timex.clockState, timex.status, timex.tick],
      [local.clockState, local.status, local.tick],
    );
    assert.equal((answers[2] as { data: Buffer }).data.toString(), 'Linux\n', 'the stream goes on after it');
  });

  it('parses only complete answers and refuses malformed ones', () => {
    assert.equal(parseFastResponse(Buffer.from('ok\x005\x00abc'), 1), undefined);
    assert.equal(parseFastResponse(Buffer.from('ok\x003\x00abc'), 1), undefined, 'no "end" yet');
    assert.deepEqual(parseFastResponse(Buffer.from('ENOENT\x000\x00end\x00'), 1), [
      { ok: false, code: 'ENOENT' },
    ]);
    assert.throws(() => parseFastResponse(Buffer.from('ok\x00-1\x00end\x00'), 1), /malformed/);
    assert.throws(() => parseFastResponse(Buffer.from('ok\x000\x00end\x00junk'), 1), /trailing/);
  });
});
