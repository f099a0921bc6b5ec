/** What every benchmark part gets and provides; run.ts calls the parts in order. */
import type { BenchOptions } from './cli.js';
import type { Cleanup } from './lib/cleanup.js';

export interface BenchContext {
  /** The exporter package directory (holds dist/ and node_modules/). */
  exporterDir: string;
  options: BenchOptions;
  /** Register everything started, so it is stopped on success, error and Ctrl-C alike. */
  cleanup: Cleanup;
  /** Epoch milliseconds after which a part stops its loops and reports what it measured. */
  deadline: number;
  /** Set when the run was interrupted: loops check it and stop early. */
  signal: AbortSignal;
}

export interface BenchPart {
  /** Used by --only. */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<void>;
}
