/**
 * Signalling and renicing through the host's own kill(1) and renice(1), so the same argument
 * vectors work on a remote host over SSH (docs/architecture.md, idea 5). What they print on failure is
 * turned into a HyperionError the API can answer with, never a raw stack.
 */
import type { Host, RunResult } from '../hosts/host.js';
import { isAgentRefusal } from '../hosts/agent/connection.js';
import { HyperionError } from '../util/errors.js';

/** The signals an operator may send, as kill(1) names them. */
export const SIGNALS = ['TERM', 'KILL', 'HUP', 'INT', 'QUIT', 'STOP', 'CONT', 'USR1', 'USR2'] as const;
export type SignalName = (typeof SIGNALS)[number];

export const NICE_MIN = -20;
export const NICE_MAX = 19;

/**
 * The policy the API enforces: raising a process's priority above the default (a negative
 * nice) takes CPU from everyone else, so it needs the admin role rather than operator.
 */
export function reniceNeedsAdmin(nice: number): boolean {
  return nice < 0;
}

const COMMAND_TIMEOUT_MS = 10_000;

/** The reason part of "kill: (123): No such process" / "renice: failed to … (process ID): Permission denied". */
function failure(pid: number, action: string, result: RunResult, hostName: string): HyperionError {
  const text = `${result.stderr}\n${result.stdout}`;
  if (/no such process/i.test(text)) {
    return new HyperionError(
      'not-found',
      `No process with PID ${pid} on host ${hostName} (it may have just exited)`,
    );
  }
  if (/operation not permitted|permission denied/i.test(text)) {
    return new HyperionError(
      'conflict',
      `The exporter's user is not allowed to ${action} process ${pid} on host ${hostName} (operation not permitted)`,
    );
  }
  const detail = text.trim().split('\n')[0] ?? '';
  return new HyperionError(
    'internal',
    `Could not ${action} process ${pid} on host ${hostName}: exit ${result.code ?? result.signal}${detail ? `: ${detail}` : ''}`,
  );
}

/** An errno failure of the root agent's signal or renice, as the API answers it. */
function agentFailure(pid: number, action: string, error: unknown, hostName: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ESRCH') {
    return new HyperionError(
      'not-found',
      `No process with PID ${pid} on host ${hostName} (it may have just exited)`,
    );
  }
  if (code === 'EPERM' || code === 'EACCES') {
    return new HyperionError(
      'conflict',
      `The exporter's agent is not allowed to ${action} process ${pid} on host ${hostName} (operation not permitted)`,
    );
  }
  if (isAgentRefusal(error)) {
    return new HyperionError(
      'forbidden',
      `host ${hostName}'s agent refused to ${action} process ${pid}: ${error.message}`,
    );
  }
  return error;
}

export async function sendSignal(host: Host, pid: number, signal: SignalName): Promise<void> {
  if (host.privileged) {
    try {
      await host.privileged.signal(pid, signal);
      return;
    } catch (error) {
      throw agentFailure(pid, `send SIG${signal} to`, error, host.name);
    }
  }
  // Without a root agent (an SSH host, for now): kill(1). "--" ends the options, so nothing
  // after it can be read as one.
  const result = await host.run(['kill', '-s', signal, '--', String(pid)], { timeoutMs: COMMAND_TIMEOUT_MS });
  if (result.code !== 0) throw failure(pid, `send SIG${signal} to`, result, host.name);
}

/**
 * renice(1) every thread of the process. Linux keeps a nice value per thread, and
 * setpriority(PRIO_PROCESS, pid) — which renice -p does — only changes the thread whose id is
 * pid; the process's other threads would keep running at the old priority. A thread that ends
 * while this runs is not a failure; the process itself failing is.
 */
export async function setNice(host: Host, pid: number, tids: readonly number[], nice: number): Promise<void> {
  const ids = tids.length > 0 ? tids : [pid];
  if (host.privileged) {
    let failed: { id: number; code: string }[];
    try {
      failed = await host.privileged.renice(nice, ids);
    } catch (error) {
      throw agentFailure(pid, 'renice', error, host.name);
    }
    // A thread that ended meanwhile is no failure; the process itself (or any other errno) is.
    const real = failed.find((f) => f.id === pid || f.code !== 'ESRCH');
    if (real)
      throw agentFailure(pid, 'renice', Object.assign(new Error(real.code), { code: real.code }), host.name);
    return;
  }
  const result = await host.run(['renice', '-n', String(nice), '-p', ...ids.map(String)], {
    timeoutMs: COMMAND_TIMEOUT_MS,
  });
  if (result.code === 0) return;
  const failed = result.stderr
    .split('\n')
    .map((line) => /failed to [gs]et priority for (\d+) \(process ID\): (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);
  const onlyEndedThreads =
    failed.length > 0 && failed.every((m) => Number(m[1]) !== pid && /no such process/i.test(m[2] ?? ''));
  if (!onlyEndedThreads) throw failure(pid, 'renice', result, host.name);
}
