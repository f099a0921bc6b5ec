/**
 * Recurring jobs: definitions (store.ts), one node-cron task per enabled job, the runs in
 * progress, their history (history.ts) and metrics (metrics.ts). A run happens on the job's
 * host, resolved by name when it starts, so a job works on any host the exporter knows — and a
 * host that is gone makes a run that records "error", not a crash.
 *
 * Overlap: with "skip", a run due while one is in progress is recorded as skipped (a manual run
 * is refused, 409). All jobs together never have more than jobs.maxConcurrentRuns in progress.
 */
import { randomUUID } from 'node:crypto';
import type { Logger as CronLogger, ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Host } from '../../hosts/host.js';
import { DataDir } from '../../storage/data-dir.js';
import { HyperionError, errorMessage, isHyperionError } from '../../util/errors.js';
import type { JobsConfig } from './config.js';
import { createCronTask, localTimeZone, nextRunsOf } from './cron.js';
import {
  FINISHED_RESULTS,
  type JobCommand,
  type JobCreate,
  type JobSpec,
  type RunOutcome,
  type RunRecord,
  type RunSummary,
  type StoredJob,
} from './definition.js';
import { JobHistory } from './history.js';
import { JobMetrics } from './metrics.js';
import { notRun, runJob, type Outcome } from './runner.js';
import { JobStore } from './store.js';

/** Finds a host by its inventory name; throws a not-found HyperionError for an unknown one. */
export type HostResolver = (name: string) => Host;

export interface JobManagerOptions {
  /** The exporter's data directory: jobs keep theirs in its jobs/ subdirectory. */
  dir: DataDir;
  config: JobsConfig;
  metrics: Registry;
  hosts: HostResolver;
  log: Logger;
}

type Trigger = 'schedule' | 'manual';

interface ActiveRun {
  id: number;
  jobId: string;
  job: string;
  trigger: Trigger;
  actor: string | null;
  scheduledFor: Date | null;
  startedAt: Date;
  abort: AbortController;
  done: Promise<void>;
}

export interface RunningView {
  id: number;
  trigger: Trigger;
  actor: string | null;
  scheduledFor: string | null;
  startedAt: string;
}

export interface JobView {
  name: string;
  description: string | null;
  schedule: string;
  timezone: string | null;
  /** The zone the schedule is read in: its own, or the exporter's. */
  effectiveTimezone: string;
  host: string;
  /**
   * Environment values are shown to admins only; secretEnv values to nobody (their names only,
   * each value "[secret]").
   */
  command: JobCommand;
  timeoutSeconds: number;
  overlap: StoredJob['overlap'];
  enabled: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  /** Why an enabled job is not scheduled (a schedule this node-cron no longer accepts). */
  scheduleError: string | null;
  /** The next start times (ISO 8601); empty when disabled. */
  nextRuns: string[];
  running: RunningView[];
  lastRun: RunSummary | null;
  lastSuccessAt: string | null;
}

export interface RunStarted {
  job: string;
  id: number;
  startedAt: string;
  state: 'running';
}

export type RunDetail =
  (RunRecord & { state: 'finished' }) | (RunningView & { job: string; state: 'running' });

/** What a job's answer shows for each secret environment value. */
export const SECRET_VALUE = '[secret]';

/** On stop, how long the runs just killed get to write their record. */
const STOP_WAIT_MS = 2500;
const DETAIL_NEXT_RUNS = 5;

function iso(date: Date): string {
  return date.toISOString();
}

export class JobManager {
  private readonly store: JobStore;
  private readonly history: JobHistory;
  private readonly metrics: JobMetrics;
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly scheduleErrors = new Map<string, string>();
  /** Runs in progress by job id (not name: a deleted job's dying run is not the new job's). */
  private readonly active = new Map<string, Map<number, ActiveRun>>();
  private activeCount = 0;
  private started = false;
  private stopped = false;
  private readonly cronLogger: CronLogger;
  private readonly log: Logger;

  /**
   * A reloaded configuration: limits apply to the next definition and run, the output tail to
   * runs started from now on, the retention to the next trim of each job's history.
   */
  reconfigure(config: JobsConfig): void {
    this.options.config = config;
    this.history.setKeep(config.historyRuns);
  }

