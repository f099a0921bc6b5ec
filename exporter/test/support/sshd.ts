/**
 * Real OpenSSH servers for tests (the Debian openssh-server package): each one its own port on 127.0.0.1, its own
 * host key, authorized_keys and pid file in a temporary directory, run in the foreground
 * (`sshd -D -e`) so the test owns its pid. Several of them stand in for several hosts.
 *
 *   const client = await generateClientKey();          // the key the exporter logs in with
 *   const sshd = await startSshd({ authorizedKeys: [client.publicKey] });
 *   …  sshd.port, sshd.fingerprint (SHA256:… of its host key)
 *   await sshd.stop();
 *
 * A server can also stand in for a host with a network or a service manager of its own: `netns`
 * runs it inside a network namespace the test created (support/netns.ts), so nft and every other
 * program its sessions start act on that namespace; `wrapper` starts it under a prefix such as a
 * systemd namespace's (support/systemd-namespace.ts).
 *
 * `login` gives the server a login user that is not root, as a managed host in privilege mode
 * sudo has: the server runs in a mount namespace of its own where /etc/passwd, group, shadow and
 * sudoers.d are copies with that user and the one sudoers line for the installed agent — the
 * machine's own files are never changed.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { AGENT_PATH } from '../../src/hosts/agent/launch.js';
import { SshHost, type SshHostSettings } from '../../src/hosts/ssh-host.js';
import type { HostKey } from '../../src/hosts/ssh/host-key.js';
import { SshMetrics } from '../../src/hosts/ssh/metrics.js';
import { isLiveNamespace } from './netns.js';
import { freePort } from './ports.js';

export const SSHD_BIN = process.env.HYPERION_SSHD_BIN ?? '/usr/sbin/sshd';
const SSH_KEYGEN = '/usr/bin/ssh-keygen';

export interface KeyPair {
  dir: string;
  privateKeyFile: string;
  publicKey: string;
  /** "SHA256:…" as ssh-keygen -l prints it. */
  fingerprint: string;
  remove(): void;
}

/** Keys from ssh-keygen itself, into a fresh temporary directory (0600, as ssh requires). */
export function generateKey(type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519', passphrase = ''): KeyPair {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-key-'));
  const file = path.join(dir, `id_${type}`);
  const args = ['-q', '-t', type, '-N', passphrase, '-C', 'hyperion-test', '-f', file];
  if (type === 'rsa') args.push('-b', '2048');
  const result = spawnSync(SSH_KEYGEN, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
  return {
    dir,
    privateKeyFile: file,
    publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
    fingerprint: fingerprintOf(`${file}.pub`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function fingerprintOf(publicKeyFile: string): string {
  const result = spawnSync(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', publicKeyFile], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.status !== 0) throw new Error(`ssh-keygen -l failed: ${result.stderr}`);
  return result.stdout.split(' ')[1]!;
}

export interface SshdOptions {
  /** Public keys (authorized_keys lines) allowed to log in. */
  authorizedKeys: string[];
  /** A host key to reuse (to restart "the same host"); a new ed25519 key otherwise. */
  hostKey?: KeyPair;
  /** Reuse a port (a restart of the same host); a free one otherwise. */
  port?: number;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
  /** The address sshd listens on (in its network namespace); 127.0.0.1 unless given. */
  listenAddress?: string;
  /**
   * A network namespace this test created (support/netns.ts createNetnsPair) to run sshd in:
   * its sessions' programs see that namespace's interfaces, sockets and nftables ruleset. The
   * host's namespace does not reach it: the exporter connects through a bridge (netns.ts
   * Agent.bridge), given to addApprovedHost as `address` and `port`.
   */
  netns?: string;
  /**
   * A command prefix sshd is started under, e.g. a systemd namespace's `wrapper`. sshd needs
   * its privilege separation directory /run/sshd as it sees it: create it there first when the
   * prefix gives it a /run of its own.
   */
  wrapper?: string[];
  /** A login user that is not root, with the agent installed and its sudoers line (see above). */
  login?: LoginOptions;
}

export interface LoginOptions {
  /**
   * The agent's text as installed on the host: this exporter's (default), another version's, or
   * none at all (neither the file nor the sudoers line).
   */
  agent?: 'shipped' | 'none' | { text: string };
}

/** The login user a `login` server has, and where its agent is installed. */
export interface SshdLogin {
  user: string;
  uid: number;
  /** The installed agent (root's, 0755), the one program the sudoers line names. */
  agentPath: string;
  /** The sudoers file of the server's namespace (rewrite it to change what sudo allows). */
  sudoersFile: string;
}

export interface RunningSshd {
  port: number;
  /** The address it listens on, in its own network namespace (`netns`, or the host's). */
  listenAddress: string;
  /** sshd's pid, or the wrapper's when it was started under one (sessionPids then include sshd). */
  pid: number;
  hostKey: KeyPair;
  /** With `login`: the user to log in as, and its installed agent. */
  login?: SshdLogin;
  /** SHA256 fingerprint of the host key, as an admin would compare it. */
  fingerprint: string;
  dir: string;
  logTail(lines?: number): string;
  /** Pids of the per-connection sshd processes (descendants of the listener). */
  sessionPids(): number[];
  /** Stops the listener and every session process it started. */
  stop(): Promise<void>;
  /** SIGKILL for the listener and its sessions: a host that dies. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT for the listener and its sessions: a host that hangs. */
  pause(): void;
  resume(): void;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Children of `pid`, and theirs, from /proc (sshd's session processes call setsid()). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(name));
      parents.set(ppid, list);
    } catch {
      // ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < 10_000) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Whether address:port, in the host's network namespace, answers with an SSH banner. */
function bannerHere(address: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, address);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
  });
}

/** The same, asked from inside a network namespace (bash's /dev/tcp: no program to install). */
function bannerInNamespace(ns: string, address: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1" && head -c 4 <&3', address, String(port)],
      // Starting a shell in a namespace takes seconds on a loaded machine: room for that.
      { timeout: 5000 },
      (error, stdout) => resolve(error === null && stdout === 'SSH-'),
    );
  });
}

