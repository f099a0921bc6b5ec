/**
 * Signalling and renicing through the host's root agent (its typed `signal` and `renice` verbs,
 * locally and over SSH alike). An errno it answers is turned into a HyperionError the API can
 * answer with, never a raw stack.
 */
import type { Host } from '../hosts/host.js';
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
  try {
    await host.privileged.signal(pid, signal);
  } catch (error) {
    throw agentFailure(pid, `send SIG${signal} to`, error, host.name);
  }
}

/**
 * Renices every thread of the process. Linux keeps a nice value per thread, and
 * setpriority(PRIO_PROCESS, pid) only changes the thread whose id is pid: the process's other
 * threads would keep running at the old priority. A thread that ends while this runs is not a
 * failure; the process itself failing is.
 */
export async function setNice(host: Host, pid: number, tids: readonly number[], nice: number): Promise<void> {
  const ids = tids.length > 0 ? tids : [pid];
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
}
