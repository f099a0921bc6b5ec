/**
 * The process list against `ps -eo pid,ppid,user,pcpu,rss,nice,stat,lstart,args` with at least
 * 1 000 processes running (issue 3; target: Hyperion's p50 ≤ 0.5 × ps's). The two alternate run
 * by run, so background load on a shared machine falls on both alike. ps is timed from spawn to
 * the end of its output, as a caller of ps would wait; the list is timed from the call to the
 * JSON text of the full, unpaged listing, as the API would send it.
 *
 * Standalone: node --import tsx bench/processes.ts [processes] [runs]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { LocalHost } from '../src/hosts/local-host.js';
import { PRIME_MS } from '../src/managers/process-cpu.js';
import { ProcessManager } from '../src/managers/processes.js';
import type { BenchPart } from './part.js';
import type { Cleanup } from './lib/cleanup.js';
import { percentile } from './lib/stats.js';

export const PS_ARGS = ['-eo', 'pid,ppid,user,pcpu,rss,nice,stat,lstart,args'] as const;
const TARGET_P50_RATIO = 0.5;
const WARMUP_RUNS = 3;
/** The sleeps outlive any sane run but not a crashed one by much. */
const SLEEP_SECONDS = '900';

export interface BenchProcessesOptions {
  /** Sleeping processes to start (default 1000); the host's own processes come on top. */
  processes?: number;
  /** Measured runs of each side (default 30). */
  runs?: number;
  /** Where the report goes (default console.log). */
  log?: (line: string) => void;
  /** The runner's cleanup stack: the sleeps are registered there too, for Ctrl-C. */
  cleanup?: Cleanup;
  /** Stop measuring at this epoch-ms time or on abort, and report what was measured. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface Latency {
  p50: number;
  p95: number;
}

export interface BenchProcessesResult {
  /** Processes on the host while measuring (/proc entries). */
  processes: number;
  runs: number;
  ps: Latency;
  list: Latency;
  /** The same listing with no /proc handles kept between listings (every file opened each time). */
  listUnkept: Latency;
  /** list p50 / ps p50: the figure the target is about. */
  ratio: number;
  ratioUnkept: number;
  /** The first list() call, which waits for a second CPU reading. */
  firstListMs: number;
  met: boolean;
}

function countProcesses(): number {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
}

/**
 * One xargs forks the sleeps: Node's own spawn forks the whole (large) Node process each time,
 * about 30 ms apiece on a busy machine, where xargs takes well under one. xargs leads a process
 * group of its own, so one kill of the group ends it and every sleep, and a sleep cannot outlive
 * a crashed bench for more than SLEEP_SECONDS either.
 */
class Sleeps {
  /** Kills the group synchronously if the bench process exits without stop() (an uncaught error). */
  private readonly onExit = (): void => {
    if (this.xargs.pid !== undefined) {
      try {
        process.kill(-this.xargs.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  };

  private constructor(private readonly xargs: ChildProcess) {
    process.once('exit', this.onExit);
  }

  static async start(count: number, signal?: AbortSignal): Promise<Sleeps> {
    const xargs = spawn('xargs', ['-P', '0', '-n', '1', 'sleep'], {
      detached: true,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      xargs.once('spawn', resolve);
      xargs.once('error', reject);
    });
    const sleeps = new Sleeps(xargs);
    try {
      xargs.stdin!.end(`${SLEEP_SECONDS}\n`.repeat(count));
      // Bounded wait until every sleep runs (xargs keeps forking after its input ends).
      const until = Date.now() + 120_000;
      while (sleeps.running() < count) {
        if (Date.now() > until) throw new Error(`only ${sleeps.running()} of ${count} sleeps started`);
        signal?.throwIfAborted();
        await delay(100);
      }
    } catch (error) {
      await sleeps.stop();
      throw error;
    }
    return sleeps;
  }

  /** Children of xargs that are sleep by now (a fresh fork is still "xargs" until it execs). */
  running(): number {
    let n = 0;
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (stat.includes('(sleep)') && Number(fields[1]) === this.xargs.pid) n += 1;
      } catch {
        continue; // ended while we looked
      }
    }
    return n;
  }

  async stop(): Promise<void> {
    process.off('exit', this.onExit);
    const pid = this.xargs.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      return; // the group is gone already
    }
    // Bounded wait until the group has left the process table.
    const until = Date.now() + 10_000;
    while (Date.now() < until && this.running() > 0) await delay(50);
  }
}

