/**
 * The file agent's conformance: the same cases against the agent on this machine (a child
 * process) and over a real sshd (an exec channel), expecting the same results and the same errno
 * names for every verb — and the same refusals: outside the root (directly, through a link, and
 * through a directory swapped for a link after the check), a FIFO, a device, a kernel file
 * system, the exporter's secrets by path and by hard link. Requests go to the agent directly,
 * with paths no files manager would send: the agent alone must hold the line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AgentConnection,
  answerError,
  isAgentRefusal,
  type AgentTransport,
} from '../../src/hosts/agent/connection.js';
import { AGENT_PATH, launchLocalAgent, type SecretPaths } from '../../src/hosts/agent/launch.js';
import { AgentPool } from '../../src/hosts/agent/pool.js';
import { Bursts, ReadBatcher } from '../../src/hosts/agent/reads.js';
import { runOutcome, runRequest } from '../../src/hosts/agent/run.js';
import type { FileEntry, Host, HostFiles, ReadResult, RunOptions, RunResult } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local-host.js';
import { SshHost } from '../../src/hosts/ssh-host.js';
import { fetchHostKey } from '../../src/hosts/ssh/host-key.js';
import { parseAdjtimex } from '../../src/parsers/adjtimex.js';
import type { HyperionError } from '../../src/util/errors.js';
import { generateKey, startSshd, testSshHost, type KeyPair, type RunningSshd } from '../support/sshd.js';

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;
const failure = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => assert.fail('expected a failure'),
    (error: unknown) => error,
  );
/** The agent's refusal reason, or the errno code of a failed system call. */
const outcome = async (promise: Promise<unknown>): Promise<string> => {
  const error = await failure(promise);
  if (isAgentRefusal(error)) return `refused:${error.reason}`;
  const c = code(error);
  if (c) return c;
  throw error;
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function writeAll(sink: NodeJS.WritableStream, data: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    sink.on('error', reject);
    sink.on('finish', () => resolve());
    sink.write(data.subarray(0, Math.floor(data.length / 3)));
    sink.end(data.subarray(Math.floor(data.length / 3)));
  });
}

/** An agent started by hand, as the tests below want it (with --serve, or through sudo). */
function spawnAgent(command: string, args: string[]): AgentTransport {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return {
    input: child.stdin,
    output: child.stdout,
    close: () => child.kill('SIGKILL'),
    onGone: (listener) => child.once('exit', (code) => listener(`exit ${code}`)),
  };
}

const comparable = (e: FileEntry) => ({ ...e, mtimeMs: Math.floor(e.mtimeMs / 1000) });

