/**
 * The root agent's program verbs, end to end on this machine (the agent as a child process, as
 * root in the tests): a program's output comes back byte for byte — NUL bytes included, which
 * also separate the answer's fields — and its exit status, signal and time limit as fields,
 * never read back from text.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LocalHost } from '../../../src/hosts/local-host.js';

describe('the agent’s program verbs', () => {
  const host = new LocalHost({}, 'local');
  after(() => host.recycleAgents());
  const job = (argv: string[], timeoutMs = 10_000, maxOutputBytes = 1 << 20) =>
    host.privileged.job({ argv, user: '', timeoutMs, maxOutputBytes });

  it('returns stdout byte for byte, NUL bytes included, and stderr apart', async () => {
    const r = await job(['/bin/sh', '-c', String.raw`printf 'a\0b\0\0c\n'; printf 'oops\n' >&2; exit 4`]);
    assert.equal(r.stdout, 'a\0b\0\0c\n');
    assert.equal(r.stderr, 'oops\n');
    assert.deepEqual([r.code, r.signal, r.timedOut, r.truncated], [4, null, undefined, undefined]);
  });

  it('ends a run at its time limit with its whole process group, and says so', async () => {
    const started = Date.now();
    const r = await job(['/bin/sh', '-c', 'sleep 30 & sleep 30; echo never'], 1000);
    assert.deepEqual([r.code, r.signal, r.timedOut], [null, 'SIGKILL', true]);
    assert.equal(r.stdout, '');
    assert.ok(Date.now() - started < 10_000, 'the background sleep held no pipe open past the grace');
  });

  it('keeps the last bytes of a long output', async () => {
    const r = await job(['seq', '1', '1000'], 10_000, 13);
    assert.equal(r.truncated, true);
    assert.equal(r.stdout, '998\n999\n1000\n');
  });

  it('says a program that is not there is not installed, for every verb that runs one', async () => {
    // The agent's exec(2) answers ENOENT; the managers read 'unsupported' (nft, journalctl…).
    await assert.rejects(job(['/nonexistent/program']), {
      name: 'HyperionError',
      type: 'unsupported',
      message: '/nonexistent/program is not installed on host local',
    });
    await assert.rejects(job(['/nonexistent/my program: v2']), {
      type: 'unsupported',
      message: '/nonexistent/my program: v2 is not installed on host local',
    });
    // Any other failure to start keeps its errno name.
    await assert.rejects(job(['/etc']), { code: 'EACCES' });
  });
});