/** Resolves when `banner()` sees the server's SSH banner, rejects after `timeoutMs`. */
async function waitForBanner(
  banner: () => Promise<boolean>,
  where: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('sshd exited');
    if (await banner()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not answer on ${where} within ${timeoutMs} ms`);
}

export async function startSshd(options: SshdOptions): Promise<RunningSshd> {
  const { netns } = options;
  // A mistyped name would start sshd in a namespace nobody cleans up, or fail obscurely.
  if (netns !== undefined && !isLiveNamespace(netns)) {
    throw new Error(`${netns} is not a network namespace this test created`);
  }
  const listenAddress = options.listenAddress ?? '127.0.0.1';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-sshd-'));
  const login = options.login ? prepareLogin(dir, options.login) : undefined;
  const prefix = [
    ...(netns === undefined ? [] : ['ip', 'netns', 'exec', netns]),
    ...(options.wrapper ?? []),
    ...(login?.wrapper ?? []),
  ];
  const hostKey = options.hostKey ?? generateKey('ed25519');
  const ownsKey = options.hostKey === undefined;
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const authorized = path.join(dir, 'authorized_keys');
  writeFileSync(authorized, `${options.authorizedKeys.join('\n')}\n`);
  chmodSync(authorized, 0o600);
  // sshd reads the keys as the user logging in.
  if (login) chownSync(authorized, login.info.uid, login.info.uid);
  const lines: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = options.port ?? (await freePort());
    const config = path.join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        `ListenAddress ${listenAddress}`,
        `HostKey ${hostKey.privateKeyFile}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        // The temporary directories live under /tmp, which StrictModes would refuse.
        'StrictModes no',
        'UsePAM no',
        'PrintMotd no',
        // The benchmark opens a hundred connections at once to a handful of servers.
        'MaxStartups 500',
        'Subsystem sftp internal-sftp',
        'LogLevel INFO',
        // This machine's root ~/.bashrc runs `pyenv init`, seconds per login shell: bash reads it
        // for SSH commands unless SHLVL says it is nested. A host's own start-up files are its
        // business (the exporter pays them once per worker shell); tests should not wait on them.
        'SetEnv SHLVL=1',
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    const command = [...prefix, SSHD_BIN, '-D', '-e', '-f', config];
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      lines.push(...chunk.split('\n').filter((l) => l !== ''));
      if (lines.length > 400) lines.splice(0, lines.length - 400);
    });
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
    try {
      await waitForBanner(
        netns === undefined
          ? () => bannerHere(listenAddress, port)
          : () => bannerInNamespace(netns, listenAddress, port),
        `${listenAddress} port ${port}${netns === undefined ? '' : ` in ${netns}`}`,
        child,
        30_000,
      );
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      const log = lines.join('\n');
      if (options.port === undefined && attempt < 3 && /Address already in use/i.test(log)) continue;
      rmSync(dir, { recursive: true, force: true });
      if (ownsKey) hostKey.remove();
      throw new Error(`${(error as Error).message}\n--- sshd log ---\n${log}`);
    }
    const pid = child.pid!;
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    const end = async (signal: NodeJS.Signals) => {
      const sessions = descendants(pid);
      if (!gone()) child.kill(signal);
      signalAll(sessions, signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (!gone()) {
        child.kill('SIGKILL');
        await exited;
      }
    };
    return {
      port,
      listenAddress,
      pid,
      hostKey,
      ...(login ? { login: login.info } : {}),
      fingerprint: hostKey.fingerprint,
      dir,
      logTail: (n = 40) => lines.slice(-n).join('\n'),
      sessionPids: () => descendants(pid),
      async stop() {
        await end('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
        if (ownsKey) hostKey.remove();
      },
      async kill() {
        await end('SIGKILL');
      },
      pause() {
        signalAll([pid, ...descendants(pid)], 'SIGSTOP');
      },
      resume() {
        signalAll([pid, ...descendants(pid)], 'SIGCONT');
      },
    };
  }
  throw new Error('unreachable');
}

