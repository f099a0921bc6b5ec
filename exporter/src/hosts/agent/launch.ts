/**
 * Starting an agent: on the exporter's own machine a perl child process, on an SSH host a perl
 * started on an exec channel as the login user, or the installed agent through `sudo -n` for
 * privileged work. The same program every way (agent/hyperion-agent.pl), given the paths it
 * must never serve on its command line: a request cannot change them.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ClientChannel } from 'ssh2';
import { HyperionError } from '../../util/errors.js';
import { shellWords } from '../ssh/quote.js';
import type { AgentTransport } from './connection.js';

/** The program, beside src/ and dist/ alike (both are three levels below the package). */
export const AGENT_PATH = fileURLToPath(new URL('../../../agent/hyperion-agent.pl', import.meta.url));

let program: string | undefined;
/** The agent's text, read once: an SSH host receives it on perl's command line. */
export function agentProgram(): string {
  program ??= readFileSync(AGENT_PATH, 'utf8');
  return program;
}

/** What no root may serve, on any host: denied paths, and the parts below them served again. */
export interface SecretPaths {
  deny: readonly string[];
  allow: readonly string[];
}

export function agentArgs(secrets: SecretPaths): string[] {
  return [...secrets.deny.flatMap((p) => ['--deny', p]), ...secrets.allow.flatMap((p) => ['--allow', p])];
}

/** The last bytes an agent wrote to stderr, for the error message when it stops. */
class Tail {
  private text = '';
  push(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-1000);
  }
  toString(): string {
    return this.text.trim();
  }
}

/** How long a local agent has, once its stdin closed, to end what it runs before it is killed. */
const STOP_GRACE_MS = 1000;

export function launchLocalAgent(secrets: () => SecretPaths): Promise<AgentTransport> {
  return new Promise((resolve, reject) => {
    const child = spawn('perl', [AGENT_PATH, ...agentArgs(secrets())], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = new Tail();
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined); // EPIPE after the agent exited: reported by 'exit'
    const listeners: ((why: string) => void)[] = [];
    let gone = false;
    const done = (why: string) => {
      if (gone) return;
      gone = true;
      for (const l of listeners) l(why);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      done(error.message);
      reject(
        error.code === 'ENOENT'
          ? new HyperionError('unsupported', 'perl is not installed on this machine; the file agent needs it')
          : error,
      );
    });
    const hold = (busy: boolean) => {
      // The pipes are sockets: each holds the event loop on its own.
      const pipes = [child.stdin, child.stdout, child.stderr] as unknown as Socket[];
      for (const handle of [child, ...pipes]) {
        if (busy) handle.ref();
        else handle.unref();
      }
    };
    child.once('spawn', () => {
      hold(false);
      resolve({
        input: child.stdin,
        output: child.stdout,
        // The agent's stdin closing first lets it kill what it runs (a job's process group);
        // the kill that follows, for an agent stuck in a system call, cannot.
        close: () => {
          child.stdin.destroy();
          setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
        },
        onGone: (listener) => listeners.push(listener),
        hold,
      });
    });
    child.once('exit', (code, signal) => done(stderr.toString() || `exit ${code ?? signal}`));
  });
}

/**
 * The digest the agent's `digest` verb gives of its own file (32-bit FNV-1a), of the agent this
 * exporter ships: an agent installed on a host must give the same one.
 */