describe('the file agent, on this machine and over SSH, with the same answers', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'hyperion-agent-'));
  const outside = path.join(base, 'outside');
  const data = path.join(base, 'data');
  const secrets: SecretPaths = { deny: [data, path.join(base, 'id_key')], allow: [path.join(data, 'files')] };
  let key: KeyPair;
  let sshd: RunningSshd;
  let ssh: SshHost;
  const local = new LocalHost({}, 'local', { secrets: () => secrets });

  before(async () => {
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.txt'), 'outside');
    mkdirSync(path.join(data, 'files'), { recursive: true });
    writeFileSync(path.join(data, 'tokens.json'), '{"tokens":"hashes"}');
    writeFileSync(path.join(data, 'files', 'shared.txt'), 'shared');
    writeFileSync(path.join(base, 'id_key'), 'PRIVATE KEY');
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    const hostKey = await fetchHostKey({ address: '127.0.0.1', port: sshd.port, timeoutMs: 10_000 });
    ssh = testSshHost(sshd, hostKey, {
      name: 'agent-ssh',
      keyFile: key.privateKeyFile,
      settings: { secrets: () => secrets },
    });
  });
  after(async () => {
    ssh?.close();
    await sshd?.stop();
    key?.remove();
    rmSync(base, { recursive: true, force: true });
  });

  /** A fresh directory for one variant's case, with the same content for both. */
  function tree(variant: string, name: string): string {
    const dir = path.join(base, `${name}-${variant}`);
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'a.txt'), 'alpha\n');
    writeFileSync(path.join(dir, 'sub', 'inside'), 'x');
    symlinkSync('a.txt', path.join(dir, 'link'));
    symlinkSync('nowhere', path.join(dir, 'dangling'));
    symlinkSync(outside, path.join(dir, 'out'));
    return dir;
  }

  const variants: [string, () => HostFiles][] = [
    ['local', () => local.files],
    ['ssh', () => ssh.files],
  ];

  it('lists, stats and resolves alike on both, links as links', async () => {
    const answers = [];
    for (const [variant, files] of variants) {
      const dir = tree(variant, 'list');
      const f = files();
      const entries = (await f.list(dir, dir)).map(comparable).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(
        entries.map((e) => [e.name, e.type]),
        [
          ['a.txt', 'file'],
          ['dangling', 'symlink'],
          ['link', 'symlink'],
          ['out', 'symlink'],
          ['sub', 'dir'],
        ],
      );
      assert.equal(entries.find((e) => e.name === 'link')?.linkTarget, 'a.txt');
      const lstat = comparable(await f.lstat(dir, path.join(dir, 'link')));
      const stat = comparable(await f.stat(dir, path.join(dir, 'link')));
      assert.equal(lstat.type, 'symlink');
      assert.equal(stat.type, 'file');
      assert.equal(await f.realpath(dir, path.join(dir, 'link')), path.join(dir, 'a.txt'));
      answers.push({
        entries: entries.map(({ name, type, size, mode }) => ({ name, type, size, mode })),
        realpathMissing: await outcome(f.realpath(dir, path.join(dir, 'dangling'))),
        listFile: await outcome(f.list(dir, path.join(dir, 'a.txt'))),
        listLink: await outcome(f.list(dir, path.join(dir, 'link'))),
        listMissing: await outcome(f.list(dir, path.join(dir, 'missing'))),
        lstatMissing: await outcome(f.lstat(dir, path.join(dir, 'missing'))),
      });
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0]!.realpathMissing, 'ENOENT');
    assert.deepEqual(answers[0]!.listFile, 'ENOTDIR');
    assert.deepEqual(answers[0]!.listLink, 'ENOTDIR');
    assert.deepEqual(answers[0]!.listMissing, 'ENOENT');
  });

  it('reads what it opened, a range of it, and the same errors', async () => {
    const answers = [];
    for (const [variant, files] of variants) {
      const dir = tree(variant, 'read');
      const f = files();
      const big = Buffer.alloc(300_000, 7);
      big.write('start', 0);
      writeFileSync(path.join(dir, 'big.bin'), big);
      const whole = await f.read(dir, path.join(dir, 'big.bin'));
      assert.equal(whole.entry.size, big.length);
      assert.deepEqual(await readAll(whole.stream), big);
      const range = await f.read(dir, path.join(dir, 'big.bin'), { start: 2, end: 4 });
      assert.equal((await readAll(range.stream)).toString(), 'art');
      answers.push({
        missing: await outcome(f.read(dir, path.join(dir, 'missing'))),
        directory: await outcome(f.read(dir, path.join(dir, 'sub'))),
        // The last component is never followed: a caller sends canonical paths.
        link: await outcome(f.read(dir, path.join(dir, 'link'))),
      });
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], { missing: 'ENOENT', directory: 'refused:not-directory', link: 'ELOOP' });
  });

  it('refuses what is outside the root, secret, a FIFO, a device or a kernel file, on both', async () => {
    const fifo = path.join(base, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const hardLink = path.join(base, 'hard-link');
    linkSync(path.join(base, 'id_key'), hardLink);
    const answers = [];
    for (const [variant, files] of variants) {
      const dir = tree(variant, 'refuse');
      const f = files();
      const started = Date.now();
      answers.push({
        viaLink: await outcome(f.read(dir, path.join(dir, 'out', 'secret.txt'))),
        direct: await outcome(f.read(dir, path.join(outside, 'secret.txt'))),
        listOutside: await outcome(f.list(dir, outside)),
        realpathOutside: await outcome(f.realpath(dir, path.join(dir, 'out'))),
        fifo: await outcome(f.read('/', fifo)),
        device: await outcome(f.read('/', '/dev/zero')),
        proc: await outcome(f.read('/', '/proc/self/environ')),
        procList: await outcome(f.list('/', '/proc')),
        sys: await outcome(f.read('/', '/sys/kernel/mm/transparent_hugepage/enabled')),
        tokens: await outcome(f.read('/', path.join(data, 'tokens.json'))),
        dataDir: await outcome(f.list('/', data)),
        key: await outcome(f.read('/', path.join(base, 'id_key'))),
        hardLink: await outcome(f.read('/', hardLink)),
        writeIntoData: await outcome(f.create('/', path.join(data, 'planted'), 0o600)),
        removeData: await outcome(f.remove('/', data, { recursive: true })),
        moveData: await outcome(f.rename('/', data, '/', path.join(base, 'moved'))),
        removeParentOfData: await outcome(f.remove('/', base, { recursive: true })),
        copyData: await outcome(f.copy('/', data, '/', path.join(base, 'copied'), { recursive: true })),
        parentDots: await outcome(f.read(dir, `${dir}/../outside/secret.txt`)),
      });
      assert.ok(Date.now() - started < 20_000, `${variant}: no refusal waits on what it refused`);
      // The part of the data directory that is served again.
      const shared = await f.read('/', path.join(data, 'files', 'shared.txt'));
      assert.equal((await readAll(shared.stream)).toString(), 'shared');
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], {
      viaLink: 'refused:outside-root',
      direct: 'refused:outside-root',
      listOutside: 'refused:outside-root',
      realpathOutside: 'refused:outside-root',
      fifo: 'refused:not-regular',
      device: 'refused:pseudo-fs',
      proc: 'refused:pseudo-fs',
      procList: 'refused:pseudo-fs',
      sys: 'refused:pseudo-fs',
      tokens: 'refused:secret',
      dataDir: 'refused:secret',
      key: 'refused:secret',
      hardLink: 'refused:secret',
      writeIntoData: 'refused:secret',
      removeData: 'refused:secret',
      moveData: 'refused:secret',
      removeParentOfData: 'refused:secret',
      copyData: 'refused:secret',
      parentDots: 'refused:bad-request',
    });
    assert.ok(existsSync(path.join(data, 'tokens.json')), 'the data directory is untouched');
    assert.equal(existsSync(path.join(data, 'planted')), false);
  });

  it('decides on what it opened: a directory swapped for a link after the check leads nowhere', async () => {
    for (const [variant, files] of variants) {
      const dir = tree(variant, 'swap');
      const f = files();
      mkdirSync(path.join(dir, 'docs'));
      writeFileSync(path.join(dir, 'docs', 'secret.txt'), 'inside');
      // What a files manager resolved and checked: a path inside the root...
      const checked = await f.realpath(dir, path.join(dir, 'docs', 'secret.txt'));
      assert.equal(checked, path.join(dir, 'docs', 'secret.txt'));
      // ...then someone on the host swaps the directory for a link that leads out.
      renameSync(path.join(dir, 'docs'), path.join(dir, 'docs.old'));
      symlinkSync(outside, path.join(dir, 'docs'));
      assert.equal(await outcome(f.read(dir, checked)), 'refused:outside-root', variant);
      assert.equal(
        await outcome(f.create(dir, path.join(dir, 'docs', 'new.txt'), 0o644)),
        'refused:outside-root',
        variant,
      );
      assert.equal(existsSync(path.join(outside, 'new.txt')), false);
    }
  });

  it('writes, renames, copies and removes with the same errno names', async () => {
    const answers = [];
    for (const [variant, files] of variants) {
      const dir = tree(variant, 'ops');
      const f = files();
      await f.mkdir(dir, path.join(dir, 'made'));
      await f.mkdir(dir, path.join(dir, 'deep', 'er'), { parents: true, mode: 0o750 });
      assert.equal(statSync(path.join(dir, 'deep', 'er')).mode & 0o777, 0o750);
      const big = Buffer.alloc(1_000_000, 3);
      await writeAll(await f.create(dir, path.join(dir, 'big.bin'), 0o600), big);
      assert.deepEqual(readFileSync(path.join(dir, 'big.bin')), big);
      assert.equal(statSync(path.join(dir, 'big.bin')).mode & 0o777, 0o600);
      await f.rename(dir, path.join(dir, 'big.bin'), dir, path.join(dir, 'renamed.bin'));
      writeFileSync(path.join(dir, 'deep', 'er', 'f'), 'f');
      await f.copy(dir, path.join(dir, 'deep'), dir, path.join(dir, 'copy'), { recursive: true });
      assert.equal(readFileSync(path.join(dir, 'copy', 'er', 'f'), 'utf8'), 'f');
      assert.equal(statSync(path.join(dir, 'copy', 'er')).mode & 0o777, 0o750, 'modes kept');
      const answer: Record<string, string> = {
        mkdirExists: await outcome(f.mkdir(dir, path.join(dir, 'made'))),
        createExists: await outcome(f.create(dir, path.join(dir, 'renamed.bin'), 0o644)),
        renameMissing: await outcome(f.rename(dir, path.join(dir, 'gone'), dir, path.join(dir, 'x'))),
        renameOntoDir: await outcome(
          f.rename(dir, path.join(dir, 'renamed.bin'), dir, path.join(dir, 'deep')),
        ),
        copyDirFlat: await outcome(f.copy(dir, path.join(dir, 'deep'), dir, path.join(dir, 'copy2'))),
        copyOntoExisting: await outcome(f.copy(dir, path.join(dir, 'a.txt'), dir, path.join(dir, 'copy'))),
        removeNotEmpty: await outcome(f.remove(dir, path.join(dir, 'copy'))),
        exdev:
          existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(dir).dev
            ? await outcome(
                f.rename('/', path.join(dir, 'renamed.bin'), '/', `/dev/shm/hyperion-x-${variant}`),
              )
            : 'EXDEV',
      };
      await f.remove(dir, path.join(dir, 'copy'), { recursive: true });
      await f.remove(dir, path.join(dir, 'link'));
      assert.ok(existsSync(path.join(dir, 'a.txt')), 'removing a link leaves its target');
      answer.removeMissing = await outcome(f.remove(dir, path.join(dir, 'link')));
      assert.deepEqual(readdirSync(dir).sort(), [
        'a.txt',
        'dangling',
        'deep',
        'made',
        'out',
        'renamed.bin',
        'sub',
      ]);
      answers.push(answer);
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], {
      mkdirExists: 'EEXIST',
      createExists: 'EEXIST',
      renameMissing: 'ENOENT',
      renameOntoDir: 'EISDIR',
      copyDirFlat: 'EISDIR',
      copyOntoExisting: 'EEXIST',
      removeNotEmpty: 'ENOTEMPTY',
      exdev: 'EXDEV',
      removeMissing: 'ENOENT',
    });
  });

  it('answers only its own verbs, and stops on what is not its protocol', async () => {
    const agent = new AgentConnection(await launchLocalAgent(() => secrets), 'local');
    try {
      assert.deepEqual((await agent.call('hello', [], 10_000)).slice(0, 2), ['hyperion-agent', '1']);
      for (const verb of ['exec', 'run', 'shell', 'system']) {
        const error = await failure(agent.call(verb, ['/bin/sh', '-c', 'touch /tmp/pwned'], 10_000));
        assert.ok(isAgentRefusal(error) && error.reason === 'unknown-verb', verb);
      }
      const error = await failure(agent.call('read', ['/', 'relative/path', '0', ''], 10_000));
      assert.ok(isAgentRefusal(error) && error.reason === 'bad-request');
    } finally {
      agent.close();
    }
  });
});