/**
 * The files of a `login` server's namespace, in `dir`: copies of passwd, group and shadow with a
 * user of a free uid, a sudoers.d holding the one line, the agent installed as root's; and the
 * command prefix that starts sshd in a mount namespace where they stand in for the machine's.
 */
function prepareLogin(dir: string, options: LoginOptions): { info: SshdLogin; wrapper: string[] } {
  const uid = 20_000 + ((process.pid * 7 + Math.floor(Math.random() * 1000)) % 30_000);
  const user = `hyp${uid}`;
  // The user's home, and the way to its authorized_keys: readable by it.
  chmodSync(dir, 0o755);
  const etc = path.join(dir, 'etc');
  mkdirSync(path.join(etc, 'sudoers.d'), { recursive: true });
  const add = (name: string, line: string, mode: number) => {
    const file = path.join(etc, name);
    copyFileSync(`/etc/${name}`, file);
    writeFileSync(file, `${line}\n`, { flag: 'a' });
    chmodSync(file, mode);
  };
  add('passwd', `${user}:x:${uid}:${uid}:hyperion test:${dir}:/bin/sh`, 0o644);
  add('group', `${user}:x:${uid}:`, 0o644);
  // sudo's PAM account check wants a shadow entry that is not locked ("*": no password at all).
  add('shadow', `${user}:*:19000:0:99999:7:::`, 0o640);
  const lib = path.join(dir, 'lib');
  mkdirSync(lib, { mode: 0o755 });
  const agentPath = path.join(lib, 'hyperion-agent');
  const sudoersFile = path.join(etc, 'sudoers.d', 'hyperion');
  const agent = options.agent ?? 'shipped';
  if (agent !== 'none') {
    writeFileSync(agentPath, agent === 'shipped' ? readFileSync(AGENT_PATH) : agent.text, { mode: 0o755 });
    // The README's line, for this user and this path.
    writeFileSync(sudoersFile, `${user} ALL=(root) NOPASSWD: ${agentPath}\n`, { mode: 0o440 });
  }
  const script =
    'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && mount --bind "$3" /etc/shadow && ' +
    'mount --bind "$4" /etc/sudoers.d && shift 4 && exec "$@"';
  const wrapper = [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    script,
    'sh',
    ...['passwd', 'group', 'shadow', 'sudoers.d'].map((f) => path.join(etc, f)),
  ];
  return { info: { user, uid, agentPath, sudoersFile }, wrapper };
}

