/**
 * The job metrics, on the exporter's own registry. Their names and meanings are a contract with
 * the alert rules (alerting/): last_run is set only when a run has ended (finished, failed,
 * timed out or could not start — never for a skipped one), equal to last_success when that run
 * succeeded, so "last_run > last_success" means the last run did not succeed; next_run is the
 * slot the scheduler waits for, moved on only when that slot fires, and absent for a disabled
 * job, so "next_run well in the past" means the scheduler missed it.
 *
 * Scraped by Prometheus, the `job` label arrives as `exported_job` (the scrape job's own `job`
 * label wins unless honor_labels is set).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { FINISHED_RESULTS, RUN_RESULTS, type RunSummary } from './definition.js';

const seconds = (iso: string) => Date.parse(iso) / 1000;

export class JobMetrics {
  private readonly lastRun: Gauge<'job'>;
  private readonly lastSuccess: Gauge<'job'>;
  private readonly runs: Counter<'job' | 'result'>;
  private readonly duration: Gauge<'job'>;
  private readonly nextRun: Gauge<'job'>;
  private readonly running: Gauge<'job'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.lastRun = new Gauge({
      name: 'hyperion_job_last_run_timestamp_seconds',
      help: 'When the last run of the job ended (success or not; skipped runs excluded), in seconds since the epoch.',
      labelNames: ['job'],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'hyperion_job_last_success_timestamp_seconds',
      help: 'When the last successful run (exit code 0) of the job ended, in seconds since the epoch; absent if none.',
      labelNames: ['job'],
      registers,
    });
    this.runs = new Counter({
      name: 'hyperion_job_runs_total',
      help: 'Runs of the job by result: success, failure, timeout, error (not started), skipped (overlap or limit), missed, aborted.',
      labelNames: ['job', 'result'],
      registers,
    });
    this.duration = new Gauge({
      name: 'hyperion_job_duration_seconds',
      help: 'How long the last run of the job took (a gauge of the last run, not a histogram).',
      labelNames: ['job'],
      registers,
    });
    this.nextRun = new Gauge({
      name: 'hyperion_job_next_run_timestamp_seconds',
      help: 'When the scheduler will next start the job, in seconds since the epoch; absent when the job is disabled.',
      labelNames: ['job'],
      registers,
    });
    this.running = new Gauge({
      name: 'hyperion_job_running',
      help: 'Runs of the job in progress now.',
      labelNames: ['job'],
      registers,
    });
  }

  /**
   * A job's series from the start: every result at 0 (so the first failure is an increase), and
   * the last run and success as its history remembers them (they survive a restart).
   */
  init(job: string, lastFinished: RunSummary | undefined, lastSuccessAt: string | null): void {
    for (const result of RUN_RESULTS) this.runs.inc({ job, result }, 0);
    this.running.set({ job }, 0);
    if (lastFinished) {
      this.lastRun.set({ job }, seconds(lastFinished.endedAt));
      this.duration.set({ job }, lastFinished.durationSeconds);
    }
    if (lastSuccessAt) this.lastSuccess.set({ job }, seconds(lastSuccessAt));
  }

  recorded(record: RunSummary): void {
    const job = record.job;
    this.runs.inc({ job, result: record.result });
    if (!FINISHED_RESULTS.has(record.result)) return;
    this.lastRun.set({ job }, seconds(record.endedAt));
    this.duration.set({ job }, record.durationSeconds);
    if (record.result === 'success') this.lastSuccess.set({ job }, seconds(record.endedAt));
  }

  setNextRun(job: string, next: Date | null): void {
    if (next) this.nextRun.set({ job }, next.getTime() / 1000);
    else this.nextRun.remove({ job });
  }

  setRunning(job: string, count: number): void {
    this.running.set({ job }, count);
  }

  /** A deleted job leaves no series behind. */
  remove(job: string): void {
    for (const result of RUN_RESULTS) this.runs.remove({ job, result });
    for (const gauge of [this.lastRun, this.lastSuccess, this.duration, this.nextRun, this.running]) {
      gauge.remove({ job });
    }
  }
}
