/**
 * Host.run on a remote host: the request script.runRequest builds, and the answer read back
 * into a RunResult with the same meaning LocalHost gives it — exit code or signal, the tails
 * of stdout and stderr, a timeout as an error or (onTimeout: 'resolve') as a result.
 */
import { constants } from 'node:os';
import type { RunOptions, RunResult } from '../host.js';
import { HyperionError } from '../../util/errors.js';
import { type Marks } from './script.js';
import type { WorkerResponse } from './worker.js';

export const DEFAULT_MAX_OUTPUT = 1 << 20;

/** Signal numbers to names (9 → "SIGKILL"), for a status the shell reports as 128 + n. */
const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, n]) => [n as number, name]),
);

export interface RunAnswer {
  /** Pid of the program on the host (its process group). */
  pid: number | null;
  noCwd: boolean;
  status: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

function line(stdout: Buffer, prefix: string, from = 0): { words: string[]; end: number } | undefined {
  const at = stdout.indexOf(`\n${prefix}`, from);
  if (at < 0) return undefined;
  const eol = stdout.indexOf('\n', at + 1);
  if (eol < 0) return undefined;
  return {
    words: stdout
      .toString('utf8', at + 1 + prefix.length, eol)
      .trim()
      .split(' '),
    end: eol + 1,
  };
}

/** Keeps the last `max` bytes, as OutputTail does, dropping a cut UTF-8 sequence's remainder. */
function tail(bytes: Buffer, max: number): { text: string; truncated: boolean } {
  if (bytes.length <= max) return { text: bytes.toString('utf8'), truncated: false };
  let start = bytes.length - max;
  for (let n = 0; n < 3 && start < bytes.length && (bytes[start]! & 0xc0) === 0x80; n += 1) start += 1;
  return { text: bytes.subarray(start).toString('utf8'), truncated: true };
}

export function parseRunAnswer(
  response: WorkerResponse,
  marks: Marks,
  seq: number,
  maxOutput: number,
): RunAnswer {
  const { stdout } = response;
  const head = `${marks.mark} ${seq} `;
  if (line(stdout, `${head}nocwd`)) {
    return {
      pid: null,
      noCwd: true,
      status: null,
      timedOut: false,
      stdout: '',
      stderr: '',
      truncated: false,
    };
  }
  const started = line(stdout, `${head}p`);
  const ended = line(stdout, `${head}x`, started?.end ?? 0);
  if (!ended) {
    throw new HyperionError(
      'unavailable',
      `the host answered a command in an unexpected shape: ${response.stderr.slice(0, 300)}`,
    );
  }
  const rest = stdout.subarray(ended.end);
  const separator = Buffer.from(marks.separator);
  const at = rest.indexOf(separator);
  if (at < 0) {
    throw new HyperionError(
      'unavailable',
      `the host did not return the command's output (tail(1) missing?): ${response.stderr.slice(0, 300)}`,
    );
  }
  const out = tail(rest.subarray(0, at), maxOutput);
  const err = tail(rest.subarray(at + separator.length), maxOutput);
  const status = Number(ended.words[0]);
  return {
    pid: started ? Number(started.words[0]) : null,
    noCwd: false,
    status: Number.isInteger(status) ? status : null,
    timedOut: ended.words[1] === '1',
    stdout: out.text,
    stderr: err.text,
    truncated: out.truncated || err.truncated,
  };
}

/** What run() resolves or rejects with, given the answer. */
export function runOutcome(
  answer: RunAnswer,
  argv: readonly string[],
  options: RunOptions,
  hostName: string,
  sudo: boolean,
): RunResult {
  const program = argv[0]!;
  if (answer.noCwd) {
    throw new HyperionError(
      'not-found',
      `working directory ${options.cwd} does not exist on host ${hostName}`,
    );
  }
  if (answer.timedOut && options.onTimeout !== 'resolve') {
    throw new HyperionError(
      'timeout',
      `${program} did not finish within ${options.timeoutMs} ms on host ${hostName}`,
    );
  }
  const status = answer.status;
  // A program that is not there: setsid (which starts it) says "failed to execute NAME: No such
  // file or directory", sh "NAME: not found" (dash) or "NAME: command not found" (bash), sudo
  // "sudo: NAME: command not found".
  const missing =
    status === 127
      ? (/failed to execute (\S+): No such file or directory/.exec(answer.stderr)?.[1] ??
        /(?:^|: )(\S+): (?:command )?not found$/m.exec(answer.stderr)?.[1])
      : sudo && status === 1
        ? /^sudo: (\S+): command not found$/m.exec(answer.stderr)?.[1]
        : undefined;
  if (missing !== undefined) {
    throw new HyperionError(
      'unsupported',
      sudo && missing === 'sudo' && status === 127
        ? `sudo is not installed on host ${hostName}, whose privilege mode is sudo`
        : `${missing} is not installed on host ${hostName}`,
    );
  }
  if (sudo && status === 1 && /^sudo: (a password is required|a terminal is required)/m.test(answer.stderr)) {
    throw new HyperionError(
      'unsupported',
      `sudo -n on host ${hostName} asks for a password for ${program}: allow it without one (NOPASSWD) for the login user`,
    );
  }
  // The shell reports a program killed by signal n as 128 + n.
  const signal =
    status !== null && status > 128 && status < 128 + 65 ? (SIGNAL_NAMES.get(status - 128) ?? null) : null;
  return {
    stdout: answer.stdout,
    stderr: answer.stderr,
    code: signal === null ? status : null,
    signal: answer.timedOut ? 'SIGKILL' : signal,
    ...(answer.timedOut ? { timedOut: true } : {}),
    ...(answer.truncated ? { truncated: true } : {}),
  };
}
