/**
 * Host.run through an agent (the `run` verb): the request, and the answer read back into a
 * RunResult with the meaning LocalHost gives it — exit code or signal, the tails of stdout and
 * stderr, a timeout as an error or (onTimeout: 'resolve') as a result, a missing program or
 * working directory as their own errors. The agent starts the program itself, from the
 * argument vector: no shell, no text parsed back.
 */
import type { RunOptions, RunResult } from '../host.js';
import { HyperionError } from '../../util/errors.js';
import type { AgentRequest } from './connection.js';

export const DEFAULT_MAX_OUTPUT = 1 << 20;

/** Environment names a program may be given: what a shell accepts as a variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function runRequest(argv: readonly string[], options: RunOptions): AgentRequest {
  // The protocol's fields end at NUL bytes, as an argument vector's and the environment's do.
  if ([...argv, options.input ?? '', ...Object.values(options.env ?? {})].some((v) => v.includes('\0')))
    throw new HyperionError(
      'bad-request',
      'a program, its arguments, input and environment hold no NUL byte',
    );
  const env = Object.entries(options.env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k))
      throw new HyperionError('bad-request', `"${k.slice(0, 60)}" is not an environment variable name`);
    return `${k}=${v}`;
  });
  return {
    verb: 'run',
    args: [
      String(Math.max(0, Math.floor(options.timeoutMs ?? 0))),
      String(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT),
      options.cwd ?? '',
      options.input === undefined ? '0' : '1',
      options.input ?? '',
      String(env.length),
      ...env,
      ...argv,
    ],
  };
}

/** The agent's bytes of a tail: a cut UTF-8 sequence's continuation bytes are dropped. */
function tailText(bytes: Buffer, truncated: boolean): string {
  let start = 0;
  if (truncated) while (start < 3 && start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start += 1;
  return bytes.toString('utf8', start);
}

/** What run() resolves with, or the error it rejects with, given the `ok` answer's payload. */
export function runOutcome(
  rest: Buffer,
  argv: readonly string[],
  options: RunOptions,
  hostName: string,
): RunResult {
  const program = argv[0]!;
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 6; i++) {
    const end = rest.indexOf(0, at);
    if (end < 0) throw new HyperionError('unavailable', `host ${hostName}: a malformed answer to run`);
    fields.push(rest.toString('utf8', at, end));
    at = end + 1;
  }
  const [outcome, code, signal, timedOut, truncated, stdoutLength] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (outcome === 'chdir') {
    throw new HyperionError(
      code === 'ENOENT' || code === 'ENOTDIR' ? 'not-found' : 'unavailable',
      `working directory ${options.cwd} does not exist on host ${hostName} (${code})`,
    );
  }
  if (outcome === 'exec') {
    if (code === 'ENOENT')
      throw new HyperionError('unsupported', `${program} is not installed on host ${hostName}`);
    throw new HyperionError('unavailable', `cannot run ${program} on host ${hostName}: ${code}`);
  }
  if (timedOut === '1' && options.onTimeout !== 'resolve') {
    throw new HyperionError(
      'timeout',
      `${program} did not finish within ${options.timeoutMs} ms on host ${hostName}`,
    );
  }
  const cut = at + Number(stdoutLength);
  const cutShort = truncated === '1';
  return {
    stdout: tailText(rest.subarray(at, cut), cutShort),
    stderr: tailText(rest.subarray(cut), cutShort),
    code: code === '' ? null : Number(code),
    signal: signal === '' ? null : signal,
    ...(timedOut === '1' ? { timedOut: true } : {}),
    ...(cutShort ? { truncated: true } : {}),
  };
}