  constructor(private readonly options: JobManagerOptions) {
    const jobsDir = new DataDir(options.dir.path('jobs'));
    this.store = new JobStore(jobsDir);
    this.history = new JobHistory(new DataDir(jobsDir.path('history')), options.config.historyRuns);
    this.metrics = new JobMetrics(options.metrics);
    const log = options.log.child({ component: 'jobs' });
    this.log = log;
    // node-cron logs to the console by default; ours goes to the exporter's log.
    this.cronLogger = {
      info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m),
      error: (m: string | Error, e?: Error) => log.error({ err: e ?? m }, String(m)),
      debug: (m: string | Error) => log.debug(String(m)),
    };
    for (const job of this.store.list()) this.initJob(job);
  }

  /** Schedules every enabled job. Called once by the composition root. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const job of this.store.list()) this.schedule(job);
  }

  /** Stops scheduling, kills the runs in progress and records them as aborted. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const name of [...this.tasks.keys()]) this.unschedule(name);
    const runs = [...this.active.values()].flatMap((m) => [...m.values()]);
    for (const run of runs) run.abort.abort('the exporter stopped while the job ran');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(runs.map((r) => r.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    this.history.close();
  }

  // --- Definitions -------------------------------------------------------------------------

  list(showSecrets: boolean): JobView[] {
    return this.store.list().map((job) => this.view(job, 1, showSecrets));
  }

  get(name: string, showSecrets: boolean): JobView {
    return this.view(this.require(name), DETAIL_NEXT_RUNS, showSecrets);
  }

  /** The refusals a new job can meet: a name taken, too many jobs, an unknown host. */
  checkCreate(spec: JobCreate): void {
    if (this.store.get(spec.name)) {
      throw new HyperionError(
        'conflict',
        `a job named "${spec.name}" exists; change it with PUT /jobs/${spec.name}`,
      );
    }
    if (this.store.size >= this.options.config.maxJobs) {
      throw new HyperionError(
        'conflict',
        `there are ${this.store.size} jobs, the most allowed (jobs.maxJobs in the configuration)`,
      );
    }
    this.checkHost(spec.host);
  }

  create(spec: JobCreate, actor: string): JobView {
    this.checkCreate(spec);
    const now = iso(new Date());
    const { name, ...rest } = spec;
    const job: StoredJob = {
      id: randomUUID(),
      name,
      ...rest,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
    };
    this.store.put(job);
    this.history.remove(name); // nothing left over from an earlier job of that name
    this.initJob(job);
    this.schedule(job);
    return this.view(job, DETAIL_NEXT_RUNS, true);
  }

  /** Replaces a definition; runs in progress finish as they started. */
  update(name: string, spec: JobSpec, actor: string): JobView {
    const before = this.require(name);
    this.checkHost(spec.host);
    // Secret values are never shown, so an editor cannot send them back: absent keeps them.
    const secretEnv = spec.command.secretEnv ?? before.command.secretEnv;
    const job: StoredJob = {
      id: before.id,
      name,
      ...spec,
      command: { ...spec.command, ...(secretEnv ? { secretEnv } : {}) },
      createdAt: before.createdAt,
      createdBy: before.createdBy,
      updatedAt: iso(new Date()),
      updatedBy: actor,
    };
    this.store.put(job);
    this.schedule(job);
    return this.view(job, DETAIL_NEXT_RUNS, true);
  }

  setEnabled(name: string, enabled: boolean, actor: string): JobView {
    const before = this.require(name);
    const job: StoredJob = { ...before, enabled, updatedAt: iso(new Date()), updatedBy: actor };
    this.store.put(job);
    this.schedule(job);
    return this.view(job, DETAIL_NEXT_RUNS, true);
  }

  /** Deletes a job: its schedule, its history, its series, and kills its runs in progress. */
  remove(name: string): { name: string; deleted: true; runsKilled: number } {
    const job = this.require(name);
    this.store.delete(name);
    this.unschedule(name);
    const runs = [...(this.active.get(job.id)?.values() ?? [])];
    for (const run of runs) run.abort.abort('the job was deleted while it ran');
    this.history.remove(name);
    this.metrics.remove(name);
    return { name, deleted: true, runsKilled: runs.length };
  }

  // --- Runs --------------------------------------------------------------------------------

  runNow(name: string, actor: string): RunStarted {
    const job = this.require(name);
    if (this.stopped) throw new HyperionError('unavailable', 'the exporter is stopping');
    const refusal = this.refusal(job);
    if (refusal) throw new HyperionError('conflict', `job "${name}" was not started: ${refusal}`);
    const run = this.launch(job, 'manual', actor, null);
    return { job: name, id: run.id, startedAt: iso(run.startedAt), state: 'running' };
  }

  runs(name: string, offset: number, limit: number): { total: number; items: RunSummary[] } {
    this.require(name);
    const all = this.history.summaries(name);
    return { total: all.length, items: all.slice(offset, offset + limit) };
  }

  run(name: string, id: number): RunDetail {
    const job = this.require(name);
    const active = this.active.get(job.id)?.get(id);
    if (active) return { job: name, state: 'running', ...this.runningView(active) };
    const record = this.history.get(name, id);
    if (!record) {
      throw new HyperionError(
        'not-found',
        `job "${name}" has no run ${id} (retention keeps the newest ${this.options.config.historyRuns})`,
      );
    }
    return { ...record, state: 'finished' };
  }

  // --- Internals ---------------------------------------------------------------------------

  private require(name: string): StoredJob {
    const job = this.store.get(name);
    if (!job) throw new HyperionError('not-found', `no job named "${name}"`);
    return job;
  }

  private checkHost(name: string): void {
    try {
      this.options.hosts(name);
    } catch (error) {
      if (isHyperionError(error) && error.type === 'not-found') {
        throw new HyperionError('validation', `body/host: unknown host "${name}"`, { field: 'body/host' });
      }
      throw error;
    }
  }

  /** History and series of a job, as they stood before this start. */
  private initJob(job: StoredJob): void {
    this.history.load(job.name);
    const lastFinished = this.history.latest(job.name, (s) => FINISHED_RESULTS.has(s.result));
    this.metrics.init(job.name, lastFinished, this.history.latest(job.name)?.lastSuccessAt ?? null);
  }

  private unschedule(name: string): void {
    const task = this.tasks.get(name);
    if (task) void task.destroy();
    this.tasks.delete(name);
    this.scheduleErrors.delete(name);
    this.metrics.setNextRun(name, null);
  }

  private schedule(job: StoredJob): void {
    this.unschedule(job.name);
    if (!job.enabled || !this.started || this.stopped) return;
    let task: ScheduledTask;
    try {
      task = createCronTask(job.schedule, (ctx) => this.onSlot(job.name, ctx.date), {
        timezone: job.timezone,
        name: `hyperion-job:${job.name}`,
        logger: this.cronLogger,
      });
    } catch (error) {
      // Only a definition saved under another node-cron version can get here: keep it, say why.
      this.scheduleErrors.set(job.name, errorMessage(error));
      this.log.error({ job: job.name, err: errorMessage(error) }, 'cannot schedule job');
      return;
    }
    task.on('execution:missed', (ctx) => this.onMissed(job.name, ctx.date));
    void task.start();
    this.tasks.set(job.name, task);
    this.metrics.setNextRun(job.name, task.getNextRun());
  }

  private onSlot(name: string, slot: Date): void {
    const task = this.tasks.get(name);
    if (task) this.metrics.setNextRun(name, task.getNextRun());
    const job = this.store.get(name);
    if (!job?.enabled || this.stopped) return;
    const refusal = this.refusal(job);
    if (refusal) this.recordNotRun(job, 'skipped', refusal, slot);
    else this.launch(job, 'schedule', null, slot);
  }

  private onMissed(name: string, slot: Date): void {
    const job = this.store.get(name);
    if (!job?.enabled || this.stopped) return;
    this.recordNotRun(
      job,
      'missed',
      'the exporter could not start it on time (busy, suspended or clock change)',
      slot,
    );
  }

  /** Why a run may not start now; null when it may. */
  private refusal(job: StoredJob): string | null {
    const mine = this.active.get(job.id);
    if (job.overlap === 'skip' && mine && mine.size > 0) {
      const first = [...mine.values()][0]!;
      return `run ${first.id}, started ${iso(first.startedAt)}, is still running and the overlap policy is "skip"`;
    }
    if (this.activeCount >= this.options.config.maxConcurrentRuns) {
      return `${this.activeCount} job runs are in progress, the most allowed at once (jobs.maxConcurrentRuns)`;
    }
    return null;
  }

  private launch(
    job: StoredJob,
    trigger: Trigger,
    actor: string | null,
    scheduledFor: Date | null,
  ): ActiveRun {
    const run: ActiveRun = {
      id: this.history.allocateId(job.name),
      jobId: job.id,
      job: job.name,
      trigger,
      actor,
      scheduledFor,
      startedAt: new Date(),
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    let mine = this.active.get(job.id);
    if (!mine) this.active.set(job.id, (mine = new Map()));
    mine.set(run.id, run);
    this.activeCount += 1;
    this.metrics.setRunning(job.name, mine.size);
    run.done = this.execute(job, run)
      .catch((error: unknown) =>
        this.log.error({ job: job.name, run: run.id, err: errorMessage(error) }, 'job run failed'),
      )
      .finally(() => {
        mine.delete(run.id);
        if (mine.size === 0) this.active.delete(job.id);
        this.activeCount -= 1;
        if (this.isCurrent(job)) this.metrics.setRunning(job.name, mine.size);
      });
    return run;
  }

  private async execute(job: StoredJob, run: ActiveRun): Promise<void> {
    let outcome: Outcome;
    let host: Host | undefined;
    try {
      host = this.options.hosts(job.host);
    } catch (error) {
      outcome = notRun('error', errorMessage(error));
    }
    if (host) {
      outcome = await runJob(host, {
        command: job.command,
        timeoutSeconds: job.timeoutSeconds,
        outputBytes: this.options.config.outputBytes,
        signal: run.abort.signal,
      });
    }
    this.record(job, run, outcome!, new Date());
  }

  /** The definition this run belongs to is still the stored one (not deleted, not replaced). */
  private isCurrent(job: StoredJob): boolean {
    return this.store.get(job.name)?.id === job.id;
  }

  private record(job: StoredJob, run: ActiveRun, outcome: Outcome, endedAt: Date): void {
    if (!this.isCurrent(job)) return;
    const previous = this.history.latest(job.name)?.lastSuccessAt ?? null;
    const record: RunRecord = {
      id: run.id,
      job: job.name,
      host: job.host,
      trigger: run.trigger,
      actor: run.actor,
      scheduledFor: run.scheduledFor ? iso(run.scheduledFor) : null,
      startedAt: iso(run.startedAt),
      endedAt: iso(endedAt),
      durationSeconds: (endedAt.getTime() - run.startedAt.getTime()) / 1000,
      ...outcome,
      lastSuccessAt: outcome.result === 'success' ? iso(endedAt) : previous,
    };
    this.history.append(record);
    this.metrics.recorded(record);
    if (outcome.result !== 'success') {
      // A skipped slot is the overlap policy working; the rest is worth an operator's look.
      this.log[outcome.result === 'skipped' ? 'debug' : 'warn'](
        {
          job: job.name,
          run: run.id,
          result: outcome.result,
          exitCode: outcome.exitCode,
          error: outcome.error,
        },
        'job run did not succeed',
      );
    }
  }

  private recordNotRun(job: StoredJob, result: RunOutcome, why: string, slot: Date): void {
    const now = new Date();
    const run: ActiveRun = {
      id: this.history.allocateId(job.name),
      jobId: job.id,
      job: job.name,
      trigger: 'schedule',
      actor: null,
      scheduledFor: slot,
      startedAt: now,
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.record(job, run, notRun(result, why), now);
  }

  private runningView(run: ActiveRun): RunningView {
    return {
      id: run.id,
      trigger: run.trigger,
      actor: run.actor,
      scheduledFor: run.scheduledFor ? iso(run.scheduledFor) : null,
      startedAt: iso(run.startedAt),
    };
  }

  private view(job: StoredJob, nextCount: number, showSecrets: boolean): JobView {
    const task = this.tasks.get(job.name);
    const command: JobCommand = { ...job.command };
    if (command.env && !showSecrets) {
      command.env = Object.fromEntries(Object.keys(command.env).map((k) => [k, '(hidden)']));
    }
    if (command.secretEnv) {
      command.secretEnv = Object.fromEntries(Object.keys(command.secretEnv).map((k) => [k, SECRET_VALUE]));
    }
    return {
      name: job.name,
      description: job.description ?? null,
      schedule: job.schedule,
      timezone: job.timezone ?? null,
      effectiveTimezone: job.timezone ?? localTimeZone(),
      host: job.host,
      command,
      timeoutSeconds: job.timeoutSeconds,
      overlap: job.overlap,
      enabled: job.enabled,
      createdAt: job.createdAt,
      createdBy: job.createdBy,
      updatedAt: job.updatedAt,
      updatedBy: job.updatedBy,
      scheduleError: this.scheduleErrors.get(job.name) ?? null,
      nextRuns: task ? nextRunsOf(task, nextCount).map(iso) : [],
      running: [...(this.active.get(job.id)?.values() ?? [])].map((r) => this.runningView(r)),
      lastRun: this.history.latest(job.name) ?? null,
      lastSuccessAt: this.history.latest(job.name)?.lastSuccessAt ?? null,
    };
  }
}
