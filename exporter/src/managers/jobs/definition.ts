/**
 * What a job is (the request schemas, which are also its documentation) and what one run of it
 * leaves behind. The API validates definitions with these schemas once; the store reads its file
 * with the looser stored schema, so a definition saved by an older version still loads.
 */
import { z } from 'zod';
import { hostName } from '../../api/schemas.js';
import { secret } from '../../api/secret.js';
import { neverRunsProblem, scheduleProblem, timeZoneProblem } from './cron.js';

export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const jobName = z
  .string()
  .regex(JOB_NAME, 'a job name is 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit')
  .describe('The job’s name: unique, and its `job` label on the metrics');

export const OVERLAP_POLICIES = ['skip', 'allow'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** spawn() refuses a NUL byte in any argument, variable or path: refuse it at the edge instead. */
const noNul = (s: string) => !s.includes('\0');
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Environment variable names: letters, digits and "_", checked key by key for a clear message. */
function envNames(env: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const names = Object.keys(env);
  if (names.length > 64) ctx.addIssue({ code: 'custom', message: 'at most 64 variables' });
  for (const name of names.filter((n) => !ENV_NAME.test(n))) {
    ctx.addIssue({
      code: 'custom',
      path: [name],
      message: `"${name.slice(0, 64)}": variable names are letters, digits and "_", not starting with a digit`,
    });
  }
}

const envValue = z.string().max(4096).refine(noNul, 'a value cannot contain a NUL character');

const commandShape = {
  argv: z
    .array(z.string().max(4096).refine(noNul, 'an argument cannot contain a NUL character'))
    .min(1, 'argv names at least the program')
    .max(256)
    .refine((argv) => argv[0] !== '', 'argv[0] is the program to run: it cannot be empty')
    .optional()
    .describe('The program and its arguments, run without a shell'),
  shell: z
    .string()
    .min(1)
    .max(16_384)
    .refine(noNul, 'a script cannot contain a NUL character')
    .optional()
    .describe('A shell script, run as /bin/sh -c SCRIPT: explicitly a shell, admin-only, audited'),
  user: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'a user name is letters, digits, "._-" (at most 32)')
    .optional()
    .describe(
      'The user the job runs as (its uid, groups, HOME and SHELL) on the job’s host; absent: the user the host’s agent runs as (root)',
    ),
  cwd: z
    .string()
    .max(4096)
    .startsWith('/', 'the working directory is an absolute path')
    .refine(noNul, 'a path cannot contain a NUL character')
    .optional()
    .describe('Working directory on the job’s host'),
  env: z
    .record(z.string(), envValue)
    // Keys are checked here, not by a key schema: zod reports a bad key only as "Invalid key".
    .superRefine(envNames)
    .optional()
    .describe('Variables added to the environment the exporter runs with (their values shown to admins)'),
  secretEnv: z
    .record(z.string(), secret(envValue))
    .superRefine(envNames)
    .optional()
    .describe(
      'Variables whose values are secrets (passwords, API keys): write-only — never shown by any answer nor written to the audit log. Absent on a change keeps the current ones',
    ),
};

export const commandSchema = z
  .object(commandShape)
  .strict()
  .superRefine((c, ctx) => {
    if ((c.argv === undefined) === (c.shell === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message:
          c.argv === undefined
            ? 'give argv (a program and its arguments, no shell) or shell (a script for /bin/sh -c)'
            : 'give argv or shell, not both',
      });
    }
  });
export type JobCommand = z.infer<typeof commandSchema>;

