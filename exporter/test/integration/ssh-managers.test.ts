/**
 * Every feature on a remote host: the exporter reaches this same machine through a real sshd on
 * 127.0.0.1, so what it reports and does over SSH can be checked against the truth (/proc, the
 * files on disk) and against its own local /metrics. /probe output passes promtool and agrees
 * with /metrics; a process is listed, signalled and reniced; a file is uploaded, moved (within
 * a file system and across two) and downloaded; jobs run on the remote host, one killed at its
 * timeout; a missing tool on the host is a clear problem, not a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parsePidStat } from '../../src/parsers/pid-stat.js';
import { startApi, type ApiFixture } from '../support/api.js';
import { parseExposition, type ParsedSample } from '../support/exposition.js';
import { checkMetrics } from '../support/promtool.js';
import { addApprovedHost, generateKey, startSshd, type KeyPair, type RunningSshd } from '../support/sshd.js';
import { filesConfig, leftovers, rawRequest, tempTree } from './files-fixture.js';
import { finishedRun } from './jobs-helpers.js';

const children: ChildProcess[] = [];
function sleeper(seconds: number): ChildProcess {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function stat(pid: number) {
  return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** The collected series of an exposition: the exporter's own process_/nodejs_ ones left out. */
function samples(text: string): ParsedSample[] {
  const kept = text
    .split('\n')
    .filter(
      (l) =>
        !/^(# (HELP|TYPE) )?(process_|nodejs_|hyperion_exporter_|hyperion_api_|hyperion_ssh_|hyperion_audit|hyperion_actions|hyperion_firewall|hyperion_job)/.test(
          l,
        ),
    )
    .join('\n');
  return parseExposition(kept).samples;
}

function value(list: ParsedSample[], name: string, labels: Record<string, string> = {}): number {
  const found = list.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found, `${name}${JSON.stringify(labels)} is missing`);
  return found.value;
}

