/**
 * Job definitions, persisted as one JSON document in the data directory (replaced atomically on
 * every change) and kept in memory: a handful of definitions read on every scheduler tick.
 */
import { z } from 'zod';
import type { DataDir } from '../../storage/data-dir.js';
import { storedJobSchema, type StoredJob } from './definition.js';

const FILE = 'definitions.json';
const fileSchema = z.object({ version: z.literal(1), jobs: z.array(storedJobSchema) }).strict();

export class JobStore {
  private readonly jobs = new Map<string, StoredJob>();

  constructor(private readonly dir: DataDir) {
    let stored: z.infer<typeof fileSchema>;
    try {
      stored = dir.readJson(FILE, fileSchema, { version: 1, jobs: [] });
    } catch (error) {
      // Starting without the definitions would silently stop every job: refuse to start.
      throw new Error(`${dir.path(FILE)} is not a valid job definitions file: ${(error as Error).message}`, {
        cause: error,
      });
    }
    for (const job of stored.jobs) this.jobs.set(job.name, job);
  }

  list(): StoredJob[] {
    return [...this.jobs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): StoredJob | undefined {
    return this.jobs.get(name);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Adds or replaces a definition; on disk before it returns. */
  put(job: StoredJob): void {
    const before = this.jobs.get(job.name);
    this.jobs.set(job.name, job);
    try {
      this.save();
    } catch (error) {
      // Memory must not claim what the disk refused.
      if (before) this.jobs.set(job.name, before);
      else this.jobs.delete(job.name);
      throw error;
    }
  }

  delete(name: string): void {
    const before = this.jobs.get(name);
    if (!before) return;
    this.jobs.delete(name);
    try {
      this.save();
    } catch (error) {
      this.jobs.set(name, before);
      throw error;
    }
  }

  private save(): void {
    this.dir.writeJson(FILE, { version: 1, jobs: this.list() });
  }
}