/** The minimal view of the control API client these helpers need (support/api.ts ApiClient). */
interface Caller {
  call<T = Record<string, unknown>>(
    method: string,
    apiPath: string,
    options?: { body?: unknown; otp?: string },
  ): Promise<{ status: number; body: T; text: string }>;
}

export interface HostSpec {
  name: string;
  sshd: RunningSshd;
  /**
   * Where the exporter reaches the server: 127.0.0.1 and the server's port unless given (a
   * server in a network namespace is reached through a bridge, netns.ts Agent.bridge).
   */
  address?: string;
  port?: number;
  /** The private key file the exporter logs in with. */
  keyFile: string;
  labels?: Record<string, string>;
  privilege?: 'root' | 'sudo';
  /** The login user: root unless given (a `login` server's user: sshd.login.user). */
  user?: string;
}

/**
 * Adds a host through the API and approves the fingerprint it reports, after checking that it is
 * the fingerprint of the host key the test's sshd really has. Codes are asked for only when
 * `otp` is given (an exporter with the second factor disabled needs none).
 */
export async function addApprovedHost(
  admin: Caller,
  spec: HostSpec,
  otp?: () => Promise<string>,
): Promise<void> {
  const added = await admin.call<{ pendingHostKey: { fingerprint: string } }>('post', '/hosts', {
    body: {
      name: spec.name,
      address: spec.address ?? '127.0.0.1',
      port: spec.port ?? spec.sshd.port,
      user: spec.user ?? 'root',
      auth: { type: 'key', privateKeyFile: spec.keyFile },
      privilege: spec.privilege ?? 'root',
      labels: spec.labels ?? {},
    },
    ...(otp ? { otp: await otp() } : {}),
  });
  if (added.status !== 201) throw new Error(`adding ${spec.name}: ${added.status} ${added.text}`);
  const fingerprint = added.body.pendingHostKey.fingerprint;
  if (fingerprint !== spec.sshd.fingerprint) {
    throw new Error(`${spec.name}: reported ${fingerprint}, the server's key is ${spec.sshd.fingerprint}`);
  }
  const approved = await admin.call('post', `/hosts/${spec.name}/approve`, {
    body: { fingerprint },
    ...(otp ? { otp: await otp() } : {}),
  });
  if (approved.status !== 200) throw new Error(`approving ${spec.name}: ${approved.status} ${approved.text}`);
}

/** An SshHost's settings in tests: the defaults' shape, a root login, no idle close mid-test. */
export const TEST_SSH_SETTINGS: SshHostSettings = {
  connectTimeoutMs: 10_000,
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  backoffInitialMs: 500,
  backoffMaxMs: 8000,
  idleCloseMs: 600_000,
  maxChannels: 8,
  commandTimeoutMs: 30_000,
  privilege: 'root',
};

export interface TestSshHostOptions {
  name: string;
  /** The login user: root unless given. */
  user?: string;
  /** The private key file logged in with. */
  keyFile: string;
  settings?: Partial<SshHostSettings>;
  metrics?: SshMetrics;
  log?: Logger;
}

/**
 * An SshHost for a test's sshd, with the host key already fetched (and so approved): the one
 * way tests build a host over SSH without the API.
 */
export function testSshHost(sshd: RunningSshd, hostKey: HostKey, options: TestSshHostOptions): SshHost {
  return new SshHost(
    {
      name: options.name,
      address: '127.0.0.1',
      port: sshd.port,
      user: options.user ?? 'root',
      hostKey,
      credentials: async () => ({ type: 'key', privateKey: readFileSync(options.keyFile) }),
    },
    { ...TEST_SSH_SETTINGS, ...options.settings },
    options.metrics ?? new SshMetrics(new Registry()),
    options.log ?? pino({ level: 'silent' }),
  );
}
