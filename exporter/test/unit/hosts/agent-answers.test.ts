/**
 * The agent's answers to the host reads and to `run` (agent/hyperion-agent.pl, "host reads"),
 * read back into the Host interface's shapes: binary-safe items, errors per path, and a program's
 * outcome. The answers are written here byte for byte as the agent frames them; the integration
 * tests (file-agent.test.ts) compare the same verbs against LocalHost on a real machine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseItems } from '../../../src/hosts/agent/reads.js';
import { runOutcome, runRequest } from '../../../src/hosts/agent/run.js';
import { isHyperionError } from '../../../src/util/errors.js';

const item = (status: string, bytes: Buffer | string = '') => {
  const data = Buffer.from(bytes);
  return Buffer.concat([Buffer.from(`${status}\0${data.length}\0`), data]);
};

/** A `run` answer after its status: OUTCOME CODE SIGNAL TIMED_OUT TRUNCATED STDOUT_LENGTH, bytes. */
const ran = (fields: string[], stdout: Buffer | string = '', stderr: Buffer | string = '') =>
  Buffer.concat([
    Buffer.from(`${[...fields, String(Buffer.from(stdout).length)].join('\0')}\0`),
    Buffer.from(stdout),
    Buffer.from(stderr),
  ]);

const errorType = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return isHyperionError(error) ? error.type : 'other';
  }
  return 'none';
};

describe('the agent answers of the host reads', () => {
  it('splits items by their lengths, NUL bytes inside them included, with an errno per failure', () => {
    const cmdline = Buffer.from('sleep\u00003121\u0000');
    const items = parseItems(Buffer.concat([item('ok', cmdline), item('ENOENT'), item('ok', '')]), 3);
    assert.deepEqual(items, [
      { ok: true, data: cmdline },
      { ok: false, code: 'ENOENT' },
      { ok: true, data: Buffer.alloc(0) },
    ]);
  });

  it('refuses an answer cut short, with a bad length, or with more items than asked for', () => {
    const two = Buffer.concat([item('ok', 'alpha'), item('EACCES')]);
    assert.throws(() => parseItems(two, 3), /cut short/);
    assert.throws(() => parseItems(two, 1), /more items than asked/);
    assert.throws(() => parseItems(Buffer.from('ok\x0099\x00abc'), 1), /malformed item length/);
    assert.throws(() => parseItems(Buffer.from('ok\x00-1\x00'), 1), /malformed item length/);
  });
});

describe('the agent request of run', () => {
  it('lays out limits, directory, input, environment and the argument vector', () => {
    const request = runRequest(['printf', '%s', 'a b'], {
      timeoutMs: 1500,
      maxOutputBytes: 64,
      cwd: '/tmp',
      input: 'in',
      env: { A: '1', B_2: 'x=y' },
    });
    assert.deepEqual(request, {
      verb: 'run',
      args: ['1500', '64', '/tmp', '1', 'in', '2', 'A=1', 'B_2=x=y', 'printf', '%s', 'a b'],
    });
    assert.deepEqual(runRequest(['true'], {}).args.slice(0, 6), ['0', String(1 << 20), '', '0', '', '0']);
  });

  it('refuses what the frame could not carry, and names that are not variable names', () => {
    for (const [argv, options] of [
      [['a\0b'], {}],
      [['cat'], { input: 'x\0y' }],
      [['env'], { env: { A: 'x\0' } }],
      [['env'], { env: { 'A=B': 'x' } }],
    ] as const)
      assert.equal(
        errorType(() => runRequest(argv, options)),
        'bad-request',
        JSON.stringify([argv, options]),
      );
  });
});

describe('the agent answer of run', () => {
  const argv = ['prog', 'arg'];

  it('gives code, signal and both tails, stdout cut at its length', () => {
    assert.deepEqual(runOutcome(ran(['exit', '3', '', '0', '0'], 'out\0put', 'err'), argv, {}, 'h'), {
      stdout: 'out\0put',
      stderr: 'err',
      code: 3,
      signal: null,
    });
    assert.deepEqual(runOutcome(ran(['exit', '', 'SIGTERM', '0', '0']), argv, {}, 'h'), {
      stdout: '',
      stderr: '',
      code: null,
      signal: 'SIGTERM',
    });
  });

  it('drops the rest of a UTF-8 sequence the tail cut through, only when it was cut', () => {
    const cut = Buffer.concat([Buffer.from('é').subarray(1), Buffer.from('nd')]);
    const r = runOutcome(ran(['exit', '0', '', '0', '1'], cut, cut), argv, {}, 'h');
    assert.deepEqual([r.stdout, r.stderr, r.truncated], ['nd', 'nd', true]);
  });

  it('makes a timeout an error, or a result with SIGKILL when the caller wants one', () => {
    const answer = ran(['exit', '', 'SIGKILL', '1', '0'], 'started\n');
    assert.equal(
      errorType(() => runOutcome(answer, argv, { timeoutMs: 300 }, 'h')),
      'timeout',
    );
    assert.deepEqual(runOutcome(answer, argv, { timeoutMs: 300, onTimeout: 'resolve' }, 'h'), {
      stdout: 'started\n',
      stderr: '',
      code: null,
      signal: 'SIGKILL',
      timedOut: true,
    });
  });

  it('tells a missing program from a missing working directory', () => {
    assert.equal(
      errorType(() => runOutcome(ran(['exec', 'ENOENT', '', '0', '0']), argv, {}, 'h')),
      'unsupported',
    );
    assert.equal(
      errorType(() => runOutcome(ran(['exec', 'EACCES', '', '0', '0']), argv, {}, 'h')),
      'unavailable',
    );
    assert.equal(
      errorType(() => runOutcome(ran(['chdir', 'ENOENT', '', '0', '0']), argv, { cwd: '/gone' }, 'h')),
      'not-found',
    );
    assert.equal(
      errorType(() => runOutcome(Buffer.from('exit\x000\x00'), argv, {}, 'h')),
      'unavailable',
    );
  });
});