/**
 * The host reads and `run` — what collectors and managers ask of a host — answered three ways:
 * by LocalHost (Node's own system calls: the answers the managers are written against), by the
 * agent on this machine, and by the agent over a real sshd (SshHost). Same results, same errno
 * names. These verbs have no roots (a host is read as a whole, with its user's rights); what they
 * refuse is what would block or is not a file: a FIFO, a device, a directory read as a file.
 */
describe('the host reads and run, by LocalHost, by the agent here and over SSH, with the same answers', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'hyperion-reads-'));
  let key: KeyPair;
  let sshd: RunningSshd;
  let ssh: SshHost;
  const local = new LocalHost();
  const agents = new AgentPool({
    hostName: 'agent-here',
    max: 2,
    queueTimeoutMs: 10_000,
    idleMs: 60_000,
    startTimeoutMs: 10_000,
    launch: async () => spawnAgent('perl', [AGENT_PATH, '--serve', 'host-reads']),
  });
  /** The agent on this machine, read through the same client SshHost uses. */
  const here = new ReadBatcher(
    (requests) => agents.use((a) => a.pipeline(requests, 30_000)),
    (frame) => answerError(frame, 'agent-here'),
    'agent-here',
    new Bursts(),
  );
  const runHere = async (argv: string[], options: RunOptions = {}): Promise<RunResult> => {
    const { verb, args } = runRequest(argv, options);
    return runOutcome(await agents.use((a) => a.request(verb, args, 60_000)), argv, options, 'agent-here');
  };

  /** Each way, as the Host interface gives it. */
  type Reader = Pick<
    Host,
    'readFiles' | 'readFileHeads' | 'statMany' | 'listDir' | 'readLink' | 'statfs' | 'run'
  > & { now?(): Promise<number>; adjtimex?(): Promise<string> };
  const ways: [string, () => Reader][] = [
    ['LocalHost', () => local],
    [
      'agent here',
      () => ({
        readFiles: async (paths) =>
          new Map(await Promise.all(paths.map(async (p) => [p, await here.read(p)] as const))),
        readFileHeads: async (paths, max) =>
          new Map(await Promise.all(paths.map(async (p) => [p, await here.head(p, max)] as const))),
        statMany: async (paths) =>
          new Map(await Promise.all(paths.map(async (p) => [p, await here.stat(p)] as const))),
        listDir: (p) => here.list(p),
        readLink: (p) => here.readlink(p),
        statfs: (p) => here.statfs(p),
        run: runHere,
        now: () => here.now(),
        adjtimex: () => here.adjtimex(),
      }),
    ],
    ['agent over SSH', () => ssh],
  ];

  before(async () => {
    mkdirSync(path.join(base, 'dir', 'sub'), { recursive: true });
    writeFileSync(path.join(base, 'dir', 'a.txt'), 'alpha\n');
    writeFileSync(path.join(base, 'bin'), Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0]));
    symlinkSync('a.txt', path.join(base, 'dir', 'link'));
    symlinkSync('nowhere', path.join(base, 'dir', 'dangling'));
    spawnSync('mkfifo', [path.join(base, 'fifo')]);
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    const hostKey = await fetchHostKey({ address: '127.0.0.1', port: sshd.port, timeoutMs: 10_000 });
    ssh = testSshHost(sshd, hostKey, {
      name: 'reads-ssh',
      keyFile: key.privateKeyFile,
    });
  });
  after(async () => {
    agents.close();
    ssh?.close();
    await sshd?.stop();
    key?.remove();
    rmSync(base, { recursive: true, force: true });
  });

  /** One way's answers to every read verb, as plain data (errno names for the failures). */
  async function readAnswers(host: Reader, fifo: boolean) {
    const d = path.join(base, 'dir');
    const text = (r: ReadResult | undefined) => (r?.ok ? r.text : code(r?.error));
    const reads = await host.readFiles([
      path.join(d, 'a.txt'),
      path.join(base, 'bin'),
      path.join(d, 'missing'),
      path.join(d, 'link'),
      d,
      `/proc/${process.pid}/cmdline`,
    ]);
    const heads = await host.readFileHeads([path.join(d, 'a.txt'), `/proc/${process.pid}/stat`], 5);
    const stats = await host.statMany([
      d,
      path.join(d, 'link'),
      path.join(d, 'dangling'),
      path.join(d, 'nope'),
    ]);
    const [fs, theRoot] = [await host.statfs(base), await host.statfs('/')];
    return {
      reads: [...reads.values()].map(text),
      heads: [...heads.values()].map(text),
      stats: [...stats.values()].map((s) =>
        s.ok ? { ...s.stat, mtimeMs: Math.floor(s.stat.mtimeMs / 1000) } : code(s.error),
      ),
      list: (await host.listDir(d)).sort((a, b) => a.name.localeCompare(b.name)),
      listFile: await outcome(host.listDir(path.join(d, 'a.txt'))),
      listMissing: await outcome(host.listDir(path.join(d, 'missing'))),
      readLink: await host.readLink(path.join(d, 'link')),
      readLinkFile: await outcome(host.readLink(path.join(d, 'a.txt'))),
      readLinkMissing: await outcome(host.readLink(path.join(d, 'missing'))),
      statfs: { size: fs.size, files: fs.files, sameAsRoot: fs.size === theRoot.size },
      statfsMissing: await outcome(host.statfs(path.join(d, 'missing'))),
      // LocalHost would wait on a FIFO for a writer (Node opens it blocking): only the agents
      // are asked, and they answer at once.
      ...(fifo
        ? { fifo: text((await host.readFiles([path.join(base, 'fifo')])).values().next().value) }
        : {}),
      device: fifo ? text((await host.readFiles(['/dev/zero'])).get('/dev/zero')) : 'ENODEV',
    };
  }

  it('reads, heads, stats, lists, readlinks and statfs alike, errno names included', async () => {
    const answers = [];
    for (const [way, host] of ways)
      answers.push([way, await readAnswers(host(), way !== 'LocalHost')] as const);
    const [reference, ...others] = answers;
    for (const [way, answer] of others)
      assert.deepEqual({ ...answer, fifo: undefined }, { ...reference![1], fifo: undefined }, way);
    const r = reference![1];
    assert.deepEqual(r.reads.slice(0, 5), [
      'alpha\n',
      '\u0000\u0001\u0002\ufffd\ufffd\n\u0000',
      'ENOENT',
      'alpha\n',
      'EISDIR',
    ]);
    assert.ok(String(r.reads[5]).includes('\u0000'), 'a process command line, NULs and all');
    assert.equal(r.heads[0], 'alpha');
    assert.deepEqual(r.stats.slice(2), ['ENOENT', 'ENOENT']);
    assert.deepEqual(
      r.list.map((e) => [e.name, e.type]),
      [
        ['a.txt', 'file'],
        ['dangling', 'symlink'],
        ['link', 'symlink'],
        ['sub', 'dir'],
      ],
    );
    assert.deepEqual(
      [r.listFile, r.listMissing, r.readLink, r.readLinkFile, r.readLinkMissing, r.statfsMissing],
      ['ENOTDIR', 'ENOENT', 'a.txt', 'EINVAL', 'ENOENT', 'ENOENT'],
    );
    for (const [way, answer] of others) {
      assert.equal(answer.fifo, 'ENODEV', `${way}: a FIFO is refused, not waited on`);
      assert.equal(answer.device, 'ENODEV', `${way}: a device is no file to read`);
    }
  });

  it('reads the host clock and its discipline alike', async () => {
    const lines = [];
    for (const [way, host] of ways.slice(1)) {
      const h = host();
      const now = await h.now!();
      assert.ok(Math.abs(now - Date.now() / 1000) < 5, `${way}: ${now}`);
      assert.notEqual(now % 1, 0, `${way}: to a fraction of a second`);
      lines.push((await h.adjtimex!()).split(' ').slice(0, 3));
    }
    const reference = (await local.adjtimex()).split(' ').slice(0, 3);
    // "ok", the clock state and the modes field: the same kernel answers the same question.
    for (const line of lines) assert.deepEqual(line, reference);
  });

  it('runs programs alike: codes, signals, input, environment, tails, timeouts, what is missing', async () => {
    const answers = [];
    for (const [way, host] of ways) {
      const h = host();
      const run = async (argv: string[], options: RunOptions = {}) => {
        try {
          const r = await h.run(argv, options);
          return {
            stdout: r.stdout,
            stderr: r.stderr,
            code: r.code,
            signal: r.signal,
            timedOut: r.timedOut,
            truncated: r.truncated,
          };
        } catch (error) {
          return { error: (error as HyperionError).type ?? String(error) };
        }
      };
      answers.push([
        way,
        {
          exit: await run(['sh', '-c', 'echo out; echo err >&2; exit 3']),
          signal: await run(['sh', '-c', 'kill -TERM $$']),
          input: await run(['cat'], { input: "it's input\n" }),
          env: await run(['sh', '-c', 'printf %s "$HYPERION_X"'], { env: { HYPERION_X: "x'y z" } }),
          cwd: await run(['pwd'], { cwd: base }),
          noCwd: await run(['pwd'], { cwd: path.join(base, 'missing') }),
          missing: await run(['no-such-program-hyperion']),
          tail: await run(['sh', '-c', 'seq 1 2000'], { maxOutputBytes: 10 }),
          timeout: await run(['sleep', '30'], { timeoutMs: 300 }),
          timeoutResolved: await run(['sh', '-c', 'echo started; sleep 30'], {
            timeoutMs: 300,
            onTimeout: 'resolve',
          }),
        },
      ] as const);
    }
    const [reference, ...others] = answers;
    for (const [way, answer] of others) assert.deepEqual(answer, reference![1], way);
    assert.deepEqual(reference![1].exit, {
      stdout: 'out\n',
      stderr: 'err\n',
      code: 3,
      signal: null,
      timedOut: undefined,
      truncated: undefined,
    });
    assert.equal(reference![1].signal.signal, 'SIGTERM');
    assert.deepEqual(
      [reference![1].noCwd, reference![1].missing, reference![1].timeout],
      [{ error: 'not-found' }, { error: 'unsupported' }, { error: 'timeout' }],
    );
    assert.deepEqual([reference![1].tail.stdout, reference![1].tail.truncated], ['1999\n2000\n', true]);
    assert.deepEqual(reference![1].timeoutResolved, {
      stdout: 'started\n',
      stderr: '',
      code: null,
      signal: 'SIGKILL',
      timedOut: true,
      truncated: undefined,
    });
  });

  it('serves no reads and no programs when started through sudo, whatever its command line says', async () => {
    // Root may sudo anything here: this is the installed agent's situation, SUDO_UID and all.
    const agent = new AgentConnection(
      spawnAgent('sudo', ['-n', 'perl', AGENT_PATH, '--serve', 'host-reads']),
      'sudo-agent',
    );
    try {
      assert.deepEqual(await agent.call('hello', [], 10_000), ['hyperion-agent', '1', '0']);
      for (const verb of ['read-many', 'heads', 'stat-many', 'list-many', 'run']) {
        const error = await failure(agent.call(verb, ['/etc/shadow'], 10_000));
        assert.ok(isAgentRefusal(error) && error.reason === 'unknown-verb', verb);
      }
      // The file verbs, digest and adjtimex (read-only, no argument) stay: the privileged agent
      // is the same program.
      assert.match((await agent.call('digest', [], 10_000))[0]!, /^[0-9a-f]{8}$/);
      assert.ok(parseAdjtimex((await agent.call('adjtimex', [], 10_000))[0]!).tick > 0);
    } finally {
      agent.close();
    }
  });
});
