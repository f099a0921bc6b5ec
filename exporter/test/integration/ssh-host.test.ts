/**
 * SshHost against a real OpenSSH server on 127.0.0.1 that serves this same machine, so every
 * answer can be compared with LocalHost's (the reference implementation of the Host interface)
 * and with the file system itself: reads, batches, stats, listings, statfs, programs (exit
 * codes, signals, stdin, environment, working directory, timeouts, abort, output tails), hostile
 * names, and the connection's behaviour: one round trip per batch, the agents' cap, reads that
 * do not wait for programs, authentication failures, keep-alive.
 */
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { Registry } from 'prom-client';
import { LocalHost } from '../../src/hosts/local-host.js';
import { SshHost, type SshHostSettings } from '../../src/hosts/ssh-host.js';
import { fetchHostKey, type HostKey } from '../../src/hosts/ssh/host-key.js';
import { SshMetrics } from '../../src/hosts/ssh/metrics.js';
import {
  descendants,
  generateKey,
  startSshd,
  testSshHost,
  type KeyPair,
  type RunningSshd,
} from '../support/sshd.js';

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;
const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );

describe('SshHost against a real sshd, compared with LocalHost on the same machine', () => {
  let key: KeyPair;
  let sshd: RunningSshd;
  let hostKey: HostKey;
  let remote: SshHost;
  const local = new LocalHost();
  const registry = new Registry();
  const metrics = new SshMetrics(registry);
  const log = pino({ level: 'silent' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-sshhost-'));
  const made: SshHost[] = [];

  const host = (name: string, settings: Partial<SshHostSettings> = {}, privateKey?: string): SshHost => {
    const h = testSshHost(sshd, hostKey, {
      name,
      keyFile: privateKey ?? key.privateKeyFile,
      settings,
      metrics,
      log,
    });
    made.push(h);
    return h;
  };

  before(async () => {
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    hostKey = await fetchHostKey({ address: '127.0.0.1', port: sshd.port, timeoutMs: 10_000 });
    assert.equal(hostKey.fingerprint, sshd.fingerprint, 'the fingerprint ssh-keygen prints');
    remote = host('remote');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'a.txt'), 'alpha\n');
    writeFileSync(path.join(dir, 'bin.dat'), Buffer.from([0, 1, 2, 255, 254, 10, 0]));
    symlinkSync('a.txt', path.join(dir, 'link'));
    symlinkSync('nowhere', path.join(dir, 'dangling'));
  });
  after(async () => {
    for (const h of made) h.close();
    await sshd?.stop();
    key?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  {
    it('reads files, heads and batches as LocalHost does, in one round trip per batch', async () => {
      const paths = [
        '/proc/meminfo',
        '/etc/os-release',
        path.join(dir, 'a.txt'),
        '/nonexistent',
        '/proc/1/mem',
        dir,
      ];
      const [mine, theirs] = await Promise.all([remote.readFiles(paths), local.readFiles(paths)]);
      for (const p of paths) {
        const a = mine.get(p)!;
        const b = theirs.get(p)!;
        assert.equal(a.ok, b.ok, p);
        if (a.ok && b.ok && p !== '/proc/meminfo') assert.equal(a.text, b.text, p);
        if (!a.ok && !b.ok) assert.equal(code(a.error), code(b.error), p);
      }
      assert.equal(await remote.readFile(path.join(dir, 'a.txt')), 'alpha\n');
      assert.equal(code(await rejection(remote.readFile('/nonexistent'))), 'ENOENT');

      // Every process's stat file, the /proc listing and the owners, asked together: one request.
      const pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
      const before = remote.stats().requests;
      const [stats, listing, owners, clock] = await Promise.all([
        remote.readFileHeads(
          pids.map((p) => `/proc/${p}/stat`),
          4096,
        ),
        remote.listDir('/proc'),
        remote.statMany(pids.map((p) => `/proc/${p}`)),
        remote.now(),
      ]);
      // Four verbs (heads, list-many, stat-many, now) written at once: one round trip.
      assert.equal(remote.stats().requests - before, 1, 'one round trip');
      assert.ok(Math.abs(clock - Date.now() / 1000) < 5);
      const self = stats.get(`/proc/${process.pid}/stat`);
      assert.ok(self?.ok && self.text.startsWith(`${process.pid} (`), 'this process read over SSH');
      assert.ok(listing.some((e) => e.name === String(process.pid) && e.type === 'dir'));
      const owner = owners.get(`/proc/${process.pid}`);
      assert.ok(owner?.ok && owner.stat.uid === process.getuid!() && owner.stat.type === 'dir');

      const heads = await remote.readFileHeads([path.join(dir, 'a.txt'), path.join(dir, 'bin.dat')], 3);
      const head = heads.get(path.join(dir, 'a.txt'));
      assert.ok(head?.ok);
      assert.equal(head.text, 'alp');
    });

    it('stats, lists and resolves paths as LocalHost does', async () => {
      const names = (entries: { name: string }[]) => entries.map((e) => e.name).sort();
      assert.deepEqual(names(await remote.listDir(dir)), names(await local.listDir(dir)));
      assert.deepEqual(
        (await remote.listDir(dir)).sort((a, b) => a.name.localeCompare(b.name)),
        (await local.listDir(dir)).sort((a, b) => a.name.localeCompare(b.name)),
      );
      // A listed directory reached through a symlink is followed, as readdir does.
      if (!existsSync(path.join(dir, 'sublink')))
        symlinkSync(path.join(dir, 'sub'), path.join(dir, 'sublink'));
      writeFileSync(path.join(dir, 'sub', 'inside'), 'x');
      assert.deepEqual(names(await remote.listDir(path.join(dir, 'sublink'))), ['inside']);
      assert.equal(code(await rejection(remote.listDir(path.join(dir, 'a.txt')))), 'ENOTDIR');
      assert.equal(code(await rejection(remote.listDir(path.join(dir, 'missing')))), 'ENOENT');

      assert.equal(await remote.readLink(path.join(dir, 'link')), 'a.txt');
      assert.equal(code(await rejection(remote.readLink(path.join(dir, 'a.txt')))), 'EINVAL');

      const statPaths = [path.join(dir, 'link'), path.join(dir, 'dangling'), dir];
      const [mine, theirs] = await Promise.all([remote.statMany(statPaths), local.statMany(statPaths)]);
      for (const p of statPaths) {
        const a = mine.get(p)!;
        const b = theirs.get(p)!;
        assert.equal(a.ok, b.ok, p);
        if (a.ok && b.ok) assert.deepEqual({ ...a.stat, mtimeMs: 0 }, { ...b.stat, mtimeMs: 0 }, p);
        else if (!a.ok && !b.ok) assert.equal(code(a.error), code(b.error), p);
      }
      // The same file system: the same size; free space moves with whatever else writes meanwhile.
      const [theirFs, myFs] = await Promise.all([local.statfs('/'), remote.statfs('/')]);
      assert.equal(myFs.size, theirFs.size);
      assert.equal(myFs.files, theirFs.files);
      assert.ok(
        Math.abs(myFs.avail - theirFs.avail) < 256 * 1024 * 1024,
        `${myFs.avail} vs ${theirFs.avail}`,
      );
      assert.equal(code(await rejection(remote.statfs('/nonexistent'))), 'ENOENT');
    });
  }

  it('runs programs with argument vectors: exit codes, signals, stdin, environment, directory', async () => {
    const hostile = [
      "it's",
      '$(touch /tmp/hyperion-pwned)',
      '`id`',
      'a;b',
      '"q"',
      'new\nline',
      '',
      ' ',
      '\\',
      '*',
      '-n',
    ];
    const echoed = await remote.run(['printf', '%s\\0', ...hostile]);
    assert.deepEqual(echoed.stdout.split('\0').slice(0, -1), hostile, 'every word arrives as it was');
    assert.equal(existsSync('/tmp/hyperion-pwned'), false);

    assert.deepEqual(await remote.run(['sh', '-c', 'echo out; echo err >&2; exit 3']), {
      stdout: 'out\n',
      stderr: 'err\n',
      code: 3,
      signal: null,
    });
    const killed = await remote.run(['sh', '-c', 'kill -TERM $$']);
    assert.equal(killed.code, null);
    assert.equal(killed.signal, 'SIGTERM');
    assert.equal((await remote.run(['cat'], { input: "it's input\n" })).stdout, "it's input\n");
    assert.equal((await remote.run(['sh', '-c', 'printf %s "$A"'], { env: { A: "x'y z" } })).stdout, "x'y z");
    assert.equal((await remote.run(['pwd'], { cwd: dir })).stdout, `${dir}\n`);
    const noDir = await rejection(remote.run(['pwd'], { cwd: path.join(dir, 'missing') }));
    assert.match((noDir as Error).message, /working directory .* does not exist/);
    const missing = await rejection(remote.run(['no-such-program-xyz']));
    assert.match((missing as Error).message, /no-such-program-xyz is not installed on host remote/);

    const long = await remote.run(['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" a; echo; echo end'], {
      maxOutputBytes: 100,
    });
    assert.equal(long.truncated, true);
    assert.equal(long.stdout.length, 100);
    assert.ok(long.stdout.endsWith('a\nend\n'));
  });

  it('kills a program at its timeout, with everything it started', async () => {
    const started = Date.now();
    const timedOut = await rejection(
      remote.run(['sh', '-c', 'sleep 3121 & sleep 3121; echo never'], { timeoutMs: 500 }),
    );
    assert.match((timedOut as Error).message, /did not finish within 500 ms/);
    const resolved = await remote.run(['sh', '-c', 'echo started; sleep 3121'], {
      timeoutMs: 500,
      onTimeout: 'resolve',
    });
    assert.deepEqual(
      { stdout: resolved.stdout, code: resolved.code, signal: resolved.signal, timedOut: resolved.timedOut },
      { stdout: 'started\n', code: null, signal: 'SIGKILL', timedOut: true },
    );
    assert.ok(Date.now() - started < 8000);
    await delay(200);
    const left = readdirSync('/proc').filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8') === 'sleep\u00003121\u0000';
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, [], 'the background sleep went with its group');

    const abort = new AbortController();
    const running = remote.run(['sleep', '3122'], { signal: abort.signal });
    const sleeping = () =>
      readdirSync('/proc').filter((n) => {
        try {
          return readFileSync(`/proc/${n}/cmdline`, 'utf8') === 'sleep\u00003122\u0000';
        } catch {
          return false;
        }
      });
    for (let i = 0; i < 50 && sleeping().length === 0; i++) await delay(100);
    assert.equal(sleeping().length, 1, 'the program runs on the host');
    abort.abort();
    assert.match(((await rejection(running)) as Error).message, /stopped before it finished/);
    // Its agent's channel closed: the agent, seeing its input end, killed the program's group.
    for (let i = 0; i < 50 && sleeping().length > 0; i++) await delay(100);
    assert.deepEqual(sleeping(), [], 'an aborted program does not outlive its run');
  });

  it('reads hostile file names exactly, and keeps them out of the shell', async () => {
    const names = ["q'uote", 'sp ace', '$(touch pwned)', 'semi;colon', 'back\\slash', 'tab\there', 'ünï'];
    for (const n of names) writeFileSync(path.join(dir, 'sub', n), n);
    const paths = names.map((n) => path.join(dir, 'sub', n));
    for (const reader of [remote]) {
      const read = await reader.readFiles(paths);
      for (const p of paths) {
        const r = read.get(p);
        assert.ok(r?.ok, p);
        assert.equal(r.text, path.basename(p));
      }
      const listed = (await reader.listDir(path.join(dir, 'sub'))).map((e) => e.name);
      for (const n of names) assert.ok(listed.includes(n), n);
    }
    assert.equal(existsSync(path.join(dir, 'sub', 'pwned')), false);
    assert.equal(existsSync('pwned'), false);
  });

  it('caps its agents, however many calls arrive at once, and reads never wait for programs', async () => {
    // 4 channels: two reading agents, two for files and programs.
    const capped = host('capped', { maxChannels: 4 });
    const started = Date.now();
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 8; i++) runs.push(capped.run(['sleep', '0.3']));
    const reads = Promise.all(
      Array.from({ length: 12 }, () => capped.readFile(`/proc/${process.pid}/stat`).then(() => Date.now())),
    );
    const sessions = () => descendants(sshd.pid).length;
    await delay(150);
    const during = sessions();
    const readAt = Math.max(...(await reads));
    await Promise.all(runs);
    const elapsed = Date.now() - started;
    // Eight 0.3 s programs two at a time: four turns.
    assert.ok(elapsed >= 1150, `${elapsed} ms: more than two programs ran at once`);
    assert.ok(readAt - started < elapsed - 300, 'the reads were answered while programs still ran');
    assert.ok(during > 0);
  });

  it('reports a failed login clearly, backs off, and keeps connections alive with keep-alives', async () => {
    const stranger = generateKey();
    try {
      const refused = host('stranger', {}, stranger.privateKeyFile);
      const first = await rejection(refused.readFile('/proc/loadavg'));
      assert.match((first as Error).message, /authentication as root failed/);
      const again = await rejection(refused.readFile('/proc/loadavg'));
      assert.match((again as Error).message, /next attempt in/, 'no new attempt during the back-off');
      assert.equal(refused.status().state, 'backoff');
      const text = await registry.metrics();
      assert.match(text, /hyperion_ssh_connects_total\{host="stranger",result="auth_failed"\} 1\n/);
    } finally {
      stranger.remove();
    }

    // A connection to a server that stops answering is dropped by the keep-alives, unasked.
    const watched = host('watched', { keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    await watched.readFile('/proc/loadavg');
    assert.equal(watched.status().state, 'ready');
    const session = descendants(sshd.pid);
    for (const pid of session) process.kill(pid, 'SIGSTOP');
    try {
      let state = 'ready';
      for (let i = 0; i < 50 && state === 'ready'; i++) {
        await delay(100);
        state = watched.status().state;
      }
      assert.notEqual(state, 'ready', 'the dead connection was noticed');
    } finally {
      for (const pid of session) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone
        }
      }
    }
  });
});
