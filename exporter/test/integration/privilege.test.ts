/**
 * Issue 15's privilege split, on the real thing: the exporter is started as root, as on a fresh
 * server, and drops to a test user; it then holds no capability at all, yet its actions work —
 * through its root agent, reached on a socket only that user may use. The agent refuses on its
 * own what the exporter should never have sent, and file roots read and write as their user, so
 * the operating system's permissions hold (/etc/shadow). The other action suites (processes,
 * services in a systemd namespace, the firewall in network namespaces, jobs) start their
 * exporter the same way.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentConnection, isAgentRefusal } from '../../src/hosts/agent/connection.js';
import { connectAgentSocket } from '../../src/hosts/agent/socket.js';
import { parsePidStat } from '../../src/parsers/pid-stat.js';
import { startApi, type ApiFixture } from '../support/api.js';
import { startExporter, TEST_USER, testUser, type RunningExporter } from '../support/exporter.js';
import { finishedRun, YEARLY } from './jobs-helpers.js';

/** A process's ids and capability sets, from /proc/<pid>/status. */
function credentials(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb):\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

/** What a connection to the socket made as another user gives: an errno code, or the agent's hello. */
function connectAs(user: string, group: string, socketPath: string): string {
  const client = [
    "const s = require('net').connect(process.argv[1]);",
    "s.on('error', (e) => { console.log(e.code); process.exit(0); });",
    // The agent's hello: 4-byte length, then "1\0hello".
    "s.on('connect', () => s.write(Buffer.from([0, 0, 0, 7, 49, 0, 104, 101, 108, 108, 111])));",
    "s.on('data', (d) => { console.log(d.includes('hyperion-agent') ? 'answered' : 'other'); process.exit(0); });",
    "s.on('close', () => { console.log('closed'); process.exit(0); });",
    'setTimeout(() => { console.log("timeout"); process.exit(0); }, 10000);',
  ].join('');
  const r = spawnSync(
    'setpriv',
    [`--reuid=${user}`, `--regid=${group}`, '--clear-groups', process.execPath, '-e', client, socketPath],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (r.status !== 0) throw new Error(`setpriv failed: ${r.stderr}`);
  return r.stdout.trim();
}

const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: unknown) =>
      isAgentRefusal(error)
        ? `refused:${error.reason}`
        : ((error as NodeJS.ErrnoException).code ?? String(error)),
  );

