/**
 * The `jobs:` block of the configuration file.
 *
 *   jobs:
 *     historyRuns: 100          # runs kept per job; older ones are dropped
 *     outputBytes: 65536        # tail of stdout and of stderr kept per run
 *     maxJobs: 200              # definitions at most
 *     maxConcurrentRuns: 16     # runs in progress at once, all jobs together
 */
import { z } from 'zod';

export const jobsConfigSchema = z
  .object({
    historyRuns: z.number().int().min(1).max(10_000).default(100),
    outputBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(64 * 1024),
    maxJobs: z.number().int().min(1).max(10_000).default(200),
    /** A bound on processes started by jobs: a scheduled run beyond it is skipped, a manual one refused. */
    maxConcurrentRuns: z.number().int().min(1).max(1000).default(16),
  })
  .strict();

export type JobsConfig = z.infer<typeof jobsConfigSchema>;