export const scheduleSchema = z
  .string()
  .min(1)
  .max(200)
  .superRefine((expression, ctx) => {
    const problem = scheduleProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('Cron expression: 5 fields, or 6 with seconds first ("*/10 * * * * *"), or @daily…');

export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .superRefine((tz, ctx) => {
    const problem = timeZoneProblem(tz);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('IANA time zone of the schedule; the exporter’s own when absent');

const specShape = {
  description: z.string().max(500).optional(),
  schedule: scheduleSchema,
  timezone: timeZoneSchema.optional(),
  host: hostName.default('local'),
  command: commandSchema,
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(3600)
    .describe('The run (and everything it started) is killed after this long'),
  overlap: z
    .enum(OVERLAP_POLICIES)
    .default('skip')
    .describe('skip: a run due while the previous one still runs is skipped; allow: both run'),
  enabled: z.boolean().default(true),
};

/** A valid expression may still never match (31 February is caught, "1#5 on the 1st" is not). */
export function mustRun(spec: { schedule: unknown; timezone?: unknown }, ctx: z.RefinementCtx): void {
  // Other fields may have failed already: only a valid schedule in a valid zone is worth the walk.
  const { schedule, timezone } = spec;
  if (typeof schedule !== 'string' || scheduleProblem(schedule)) return;
  if (timezone !== undefined && (typeof timezone !== 'string' || timeZoneProblem(timezone))) return;
  const problem = neverRunsProblem(schedule, timezone);
  if (problem) ctx.addIssue({ code: 'custom', path: ['schedule'], message: problem });
}

/** PUT /jobs/{name}: the whole definition but its name. */
export const jobSpecSchema = z.object(specShape).strict().superRefine(mustRun);
/** POST /jobs. */
export const jobCreateSchema = z
  .object({ name: jobName, ...specShape })
  .strict()
  .superRefine(mustRun);

export type JobSpec = z.infer<typeof jobSpecSchema>;
export type JobCreate = z.infer<typeof jobCreateSchema>;

/** A definition as the data directory keeps it. */
export const storedJobSchema = z
  .object({
    /** Survives updates, not a delete: a run of a deleted job never lands in a new job's history. */
    id: z.string().min(1),
    name: z.string().regex(JOB_NAME),
    description: z.string().optional(),
    schedule: z.string(),
    timezone: z.string().optional(),
    host: z.string(),
    command: z.object(commandShape).strict(),
    timeoutSeconds: z.number().int().positive(),
    overlap: z.enum(OVERLAP_POLICIES),
    enabled: z.boolean(),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .strict();
export type StoredJob = z.infer<typeof storedJobSchema>;

/**
 * How a run ended. success: exit 0. failure: another exit code, or ended by a signal.
 * timeout: killed after timeoutSeconds. error: could not be started (unknown host, no such
 * program or directory). skipped: not started (overlap policy, or too many runs at once).
 * missed: the exporter could not start it on time. aborted: killed because the exporter stopped
 * or the job was deleted.
 */
export const RUN_RESULTS = [
  'success',
  'failure',
  'timeout',
  'error',
  'skipped',
  'missed',
  'aborted',
] as const;
export type RunOutcome = (typeof RUN_RESULTS)[number];

/** The results that say the job actually ran to an end: they move the last-run metrics. */
export const FINISHED_RESULTS: ReadonlySet<RunOutcome> = new Set(['success', 'failure', 'timeout', 'error']);

export const TRIGGERS = ['schedule', 'manual'] as const;

export const runRecordSchema = z.object({
  id: z.number().int().positive(),
  job: z.string(),
  host: z.string(),
  trigger: z.enum(TRIGGERS),
  /** Who asked, for a manual run. */
  actor: z.string().nullable(),
  /** The schedule slot this run is for (a scheduled run); null for a manual one. */
  scheduledFor: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationSeconds: z.number(),
  result: z.enum(RUN_RESULTS),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  /** Why it did not run, or could not start. */
  error: z.string().nullable(),
  /** The last outputBytes (64 KiB by default) of each stream. */
  stdout: z.string(),
  stderr: z.string(),
  outputTruncated: z.boolean(),
  /** The job's last success as of this run, so the metric survives a restart and retention. */
  lastSuccessAt: z.string().nullable(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;
export type RunSummary = Omit<RunRecord, 'stdout' | 'stderr'>;

export function summaryOf(record: RunRecord): RunSummary {
  const { stdout: _out, stderr: _err, ...summary } = record;
  return summary;
}