describe('the exporter unprivileged, its root agent doing the privileged work', () => {
  let api: ApiFixture;
  let ids: { uid: number; gid: number };
  let socketPath: string;
  // Two writable roots: one the exporter's user owns and writes as, one root's.
  const own = mkdtempSync(path.join(os.tmpdir(), 'hyperion-own-'));
  const roots = mkdtempSync(path.join(os.tmpdir(), 'hyperion-roots-'));
  const children: ChildProcess[] = [];
  const sleeper = () => {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  };

  before(async () => {
    ids = testUser();
    chownSync(own, ids.uid, ids.gid);
    api = await startApi({
      user: TEST_USER,
      config: [
        'security:',
        '  otp: disabled',
        'files:',
        '  roots:',
        '    - name: etc', // no user: the exporter's own
        '      path: /etc',
        '    - name: everything', // explicitly root's
        '      path: /',
        '      user: root',
        '    - name: own',
        `      path: ${own}`,
        '      writable: true',
        '    - name: roots',
        `      path: ${roots}`,
        '      writable: true',
        '      user: root',
      ].join('\n'),
    });
    const dropped = api.exporter.logs.find(
      (l) => l.msg === 'running unprivileged; privileged work goes to the root agent',
    );
    assert.ok(dropped, 'the exporter says it dropped its privileges');
    socketPath = String(dropped.agentSocket);
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await api?.stop();
    for (const dir of [own, roots]) rmSync(dir, { recursive: true, force: true });
  });

  it('runs as the test user with no capability at all', () => {
    const c = credentials(api.exporter.child.pid!);
    assert.deepEqual(c.Uid!.split(/\s+/).map(Number), [ids.uid, ids.uid, ids.uid, ids.uid]);
    assert.deepEqual(c.Gid!.split(/\s+/).map(Number), [ids.gid, ids.gid, ids.gid, ids.gid]);
    assert.equal(c.Groups, String(ids.gid), 'no supplementary group of root left');
    assert.equal(BigInt(`0x${c.CapEff}`), 0n);
    assert.equal(BigInt(`0x${c.CapPrm}`), 0n, 'nothing to take back either');
    // Its data directory is its own.
    assert.equal(statSync(api.exporter.storagePath).uid, ids.uid);
    assert.equal(statSync(`${api.exporter.storagePath}/tokens.json`).uid, ids.uid);
  });

  it("still signals and renices root's processes, through the agent", async () => {
    const pid = sleeper();
    const niced = await api.admin.call('post', `/hosts/local/processes/${pid}/renice`, {
      body: { nice: -7 },
    });
    assert.equal(niced.status, 200, niced.text);
    assert.equal(parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).nice, -7, 'below 0: root only');
    const detail = await api.admin.call<{ executable: string | null; openFiles: number | null }>(
      'get',
      `/hosts/local/processes/${pid}`,
    );
    assert.equal(detail.body.executable, '/usr/bin/sleep', "another user's executable, read by the agent");
    assert.ok(detail.body.openFiles !== null && detail.body.openFiles >= 3);
    const killed = await api.admin.call('post', `/hosts/local/processes/${pid}/signal`, {
      body: { signal: 'KILL' },
    });
    assert.equal(killed.status, 200, killed.text);
    const child = children.at(-1)!;
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    assert.equal(child.signalCode, 'SIGKILL');
  });

  it('runs a job as its configured user, and as root without one', async () => {
    for (const [name, user, expected] of [
      ['as-nobody', 'nobody', spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim()],
      ['as-agent', undefined, '0'],
    ] as const) {
      const created = await api.admin.call('post', '/jobs', {
        body: { name, schedule: YEARLY, command: { argv: ['id', '-u'], ...(user ? { user } : {}) } },
      });
      assert.equal(created.status, 201, created.text);
      const started = await api.admin.call<{ id: number }>('post', `/jobs/${name}/run`);
      const run = await finishedRun(api.admin, name, started.body.id);
      assert.equal(run.result, 'success', run.error ?? run.stderr);
      assert.equal(run.stdout?.trim(), expected);
    }
  });

  it('reads files as the root’s user: /etc/shadow only where a root says root', async () => {
    const asExporter = await api.admin.call('get', '/hosts/local/files/etc/shadow?download');
    assert.equal(asExporter.status, 409, asExporter.text);
    assert.match(asExporter.text, /permission denied/);
    assert.doesNotMatch(asExporter.text, /root:/);
    const asRoot = await api.admin.call('get', '/hosts/local/files/everything/etc/shadow?download');
    assert.equal(asRoot.status, 200, asRoot.text);
    assert.equal(asRoot.text, readFileSync('/etc/shadow', 'utf8'));
    // What the exporter's user may read, it reads through its own root.
    const hostname = await api.admin.call('get', '/hosts/local/files/etc/hostname?download');
    assert.equal(hostname.text, readFileSync('/etc/hostname', 'utf8'));
  });

  it('writes as the root’s user: its files are that user’s, and no move mixes two users', async () => {
    const put = (root: string) =>
      api.admin.call('put', `/hosts/local/files/${root}/note.txt`, { rawBody: 'hello\n' });
    assert.equal((await put('own')).status, 201);
    assert.equal((await put('roots')).status, 201);
    assert.equal(statSync(path.join(own, 'note.txt')).uid, ids.uid, 'written as the exporter’s user');
    assert.equal(statSync(path.join(roots, 'note.txt')).uid, 0, 'written as root');
    const moved = await api.admin.call('post', '/hosts/local/file-operations/move', {
      body: {
        items: [{ from: { root: 'own', path: 'note.txt' }, to: { root: 'roots', path: 'moved.txt' } }],
      },
    });
    assert.equal(moved.status, 409, moved.text);
    assert.match(moved.text, /act as different users/);
    assert.ok(
      existsSync(path.join(own, 'note.txt')) && !existsSync(path.join(roots, 'moved.txt')),
      'nothing moved',
    );
  });

  it('keeps its socket to root and the exporter’s user: another user cannot even connect', () => {
    const dir = socketPath.slice(0, socketPath.lastIndexOf('/'));
    const [d, s] = [statSync(dir), statSync(socketPath)];
    assert.deepEqual([d.uid, d.gid, d.mode & 0o777], [0, ids.gid, 0o750]);
    assert.deepEqual([s.uid, s.gid, s.mode & 0o777], [0, ids.gid, 0o660]);
    assert.equal(connectAs('nobody', 'nogroup', socketPath), 'EACCES');
    // In the socket's group but not its user: the agent checks the peer (SO_PEERCRED) and hangs up
    // without a word (a reset, or a broken pipe, when the request was still unread or unsent).
    assert.match(connectAs('nobody', String(ids.gid), socketPath), /^(closed|ECONNRESET|EPIPE)$/);
    // The exporter's user itself is answered.
    assert.equal(connectAs(String(ids.uid), String(ids.gid), socketPath), 'answered');
  });

  it('refuses, on its own, what the exporter should never have sent', async () => {
    const transport = await connectAgentSocket(socketPath, 10_000);
    const agent = new AgentConnection(transport, 'local');
    try {
      const call = (verb: string, ...args: string[]) => outcome(agent.call(verb, args, 10_000));
      assert.equal(await call('hello'), 'ok');
      assert.equal(await call('exec', '/bin/sh', '-c', 'id'), 'refused:unknown-verb');
      assert.equal(await call('systemctl', 'restart', '../../etc/passwd'), 'refused:bad-unit');
      assert.equal(await call('systemctl', 'restart', '--force'), 'refused:bad-unit');
      assert.equal(await call('journal', 'ssh service', '10'), 'refused:bad-unit');
      assert.equal(await call('systemctl', 'poweroff', 'ssh.service'), 'refused:bad-request');
      assert.equal(await call('signal', '1', 'KILL'), 'refused:protected');
      // The peer is this test process here (root may connect too): never signalled by its agent.
      assert.equal(await call('signal', String(process.pid), 'TERM'), 'refused:protected');
      assert.equal(await call('signal', String(process.pid), 'SEGV'), 'refused:bad-request');
      assert.equal(await call('renice', '-40', String(process.pid)), 'refused:bad-request');
      assert.equal(
        await call('systemctl-query', 'show', '--property=Environment', '--', 'ssh.service'),
        'refused:secret',
      );
      assert.equal(await call('systemctl-query', 'show', '--', 'ssh.service'), 'refused:bad-request');
      assert.equal(await call('nft-list', 'inet', 'x; flush ruleset'), 'refused:bad-request');
      assert.equal(await call('as', TEST_USER, 'signal', '1', 'TERM'), 'refused:unknown-verb');
      assert.equal(await call('read', '/etc/ssh', '/etc/shadow', '0', ''), 'refused:outside-root');
      // An errno name, never text: the system call's own answer.
      assert.equal(await call('signal', '4194000', 'TERM'), 'ESRCH');
      assert.equal(await call('as', TEST_USER, 'read', '/etc', '/etc/shadow', '0', ''), 'EACCES');
    } finally {
      agent.close();
    }
  });

  it('tails a log below /var/log as root, and nothing a link or a FIFO there leads to', async () => {
    const base = `/var/log/hyperion-privilege-${process.pid}`;
    const made = [`${base}.log`, `${base}.link`, `${base}.fifo`, `${base}.d`, `${base}-dir`];
    const transport = await connectAgentSocket(socketPath, 10_000);
    const agent = new AgentConnection(transport, 'local');
    try {
      // Root's alone, as many logs are: the exporter's user cannot open it, the agent can.
      writeFileSync(`${base}.log`, 'one\ntwo\nthree\n', { mode: 0o600 });
      chmodSync(`${base}.log`, 0o600);
      assert.deepEqual(await agent.call('log-tail', [`${base}.log`, '2'], 10_000), ['0', 'two\nthree']);
      assert.deepEqual(await agent.call('log-tail', [`${base}.log`, '0'], 10_000), ['0', '']);
      // Someone who may write in /var/log points names at root's secrets.
      symlinkSync('/etc/shadow', `${base}.link`);
      symlinkSync('/etc', `${base}.d`);
      assert.equal(spawnSync('mkfifo', [`${base}.fifo`]).status, 0);
      mkdirSync(`${base}-dir`);
      const call = (...args: string[]) => outcome(agent.call('log-tail', args, 10_000));
      assert.equal(await call(`${base}.link`, '10'), 'refused:outside-root');
      assert.equal(await call(`${base}.d/shadow`, '10'), 'refused:outside-root');
      assert.equal(await call('/etc/shadow', '10'), 'refused:outside-root');
      assert.equal(await call('/var/log/../etc/shadow', '10'), 'refused:bad-request');
      assert.equal(
        await call(`${base}.fifo`, '10'),
        'refused:not-regular',
        'a FIFO is refused, not waited on',
      );
      assert.equal(await call(`${base}-dir`, '10'), 'refused:not-directory');
      assert.equal(await call(`${base}.missing`, '10'), 'ENOENT');
      assert.equal(await call(`${base}.log`, '-1'), 'refused:bad-request');
      assert.equal(await call('var/log/x.log', '1'), 'refused:bad-request');
    } finally {
      agent.close();
      for (const p of made) rmSync(p, { recursive: true, force: true });
    }
  });
});

