/**
 * Run history: one append-only JSON Lines file per job (jobs/history/<name>.jsonl), each line a
 * finished run on disk before it counts. Retention is by count: the file is rewritten to its
 * newest `keep` runs at start-up and whenever it has grown to twice that, so appends stay cheap
 * and the file stays bounded. Summaries (no output) of the retained runs are kept in memory;
 * a run's output is read from the file when asked for.
 */
import type { AppendLog, DataDir } from '../../storage/data-dir.js';
import { runRecordSchema, summaryOf, type RunRecord, type RunSummary } from './definition.js';

interface JobLog {
  log: AppendLog;
  /** Oldest first, at most `keep`. */
  summaries: RunSummary[];
  /** Lines in the file, retained or not yet compacted away. */
  lines: number;
  lastId: number;
}

export class JobHistory {
  private readonly logs = new Map<string, JobLog>();
  private closed = false;

  constructor(
    private readonly dir: DataDir,
    private keep: number,
  ) {}

  /** A reloaded configuration: later trims keep this many runs. */
  setKeep(keep: number): void {
    this.keep = keep;
  }

  private file(name: string): string {
    return `${name}.jsonl`;
  }

  /** Opens a job's history, dropping what is beyond retention (and any torn last line). */
  private open(name: string): JobLog {
    let state = this.logs.get(name);
    if (state) return state;
    if (this.closed) throw new Error('the job history is closed');
    const records = this.compact(name);
    state = {
      log: this.dir.openLog(this.file(name)),
      summaries: records.map(summaryOf),
      lines: records.length,
      lastId: records.at(-1)?.id ?? 0,
    };
    this.logs.set(name, state);
    return state;
  }

  /** Rewrites the file to its newest `keep` valid records and returns them. */
  private compact(name: string): RunRecord[] {
    const records = this.read(name).slice(-this.keep);
    this.dir.writeText(this.file(name), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return records;
  }

  private read(name: string): RunRecord[] {
    const reader = this.dir.openLog(this.file(name));
    try {
      const out: RunRecord[] = [];
      for (const line of reader.readAll()) {
        const parsed = runRecordSchema.safeParse(line);
        if (parsed.success) out.push(parsed.data);
      }
      return out;
    } finally {
      reader.close();
    }
  }

  /** Loads a job's history (start-up, creation) so its numbering and metrics continue. */
  load(name: string): void {
    this.open(name);
  }

  /** The id the next run of this job gets. */
  allocateId(name: string): number {
    const state = this.open(name);
    state.lastId += 1;
    return state.lastId;
  }

  append(record: RunRecord): void {
    if (this.closed) return; // the exporter is stopping: nothing more is written
    const state = this.open(record.job);
    state.log.append(record);
    state.lines += 1;
    state.summaries.push(summaryOf(record));
    if (state.summaries.length > this.keep) state.summaries.shift();
    if (state.lines >= this.keep * 2) {
      state.log.close();
      const records = this.compact(record.job);
      state.log = this.dir.openLog(this.file(record.job));
      state.lines = records.length;
    }
  }

  /** Retained runs, newest first. */
  summaries(name: string): RunSummary[] {
    return [...this.open(name).summaries].reverse();
  }

  /** The newest retained run that matches, if any. */
  latest(name: string, match: (s: RunSummary) => boolean = () => true): RunSummary | undefined {
    const summaries = this.open(name).summaries;
    for (let i = summaries.length - 1; i >= 0; i -= 1) if (match(summaries[i]!)) return summaries[i];
    return undefined;
  }

  /** One run with its output, if still retained. */
  get(name: string, id: number): RunRecord | undefined {
    if (!this.open(name).summaries.some((s) => s.id === id)) return undefined;
    return this.read(name).find((r) => r.id === id);
  }

  /** Forgets a deleted job's history, file included. */
  remove(name: string): void {
    const state = this.logs.get(name);
    if (state) state.log.close();
    this.logs.delete(name);
    this.dir.remove(this.file(name));
  }

  close(): void {
    this.closed = true;
    for (const state of this.logs.values()) state.log.close();
    this.logs.clear();
  }
}
