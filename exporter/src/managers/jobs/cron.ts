/**
 * Cron expressions as node-cron (v4) reads them: 5 fields, or 6 with seconds first, plus the
 * @hourly…@yearly nicknames, in an IANA time zone. Everything here uses node-cron's own parser
 * and matcher, so what is validated and previewed is exactly what the scheduler will do.
 *
 * node-cron's semantics, worth knowing (they differ from Vixie cron):
 * - day of month AND day of week must both match when both are restricted (Vixie: either);
 * - a range written backwards wraps around ("22-2" hours = 22, 23, 0, 1, 2);
 * - L, nW, L-n (day of month) and n#k, nL (day of week) are supported; @reboot is not.
 * node-cron only computes next runs from "now" (getNextRuns), which is all we need.
 */
import cron, {
  type CronFieldError,
  type Logger as CronLogger,
  type ScheduledTask,
  type TaskFn,
} from 'node-cron';

const FIELD_HELP: Record<string, string> = {
  second: 'second (0–59)',
  minute: 'minute (0–59)',
  hour: 'hour (0–23)',
  dayOfMonth: 'day of month (1–31, L, nW, L-n)',
  month: 'month (1–12 or jan–dec)',
  dayOfWeek: 'day of week (0–7 or sun–sat, n#k, nL)',
};

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** How late a slot may still start: later than this (or after the next slot) it is "missed". */
export const MISSED_TOLERANCE_MS = 30_000;

/** The most next-run times computed at once (a rare schedule costs node-cron a long walk). */
export const MAX_PREVIEW_RUNS = 20;

function describe(error: CronFieldError): string {
  if (error.field !== 'expression') {
    if (/impossible day of month/.test(error.message)) {
      return `day of month "${error.value}" never occurs in the month(s) given`;
    }
    return `"${error.value}" is not a valid ${FIELD_HELP[error.field] ?? error.field}`;
  }
  const fields = /expected 5 or 6 fields but got (\d+)/.exec(error.message);
  if (fields) {
    return `expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${fields[1]}`;
  }
  if (/illegal characters/.test(error.message)) {
    return 'only digits, letters, spaces and * , - / # ? may appear in a cron expression';
  }
  return error.message;
}

/** What is wrong with a cron expression, in words for the user; null when it is valid. */
export function scheduleProblem(expression: string): string | null {
  const text = expression.trim();
  if (text === '') return 'the schedule is empty';
  if (text.startsWith('@') && !NICKNAMES.includes(text.toLowerCase())) {
    return `unknown nickname "${text}" (known: ${NICKNAMES.join(', ')}; @reboot is not supported)`;
  }
  try {
    const result = cron.validateDetailed(text);
    return result.valid ? null : result.errors.map(describe).join('; ');
  } catch (error) {
    return `not a cron expression (${(error as Error).message})`;
  }
}

/** What is wrong with a time zone name; null when the platform knows it. */
export function timeZoneProblem(timeZone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return null;
  } catch {
    return `unknown time zone "${timeZone}": use an IANA name such as "Europe/Paris" or "UTC"`;
  }
}

/** The exporter's own time zone: the one a job without a time zone is scheduled in. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export interface TaskSettings {
  timezone?: string | undefined;
  name?: string;
  logger?: CronLogger;
}

/** A node-cron task that is not started. The caller must destroy() it (node-cron keeps a registry). */
export function createCronTask(expression: string, fn: TaskFn, settings: TaskSettings = {}): ScheduledTask {
  return cron.createTask(expression.trim(), fn, {
    ...(settings.timezone === undefined ? {} : { timezone: settings.timezone }),
    ...(settings.name === undefined ? {} : { name: settings.name }),
    ...(settings.logger === undefined ? {} : { logger: settings.logger }),
    missedExecutionTolerance: MISSED_TOLERANCE_MS,
    // The HTTP server keeps the exporter alive; a schedule alone must not (tests, CLI).
    unref: true,
  });
}

/**
 * The next `count` run times of a valid expression from now; fewer (or none) when node-cron
 * finds no match within its horizon of about a hundred years.
 */
export function nextRunsOf(task: ScheduledTask, count: number): Date[] {
  const wanted = Math.min(Math.max(count, 0), MAX_PREVIEW_RUNS);
  try {
    return task.getNextRuns(wanted);
  } catch {
    // "Could not find next matching date": fewer runs than asked; find how many there are.
    const runs: Date[] = [];
    for (let n = 1; n < wanted; n += 1) {
      try {
        runs.splice(0, runs.length, ...task.getNextRuns(n));
      } catch {
        break;
      }
    }
    return runs;
  }
}

/** Next runs of an expression that passed scheduleProblem() and timeZoneProblem(). */
export function nextRuns(expression: string, timezone: string | undefined, count: number): Date[] {
  const task = createCronTask(expression, () => undefined, { timezone });
  try {
    return nextRunsOf(task, count);
  } finally {
    void task.destroy();
  }
}

/** Why a valid expression can still not be a schedule: it never runs. Null when it does. */
export function neverRunsProblem(expression: string, timezone: string | undefined): string | null {
  return nextRuns(expression, timezone, 1).length === 0
    ? 'the schedule matches no date in the next hundred years'
    : null;
}