export function agentDigest(): string {
  let h = 0x811c9dc5;
  for (const byte of readFileSync(AGENT_PATH)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Where hosts in privilege mode sudo have the agent, and what their one sudoers line names. */
export const INSTALLED_AGENT_PATH = '/usr/lib/hyperion/hyperion-agent';

/** How an admin installs the agent on a host, for the messages that say it is missing or old. */
export function installHint(path: string, user: string): string {
  return (
    `install this exporter's agent there (install -D -o root -g root -m 0755 exporter/agent/hyperion-agent.pl ${path}) ` +
    `and allow it in sudoers (${user} ALL=(root) NOPASSWD: ${path})`
  );
}

/** An agent on an exec channel of an SSH connection, as the login user. */
export function launchSshAgent(
  exec: (command: string) => Promise<ClientChannel>,
  secrets: () => SecretPaths,
): Promise<AgentTransport> {
  // The login user's own agent: host reads and programs with the login user's rights.
  const args = [...agentArgs(secrets()), '--serve', 'host-reads'];
  const command = `exec ${shellWords(['perl', '-e', agentProgram(), '--', ...args])}`;
  return channelAgent(exec, command, (why) =>
    /not found/.test(why) ? 'perl is not installed on the host' : why,
  );
}

/**
 * The installed agent as root, through `sudo -n` (never a password prompt: a host that asks for
 * one refuses at once). The one program the host's sudoers allows the login user.
 */
export function launchSudoAgent(
  exec: (command: string) => Promise<ClientChannel>,
  secrets: () => SecretPaths,
  path: string,
  user: string,
): Promise<AgentTransport> {
  const command = `exec ${shellWords(['sudo', '-n', '--', path, ...agentArgs(secrets())])}`;
  return channelAgent(exec, command, (why) => {
    // Short enough to be shown whole where an agent's end is reported (300 characters).
    const line = `the sudoers line ${user} ALL=(root) NOPASSWD: ${path} (README: Privilege)`;
    if (/password is required|terminal is required|not allowed|may not run|not in the sudoers/.test(why))
      return `sudo -n refused to start ${path} for ${user}: install the agent there with ${line}`;
    if (/sudo: .*(not found|No such file)|command not found/.test(why))
      return `${path} or sudo is missing on the host: install the agent there with ${line}`;
    return why;
  });
}

async function channelAgent(
  exec: (command: string) => Promise<ClientChannel>,
  command: string,
  explain: (stderr: string) => string,
): Promise<AgentTransport> {
  const channel = await exec(command);
  const stderr = new Tail();
  channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const listeners: ((why: string) => void)[] = [];
  let gone = false;
  const done = () => {
    if (gone) return;
    gone = true;
    const why = explain(stderr.toString());
    for (const l of listeners) l(why);
  };
  channel.on('close', done);
  channel.on('error', done);
  return {
    input: channel,
    output: channel,
    close: () => channel.close(),
    onGone: (listener) => listeners.push(listener),
  };
}

/** The root agent this exporter started for itself, listening on its socket. */
export interface AgentListener {
  socketPath: string;
  /** The ids of the user the agent serves: the exporter drops to them. */
  uid: number;
  gid: number;
  /** Its groups, `gid` first. */
  groups: number[];
  /** Settles when the agent ends (it should not before the exporter does): how it ended. */
  ended: Promise<string>;
  /**
   * Closes the agent's stdin, as the exporter's exit would (it removes its socket and ends), and
   * waits for it to end, at most `ms`: a stopped exporter leaves nothing running behind it.
   */
  stop(ms: number): Promise<void>;
}

/**
 * Starts the root agent in its listening mode (before the exporter drops its privileges, so it
 * runs as root): a socket in a fresh root-owned directory that only `user` (and root) may
 * enter, one agent process per connection. It ends when the exporter does: it holds the other
 * end of the agent's stdin.
 */
export async function startAgentListener(
  directory: string,
  user: string,
  timeoutMs: number,
): Promise<AgentListener> {
  const socketPath = `${directory}/agent.sock`;
  // A session of its own: a Ctrl-C at the exporter's terminal reaches the exporter alone, which
  // shuts down; the agent ends when the exporter is gone (its stdin closes), never before.
  const child = spawn('perl', [AGENT_PATH, '--listen', socketPath, '--peer-user', user], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const stderr = new Tail();
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`it did not start within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new HyperionError('unavailable', `cannot start the root agent on ${socketPath}: ${why}`));
    };
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code) => fail(stderr.toString() || `exit ${code}`));
    let line = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      line += chunk;
      const m = /^listening (\d+) (\d+(?: \d+)*)\n/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const ended = new Promise<string>((done) =>
        child.once('exit', (code, signal) =>
          done([signal ?? `exit ${code}`, stderr.toString()].filter((t) => t !== '').join(': ')),
        ),
      );
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr] as unknown as Socket[]) s.unref();
      const groups = m[2]!.split(' ').map(Number);
      const stop = (ms: number) => {
        child.stdin.end();
        return new Promise<void>((done) => {
          const timer = setTimeout(done, ms);
          void ended.finally(() => {
            clearTimeout(timer);
            done();
          });
        });
      };
      resolve({ socketPath, uid: Number(m[1]), gid: groups[0]!, groups, ended, stop });
    });
  });
}
