/**
 * Started as root (a fresh server, `./scripts/start.sh`), the exporter keeps no privilege: it
 * starts its root agent listening on a socket only its unprivileged user may use, hands that
 * user its data directory, and becomes that user — uid, gid and groups — for good, so the process
 * that parses HTTP holds no capability at all (CapEff 0). Privileged work is then the agent's
 * typed verbs (hosts/agent/privileged.ts); /proc and /sys are still read directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ExporterOptions } from '../cli/flags.js';
import { startAgentListener, type AgentListener } from '../hosts/agent/launch.js';

const AGENT_START_TIMEOUT_MS = 10_000;
/** The data directory is the exporter's: a larger one is not something it made. */
const MAX_DATA_ENTRIES = 100_000;

/** Where the agent's socket directory goes: /run (memory, root's) where it exists. */
function runDirectory(): string {
  try {
    fs.accessSync('/run', fs.constants.W_OK);
    return '/run';
  } catch {
    return os.tmpdir();
  }
}

/** Gives `dir` and everything below it (links themselves, never followed) to uid:gid. */
function chownTree(dir: string, uid: number, gid: number): void {
  const todo = [dir];
  let seen = 0;
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (++seen > MAX_DATA_ENTRIES) {
      throw new Error(
        `${dir} holds more than ${MAX_DATA_ENTRIES} entries: is --storage.path the data directory?`,
      );
    }
    fs.lchownSync(p, uid, gid);
    if (fs.lstatSync(p).isDirectory()) for (const name of fs.readdirSync(p)) todo.push(path.join(p, name));
  }
}

/** The options to serve with, and the root agent when the exporter started one. */
export interface Unprivileged {
  options: ExporterOptions;
  agent?: Pick<AgentListener, 'ended' | 'stop'>;
}

/**
 * As root (and --user is not root): starts the agent, gives the data directory to --user and
 * becomes it. Returns the options with the agent's socket; unchanged otherwise.
 */
export async function dropPrivileges(options: ExporterOptions, log: Logger): Promise<Unprivileged> {
  if (process.getuid?.() !== 0) return { options };
  if (options.user === 'root') {
    log.warn(
      'running as root (--user=root): the process that parses HTTP holds every privilege; drop --user=root to run as an unprivileged user',
    );
    return { options };
  }
  const directory = fs.mkdtempSync(path.join(runDirectory(), 'hyperion-agent-'));
  let agent;
  try {
    agent = await startAgentListener(directory, options.user, AGENT_START_TIMEOUT_MS);
  } catch (error) {
    fs.rmSync(directory, { recursive: true, force: true });
    throw new Error(
      `${(error as Error).message} — the exporter runs as the user --user names (${options.user}): create it ` +
        `(useradd --system --no-create-home --shell /usr/sbin/nologin ${options.user}), or name another one`,
    );
  }
  // The user may enter the socket's directory, nobody else (the socket itself is 0660).
  fs.chownSync(directory, 0, agent.gid);
  fs.chmodSync(directory, 0o750);
  fs.mkdirSync(options.storagePath, { recursive: true, mode: 0o700 });
  chownTree(options.storagePath, agent.uid, agent.gid);
  // Groups first (they need root), then the group, then the user: from here on, no way back.
  process.setgroups?.(agent.groups);
  process.setgid?.(agent.gid);
  process.setuid?.(agent.uid);
  if (process.getuid?.() !== agent.uid || process.geteuid?.() !== agent.uid) {
    throw new Error(`could not become ${options.user}`);
  }
  try {
    fs.accessSync(options.storagePath, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new Error(
      `the data directory ${options.storagePath} is out of ${options.user}'s reach (a directory above it is closed to it): ` +
        'choose another --storage.path, or open the directories above it for search (chmod o+x)',
    );
  }
  log.info(
    { user: options.user, uid: agent.uid, gid: agent.gid, agentSocket: agent.socketPath },
    'running unprivileged; privileged work goes to the root agent',
  );
  return { options: { ...options, agentSocket: agent.socketPath }, agent };
}
