/**
 * One run of a job on its host, as its user through the host's root agent (or Host.run where a
 * host has none): an argument vector, or — for a job explicitly defined as a shell script — /bin/sh -c SCRIPT
 * (DESIGN idea 5). The timeout kills the run's whole process group; the result says whether
 * it succeeded, failed, timed out or could not start, with the tail of its output.
 */
import { isAgentRefusal } from '../../hosts/agent/connection.js';
import type { Host } from '../../hosts/host.js';
import { errorMessage, isHyperionError } from '../../util/errors.js';
import type { JobCommand, RunOutcome } from './definition.js';

export interface Outcome {
  result: RunOutcome;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  error: string | null;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
}

export function jobArgv(command: JobCommand): string[] {
  if (command.shell !== undefined) return ['/bin/sh', '-c', command.shell];
  return [...(command.argv ?? [])];
}

export function notRun(result: RunOutcome, error: string): Outcome {
  return {
    result,
    exitCode: null,
    signal: null,
    timedOut: false,
    error,
    stdout: '',
    stderr: '',
    outputTruncated: false,
  };
}

export interface RunSettings {
  command: JobCommand;
  timeoutSeconds: number;
  outputBytes: number;
  /** Aborted when the exporter stops or the job is deleted. */
  signal: AbortSignal;
}

export async function runJob(host: Host, settings: RunSettings): Promise<Outcome> {
  const { command } = settings;
  const env =
    command.env === undefined && command.secretEnv === undefined
      ? undefined
      : { ...command.env, ...command.secretEnv };
  try {
    // As its user, through the host's root agent; its environment is then the user's login one
    // (HOME, USER, SHELL, PATH) and the job's own variables.
    const r = await host.privileged.job({
      argv: jobArgv(command),
      user: command.user ?? '',
      timeoutMs: settings.timeoutSeconds * 1000,
      maxOutputBytes: settings.outputBytes,
      signal: settings.signal,
      ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
      ...(env === undefined ? {} : { env }),
    });
    const timedOut = r.timedOut === true;
    return {
      result: timedOut ? 'timeout' : r.code === 0 ? 'success' : 'failure',
      exitCode: r.code,
      signal: r.signal,
      timedOut,
      error: timedOut ? `killed after the ${settings.timeoutSeconds} s timeout` : null,
      stdout: r.stdout,
      stderr: r.stderr,
      outputTruncated: r.truncated === true,
    };
  } catch (error) {
    if (isAgentRefusal(error) && error.reason === 'no-working-directory') {
      return notRun('error', `working directory ${command.cwd} does not exist on host ${host.name}`);
    }
    // The program itself is missing there (the agent's exec said ENOENT).
    if (isHyperionError(error) && error.type === 'unsupported') return notRun('error', error.message);
    if (settings.signal.aborted) return notRun('aborted', String(settings.signal.reason ?? 'aborted'));
    return notRun('error', errorMessage(error));
  }
}