/** Milliseconds from spawning ps to the end of its output and its exit. */
function timePs(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const ps = spawn('ps', [...PS_ARGS], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    ps.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    ps.once('error', reject);
    ps.once('close', (code) => {
      if (code !== 0 || bytes === 0) reject(new Error(`ps exited with ${code} after ${bytes} bytes`));
      else resolve(performance.now() - start);
    });
  });
}

async function timeList(manager: ProcessManager, minimum: number): Promise<number> {
  const start = performance.now();
  const page = await manager.list();
  const json = JSON.stringify(page);
  const elapsed = performance.now() - start;
  // A listing that silently missed processes would be fast for the wrong reason.
  if (page.total < minimum || json.length < minimum * 100) {
    throw new Error(`list() returned ${page.total} processes, expected at least ${minimum}`);
  }
  return elapsed;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

export async function benchProcesses(opts: BenchProcessesOptions = {}): Promise<BenchProcessesResult> {
  const count = opts.processes ?? 1000;
  const runs = opts.runs ?? 30;
  const log = opts.log ?? ((line: string) => console.log(line));
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;

  const started = Date.now();
  const sleeps = await Sleeps.start(count, opts.signal);
  const forget = opts.cleanup?.add(`${count} sleep processes`, () => sleeps.stop());
  try {
    const processes = countProcesses();
    log(`started ${count} sleep processes in ${Date.now() - started} ms; ${processes} processes on the host`);
    const manager = new ProcessManager(new LocalHost(), { selfPid: process.pid });
    // The same listing on a host that opens every /proc file afresh each time, as ps does:
    // what the handles LocalHost keeps between listings buy.
    const unkept = new ProcessManager(new LocalHost({}, 'local', { keptFiles: { max: 0 } }), {
      selfPid: process.pid,
    });

    const first = performance.now();
    await timeList(manager, count);
    const firstListMs = performance.now() - first;
    await timeList(unkept, count);
    for (let i = 0; i < WARMUP_RUNS; i += 1) {
      await timePs();
      await timeList(manager, count);
      await timeList(unkept, count);
    }

    const ps: number[] = [];
    const list: number[] = [];
    const listUnkept: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      if (opts.signal?.aborted || Date.now() > deadline) break;
      ps.push(await timePs());
      list.push(await timeList(manager, count));
      listUnkept.push(await timeList(unkept, count));
    }
    if (list.length === 0) throw new Error('no run completed before the deadline');

    const latency = (values: number[]): Latency => ({
      p50: percentile(values, 50),
      p95: percentile(values, 95),
    });
    const result: BenchProcessesResult = {
      processes,
      runs: list.length,
      ps: latency(ps),
      list: latency(list),
      listUnkept: latency(listUnkept),
      ratio: 0,
      ratioUnkept: 0,
      firstListMs,
      met: false,
    };
    result.ratio = result.list.p50 / result.ps.p50;
    result.ratioUnkept = result.listUnkept.p50 / result.ps.p50;
    result.met = result.ratio <= TARGET_P50_RATIO;
    const line = (label: string, l: Latency): string =>
      `  ${label.padEnd(44)} p50 ${ms(l.p50).padStart(9)}  p95 ${ms(l.p95).padStart(9)}  ratio p50 ${(l.p50 / result.ps.p50).toFixed(2)}`;
    log(`${result.runs} runs each, alternating, ${processes} processes`);
    log(line(`ps ${PS_ARGS.join(' ')}`.slice(0, 44), result.ps));
    log(line('list() + JSON', result.list));
    log(line('list() + JSON, no kept /proc handles', result.listUnkept));
    log(`  first list() (two CPU readings ${PRIME_MS} ms apart): ${ms(firstListMs)}`);
    log(
      `  target: list p50 ≤ ${TARGET_P50_RATIO} × ps p50: ${result.met ? 'MET' : 'MISSED'} (${result.ratio.toFixed(2)})`,
    );
    return result;
  } finally {
    if (forget) await forget();
    else await sleeps.stop();
  }
}

/** `npm run bench` part: the process list against ps (issue 3's target). */
export const processesPart: BenchPart = {
  name: 'processes',
  title: 'Process list: Hyperion against ps, 1 000 extra processes',
  async run(ctx) {
    await benchProcesses({ cleanup: ctx.cleanup, deadline: ctx.deadline, signal: ctx.signal });
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [processes, runs] = process.argv.slice(2).map(Number);
  // Ctrl-C stops the runs; the sleeps are still cleaned up on the way out.
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  benchProcesses({ processes: processes || undefined, runs: runs || undefined, signal: abort.signal }).catch(
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