describe('the root agent this exporter started, and its end', () => {
  /** The listening agent the exporter started: its child whose command line says --listen. */
  const listenerOf = (exporterPid: number): number | undefined => {
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
        if (ppid === exporterPid && argv.includes('--listen')) return Number(pid);
      } catch {
        // ended meanwhile
      }
    }
    return undefined;
  };
  const exited = (exporter: RunningExporter) =>
    new Promise<number | null>((resolve) => {
      if (exporter.child.exitCode !== null) resolve(exporter.child.exitCode);
      else exporter.child.once('exit', (code) => resolve(code));
    });

  it(
    'ends the exporter, saying why, when its root agent is killed: nothing could start another',
    { timeout: 60_000 },
    async () => {
      const exporter = await startExporter({ user: TEST_USER });
      try {
        const agent = listenerOf(exporter.child.pid!);
        assert.ok(agent, 'the exporter started a listening agent');
        // Its own session: a Ctrl-C at the exporter's terminal does not reach it.
        assert.equal(
          readFileSync(`/proc/${agent}/stat`, 'utf8').split(') ')[1]!.split(' ')[3],
          String(agent),
        );
        process.kill(agent, 'SIGKILL');
        assert.equal(await exited(exporter), 1);
        const last = exporter.logs.find((l) => String(l.msg).startsWith('the root agent ended'));
        assert.ok(last, JSON.stringify(exporter.logs.slice(-3)));
        assert.match(String(last.how), /SIGKILL/);
      } finally {
        await exporter.stop();
      }
    },
  );

  it(
    'ends before the exporter when it is stopped, without an error, its socket removed',
    { timeout: 60_000 },
    async () => {
      const exporter = await startExporter({ user: TEST_USER });
      try {
        const agent = listenerOf(exporter.child.pid!);
        assert.ok(agent);
        const socket = exporter.logs.find((l) => l.agentSocket !== undefined)?.agentSocket as string;
        exporter.child.kill('SIGTERM');
        assert.equal(await exited(exporter), 0);
        assert.equal(
          exporter.logs.some((l) => String(l.msg).startsWith('the root agent ended')),
          false,
        );
        // The exporter closed the agent's stdin and waited for it: gone before the exporter was
        // (a supervisor that waits for the exporter finds nothing it started still running).
        assert.equal(existsSync(`/proc/${agent}`), false, 'the agent ended before the exporter did');
        assert.equal(existsSync(path.dirname(socket)), false, 'its socket directory is gone');
      } finally {
        await exporter.stop();
      }
    },
  );
});