describe('every manager on a remote host over SSH', () => {
  let api: ApiFixture;
  let key: KeyPair;
  let sshd: RunningSshd;
  let sudoSshd: RunningSshd;
  const tree = tempTree('hyperion-ssh-files-');
  const shm = tempTree('hyperion-ssh-shm-', existsSync('/dev/shm') ? '/dev/shm' : undefined);
  const data = path.join(tree.dir, 'data');

  before(async () => {
    mkdirSync(data);
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    // A second server whose login user is not root: the agent installed and the one sudoers line.
    sudoSshd = await startSshd({ authorizedKeys: [key.publicKey], login: {} });
    api = await startApi({
      config:
        filesConfig([
          { name: 'data', path: data, writable: true },
          { name: 'shm', path: shm.dir, writable: true },
        ]) + `ssh:\n  agentPath: ${JSON.stringify(sudoSshd.login!.agentPath)}\n`,
    });
    await addApprovedHost(api.admin, {
      name: 'far',
      sshd,
      keyFile: key.privateKeyFile,
      labels: { site: 'lab' },
    });
    await addApprovedHost(api.admin, {
      name: 'far-sudo',
      sshd: sudoSshd,
      keyFile: key.privateKeyFile,
      privilege: 'sudo',
      user: sudoSshd.login!.user,
    });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await api?.stop();
    await sshd?.stop();
    await sudoSshd?.stop();
    key?.remove();
    tree.remove();
    shm.remove();
  });

  it('probes the host: promtool-clean, and the same values as the local /metrics of this machine', async () => {
    const probe = async () => {
      const res = await fetch(`${api.exporter.url}/probe?target=far`, {
        headers: { 'x-prometheus-scrape-timeout-seconds': '10', authorization: `Bearer ${api.viewer.token}` },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return res.text();
    };
    await probe(); // the first one also connects and starts the shells
    const local = samples(await (await fetch(`${api.exporter.url}/metrics`)).text());
    const started = Date.now();
    const text = await probe();
    const remote = samples(text);

    const lint = await checkMetrics(text);
    assert.ok(lint.ok, lint.problems);
    assert.equal(value(remote, 'hyperion_probe_success'), 1);
    assert.ok(value(remote, 'hyperion_probe_duration_seconds') < 10);
    // Batched: the whole scrape's reads in a handful of round trips, whatever the file count.
    const trips = value(remote, 'hyperion_probe_ssh_requests');
    assert.ok(trips >= 1 && trips <= 6, `${trips} round trips`);
    for (const s of remote.filter((x) => x.name === 'hyperion_scrape_collector_success')) {
      assert.equal(s.value, 1, `collector ${s.labels.collector} failed over SSH`);
    }
    // The same families as the local scrape (the probe's own two aside).
    const names = (list: ParsedSample[]) => new Set(list.map((s) => s.name));
    // The exporter's own security counters are about the exporter, not about a host.
    const own =
      /^hyperion_(otp_|unauthenticated_requests_total$|audit_suppressed_total$|config_last_reload_)/;
    const missing = [...names(local)].filter((n) => !names(remote).has(n) && !own.test(n));
    assert.deepEqual(missing, []);

    // Memory, file system sizes and identity are the same numbers, read over SSH.
    assert.equal(value(remote, 'hyperion_memory_total_bytes'), value(local, 'hyperion_memory_total_bytes'));
    assert.equal(value(remote, 'hyperion_boot_time_seconds'), value(local, 'hyperion_boot_time_seconds'));
    const rootSize = (list: ParsedSample[]) =>
      value(list, 'hyperion_filesystem_size_bytes', { mountpoint: '/' });
    assert.equal(rootSize(remote), rootSize(local));
    const info = (list: ParsedSample[]) => list.find((s) => s.name === 'hyperion_host_info')!.labels;
    assert.deepEqual(info(remote), info(local));
    // The kernel's clock state, asked of the host's perl reader (adjtimex has no file): the same
    // kernel as the local scrape's, so the same state.
    for (const name of ['hyperion_timex_sync_status', 'hyperion_timex_status', 'hyperion_timex_tick_seconds'])
      assert.equal(value(remote, name), value(local, name), name);
    // CPU counters only grow: the probe's, read just after, are at or above and close to them.
    for (const mode of ['user', 'system', 'idle']) {
      const before = value(local, 'hyperion_cpu_seconds_total', { cpu: '0', mode });
      const later = value(remote, 'hyperion_cpu_seconds_total', { cpu: '0', mode });
      assert.ok(later >= before && later - before < 30, `cpu0 ${mode}: ${before} then ${later}`);
    }
    // The host's own clock (read in the probe's first round trip), not the exporter's.
    const clock = value(remote, 'hyperion_time_seconds');
    assert.ok(Math.abs(clock * 1000 - started) < 10_000, `remote clock ${clock}`);
    assert.notEqual(clock % 1, 0, 'with sub-second precision (date +%s.%N)');
  });

  it('lists, signals and renices a process over SSH', async () => {
    const child = sleeper(3117);
    const pid = child.pid!;
    const list = await api.viewer.call<{
      items: { pid: number; user: string; command: string; name: string }[];
    }>('get', '/hosts/far/processes?search=sleep%203117');
    assert.equal(list.status, 200, list.text);
    const found = list.body.items.find((p) => p.pid === pid);
    assert.ok(found, `pid ${pid} not listed over SSH: ${list.text.slice(0, 300)}`);
    assert.equal(found.command, 'sleep 3117');
    assert.equal(found.user, 'root');

    const detail = await api.viewer.call<{ pid: number; ppid: number; cwd: string }>(
      'get',
      `/hosts/far/processes/${pid}`,
    );
    assert.equal(detail.status, 200, detail.text);
    assert.equal(detail.body.ppid, process.pid);

    const reniced = await api.operator.call<{ nice: number; previousNice: number }>(
      'post',
      `/hosts/far/processes/${pid}/renice`,
      { body: { nice: 7 } },
    );
    assert.equal(reniced.status, 200, reniced.text);
    assert.equal(reniced.body.nice, 7);
    assert.equal(stat(pid).nice, 7, 'the kernel says so too');

    const stopped = await api.operator.call('post', `/hosts/far/processes/${pid}/signal`, {
      body: { signal: 'STOP' },
    });
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stat(pid).state, 'T');
    await api.operator.call('post', `/hosts/far/processes/${pid}/signal`, { body: { signal: 'CONT' } });
    const killed = await api.operator.call('post', `/hosts/far/processes/${pid}/signal`, {
      body: { signal: 'TERM' },
    });
    assert.equal(killed.status, 200, killed.text);
    // The exit may already have been seen while the answer travelled back.
    if (child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), delay(10_000)]);
    }
    assert.equal(child.signalCode, 'SIGTERM');

    const gone = await api.operator.call('post', `/hosts/far/processes/${pid}/signal`, {
      body: { signal: 'TERM' },
    });
    assert.equal(gone.status, 404, gone.text);
    const audit = api.auditLines().filter((l) => l.host === 'far' && String(l.action).startsWith('process.'));
    assert.deepEqual(
      audit.map((l) => [l.action, l.result]),
      [
        ['process.renice', 'ok'],
        ['process.signal', 'ok'],
        ['process.signal', 'ok'],
        ['process.signal', 'ok'],
        ['process.signal', 'refused'],
      ],
    );
  });

  it('runs the privileged programs through sudo -n on a host in privilege mode sudo', async () => {
    // scripts/install-test-deps.sh installs sudo; root may use it without a password.
    assert.ok(existsSync('/usr/bin/sudo'), 'sudo is installed (scripts/install-test-deps.sh)');
    const child = sleeper(3118);
    const res = await api.operator.call('post', `/hosts/far-sudo/processes/${child.pid}/signal`, {
      body: { signal: 'STOP' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(stat(child.pid!).state, 'T');
    child.kill('SIGKILL');
  });

  it('uploads, moves (also across file systems) and downloads a file over SSH', async () => {
    const auth = { authorization: `Bearer ${api.admin.token}` };
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const up = await rawRequest(api.exporter.port, {
      method: 'PUT',
      path: '/api/v1/hosts/far/files/data/in/blob.bin?parents=true',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: content,
    });
    assert.equal(up.status, 201, up.text);
    assert.deepEqual(readFileSync(path.join(data, 'in', 'blob.bin')), content, 'the bytes on disk');

    const listing = await api.viewer.call<{ items: { name: string; size: number; type: string }[] }>(
      'get',
      '/hosts/far/files/data/in',
    );
    assert.equal(listing.status, 200, listing.text);
    assert.deepEqual(
      listing.body.items.map((i) => [i.name, i.type, i.size]),
      [['blob.bin', 'file', content.length]],
    );

    const moved = await api.admin.call('post', '/hosts/far/file-operations/move', {
      body: {
        items: [{ from: { root: 'data', path: 'in/blob.bin' }, to: { root: 'data', path: 'out.bin' } }],
      },
    });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(existsSync(path.join(data, 'in', 'blob.bin')), false);
    const inode = statSync(path.join(data, 'out.bin')).ino;

    const across = await api.admin.call('post', '/hosts/far/file-operations/move', {
      body: { items: [{ from: { root: 'data', path: 'out.bin' }, to: { root: 'shm', path: 'far.bin' } }] },
    });
    assert.equal(across.status, 200, across.text);
    assert.equal(existsSync(path.join(data, 'out.bin')), false);
    assert.deepEqual(readFileSync(path.join(shm.dir, 'far.bin')), content);
    assert.notEqual(
      statSync(path.join(shm.dir, 'far.bin')).ino,
      inode,
      'copied across devices, then removed',
    );
    assert.deepEqual([...leftovers(shm.dir), ...leftovers(data)], []);

    const whole = await rawRequest(api.exporter.port, {
      method: 'GET',
      path: '/api/v1/hosts/far/files/shm/far.bin?download',
      headers: auth,
    });
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, content);
    const part = await rawRequest(api.exporter.port, {
      method: 'GET',
      path: '/api/v1/hosts/far/files/shm/far.bin?download',
      headers: { ...auth, range: 'bytes=1000-1999' },
    });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, content.subarray(1000, 2000));

    // A name a shell would love to interpret is just a name.
    const odd = "it's $(touch pwned) `x` ; a b";
    writeFileSync(path.join(data, odd), 'odd');
    const oddList = await api.viewer.call<{ items: { name: string }[] }>('get', '/hosts/far/files/data');
    assert.ok(
      oddList.body.items.some((i) => i.name === odd),
      oddList.text,
    );
    const oddGet = await rawRequest(api.exporter.port, {
      method: 'GET',
      path: `/api/v1/hosts/far/files/data/${encodeURIComponent(odd)}?download`,
      headers: auth,
    });
    assert.equal(oddGet.text, 'odd');
    assert.deepEqual(
      readdirSync(data).filter((n) => n === 'pwned'),
      [],
    );
  });

  it('runs jobs on the remote host, and kills one at its timeout', async () => {
    const created = await api.admin.call('post', '/jobs', {
      body: {
        name: 'remote-id',
        schedule: '0 0 0 1 1 *',
        host: 'far',
        command: { shell: 'echo "user=$(id -u) ssh=${SSH_CONNECTION%% *}"; echo warn >&2; exit 3' },
        timeoutSeconds: 20,
        enabled: false,
      },
    });
    assert.equal(created.status, 201, created.text);
    const run = await api.operator.call<{ id: number }>('post', '/jobs/remote-id/run');
    assert.equal(run.status, 202, run.text);
    const done = await finishedRun(api.operator, 'remote-id', run.body.id, 30_000);
    assert.equal(done.host, 'far');
    assert.equal(done.result, 'failure');
    assert.equal(done.exitCode, 3);
    // It ran in an SSH session (SSH_CONNECTION is set there, from 127.0.0.1), not locally.
    assert.equal(done.stdout, 'user=0 ssh=127.0.0.1\n');
    assert.equal(done.stderr, 'warn\n');

    const slow = await api.admin.call('post', '/jobs', {
      body: {
        name: 'remote-slow',
        schedule: '0 0 0 1 1 *',
        host: 'far',
        command: { shell: 'echo started; sleep 3119; echo never' },
        timeoutSeconds: 1,
        enabled: false,
      },
    });
    assert.equal(slow.status, 201, slow.text);
    const slowRun = await api.operator.call<{ id: number }>('post', '/jobs/remote-slow/run');
    const timedOut = await finishedRun(api.operator, 'remote-slow', slowRun.body.id, 30_000);
    assert.equal(timedOut.result, 'timeout');
    assert.equal(timedOut.timedOut, true);
    assert.equal(timedOut.signal, 'SIGKILL');
    assert.equal(timedOut.stdout, 'started\n');
    assert.ok(timedOut.durationSeconds < 10, `took ${timedOut.durationSeconds} s`);
    // The whole process group went: no `sleep 3119` is left on the host.
    await delay(200);
    const left = readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .filter((n) => {
        try {
          return readFileSync(`/proc/${n}/cmdline`, 'utf8') === 'sleep\u00003119\u0000';
        } catch {
          return false;
        }
      });
    assert.deepEqual(left, []);
  });

  it('says which program a remote host lacks', async () => {
    const created = await api.admin.call('post', '/jobs', {
      body: {
        name: 'remote-missing',
        schedule: '0 0 0 1 1 *',
        host: 'far',
        command: { argv: ['no-such-program-xyz', '--flag'] },
        timeoutSeconds: 20,
        enabled: false,
      },
    });
    assert.equal(created.status, 201, created.text);
    const run = await api.operator.call<{ id: number }>('post', '/jobs/remote-missing/run');
    const done = await finishedRun(api.operator, 'remote-missing', run.body.id, 30_000);
    assert.equal(done.result, 'error');
    assert.equal(done.error, 'no-such-program-xyz is not installed on host far');
  });

  it('reads the network of the remote host', async () => {
    const res = await api.viewer.call<{ items: { name: string }[] }>('get', '/hosts/far/network/interfaces');
    assert.equal(res.status, 200, res.text);
    assert.ok(
      res.body.items.some((i) => i.name === 'lo'),
      res.text.slice(0, 300),
    );
  });
});
