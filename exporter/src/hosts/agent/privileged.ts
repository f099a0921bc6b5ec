/**
 * A host's privileged work, through its root agent: the typed verbs of the agent's privileged
 * section (agent/hyperion-agent.pl), each one request. Short verbs share a small pool of
 * connections; a job's run has a connection of its own for as long as it runs, so long jobs never
 * keep a signal or a service action waiting.
 */
import { HyperionError } from '../../util/errors.js';
import type { HostPrivileged, JobRun, RunResult } from '../host.js';
import type { AgentPool } from './pool.js';

/** What the agent adds to a program's own time limit before the exporter gives up on it. */
const ANSWER_GRACE_MS = 10_000;
/** signal and renice are single system calls. */
const SYSCALL_TIMEOUT_MS = 10_000;
/** A log's tail is at most 4 MiB read from one file. */
const LOG_TIMEOUT_MS = 30_000;

/** The agent's answer for a program it ran: EXIT SIGNAL TIMED_OUT TRUNCATED STDERR STDOUT. */
export function programResult(fields: readonly string[]): RunResult {
  const [code = '', signal = '', timedOut = '0', truncated = '0', stderr = ''] = fields;
  // stdout is the last field and may itself hold NUL bytes, which split it further.
  const stdout = fields.slice(5).join('\0');
  return {
    stdout,
    stderr,
    code: code === '' ? null : Number(code),
    signal: signal === '' ? null : signal,
    ...(timedOut === '1' ? { timedOut: true } : {}),
    ...(truncated === '1' ? { truncated: true } : {}),
  };
}

/** The agent's time limit for a program is in whole seconds. */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class AgentPrivileged implements HostPrivileged {
  /**
   * `pool`: the connections for short verbs; `jobs`: those for jobs' runs (many at once, each
   * held for its whole run).
   */
  constructor(
    private readonly pool: AgentPool,
    private readonly jobs: AgentPool,
    private readonly hostName: string,
  ) {}

  private call(verb: string, args: readonly string[], timeoutMs: number): Promise<string[]> {
    return this.pool.use((agent) => agent.call(verb, args, timeoutMs));
  }

  private async program(verb: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
    try {
      return programResult(await this.call(verb, args, timeoutMs + ANSWER_GRACE_MS));
    } catch (error) {
      throw this.absent(error);
    }
  }

  /**
   * The agent's exec(2) answered ENOENT ("exec PROGRAM: …"): the program is not installed there,
   * said once for every verb that runs one (nft, journalctl, a job's command…).
   */
  private absent(error: unknown): unknown {
    const failed = error as NodeJS.ErrnoException;
    const program = failed?.code === 'ENOENT' ? /^exec (.+): [^:]+$/s.exec(failed.message)?.[1] : undefined;
    return program === undefined
      ? error
      : new HyperionError('unsupported', `${program} is not installed on host ${this.hostName}`);
  }

  async signal(pid: number, signal: string): Promise<void> {
    await this.call('signal', [String(pid), signal], SYSCALL_TIMEOUT_MS);
  }

  async renice(nice: number, ids: readonly number[]): Promise<{ id: number; code: string }[]> {
    const fields = await this.call('renice', [String(nice), ...ids.map(String)], SYSCALL_TIMEOUT_MS);
    const failed: { id: number; code: string }[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2)
      failed.push({ id: Number(fields[i]), code: fields[i + 1]! });
    return failed;
  }

  // The agent bounds every program with a limit of its own per verb; when the exporter's limit
  // passes first it hangs up, and the agent kills the program's process group.
  systemctl(verb: string, unit: string, timeoutMs: number): Promise<RunResult> {
    return this.program('systemctl', [verb, unit], timeoutMs);
  }

  systemctlQuery(args: readonly string[], timeoutMs: number): Promise<RunResult> {
    return this.program('systemctl-query', args, timeoutMs);
  }

  journal(unit: string, lines: number, timeoutMs: number): Promise<RunResult> {
    return this.program('journal', [unit, String(lines)], timeoutMs);
  }

  async logTail(path: string, lines: number): Promise<{ text: string; truncated: boolean }> {
    const [truncated = '0', ...text] = await this.call('log-tail', [path, String(lines)], LOG_TIMEOUT_MS);
    // The text is the last field and may itself hold NUL bytes, which split it further.
    return { text: text.join('\0'), truncated: truncated === '1' };
  }

  service(name: string, verb: string, timeoutMs: number): Promise<RunResult> {
    return this.program('service', [name, verb], timeoutMs);
  }

  updateRcd(name: string, action: string, timeoutMs: number): Promise<RunResult> {
    return this.program('update-rc.d', [name, action], timeoutMs);
  }

  nftList(family: string, table: string, timeoutMs: number): Promise<RunResult> {
    return this.program('nft-list', [family, table], timeoutMs);
  }

  nftApply(ruleset: string, timeoutMs: number): Promise<RunResult> {
    return this.program('nft-apply', [ruleset], timeoutMs);
  }

  async processLinks(pid: number): Promise<{ cwd: string | null; exe: string | null; fds: number | null }> {
    const [cwd = '', exe = '', fds = '-1'] = await this.call(
      'process-links',
      [String(pid)],
      SYSCALL_TIMEOUT_MS,
    );
    return { cwd: cwd || null, exe: exe || null, fds: fds === '-1' ? null : Number(fds) };
  }

  async socketInodes(): Promise<{ pid: number; inode: number }[]> {
    const fields = await this.call('socket-inodes', [], SYSCALL_TIMEOUT_MS);
    const out: { pid: number; inode: number }[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2)
      out.push({ pid: Number(fields[i]), inode: Number(fields[i + 1]) });
    return out;
  }

  async job(run: JobRun): Promise<RunResult> {
    const env = Object.entries(run.env ?? {});
    const args = [
      run.user,
      run.cwd ?? '',
      String(seconds(run.timeoutMs)),
      String(run.maxOutputBytes),
      String(env.length),
      ...env.flat(),
      ...run.argv,
    ];
    if (run.signal?.aborted)
      throw new HyperionError('unavailable', `${run.argv[0]} was stopped before it started`);
    try {
      const fields = await this.jobs.use((agent) =>
        agent.call('job', args, seconds(run.timeoutMs) * 1000 + ANSWER_GRACE_MS, run.signal),
      );
      return programResult(fields);
    } catch (error) {
      throw this.absent(error);
    }
  }
}
