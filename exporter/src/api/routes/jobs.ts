/**
 * Recurring jobs: definitions (admin), run now (operator), history and next runs (viewer), a
 * cron expression preview for editors, and what a host already schedules on its own.
 * Job names are global (they are the `job` label of the metrics); each job names its host.
 */
import { z } from 'zod';
import { MAX_PREVIEW_RUNS, localTimeZone, nextRuns } from '../../managers/jobs/cron.js';
import {
  jobCreateSchema,
  jobName,
  jobSpecSchema,
  mustRun,
  scheduleSchema,
  timeZoneSchema,
} from '../../managers/jobs/definition.js';
import { readHostSchedules } from '../../managers/jobs/host-schedules.js';
import { hasRole } from '../../security/roles.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { hostName, paging, queryInt } from '../schemas.js';

const nameParams = z.object({ name: jobName }).strict();
const runParams = z
  .object({
    name: jobName,
    run: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, 'a run id is a positive whole number')
      .transform(Number)
      .describe('Run id, as the history lists it'),
  })
  .strict();

const previewQuery = z
  .object({
    schedule: scheduleSchema,
    timezone: timeZoneSchema.optional(),
    count: queryInt(1, MAX_PREVIEW_RUNS).default(5).describe('How many run times'),
  })
  .strict()
  .superRefine(mustRun);

export function jobRoutes(deps: ApiDeps): Route[] {
  const jobs = deps.jobs;
  return [
    defineRoute({
      method: 'get',
      path: '/jobs',
      summary: 'Recurring jobs with their next run, runs in progress and last result',
      tag: 'jobs',
      role: 'viewer',
      async handler({ actor }) {
        const items = jobs.list(hasRole(actor.role, 'admin'));
        return { body: { total: items.length, items } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/jobs',
      summary:
        'Define a job: cron schedule (seconds, time zone), host, argv or shell script, timeout, overlap',
      tag: 'jobs',
      role: 'admin',
      action: 'job.create',
      body: jobCreateSchema,
      authorize: ({ body, setAuditTarget }) => {
        setAuditTarget(body.name);
        jobs.checkCreate(body);
      },
      async handler({ body, actor }) {
        return { status: 201, body: jobs.create(body, actor.name) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/{name}',
      summary: 'One job with its next five runs (environment values for admins only)',
      tag: 'jobs',
      role: 'viewer',
      params: nameParams,
      async handler({ params, actor }) {
        return { body: jobs.get(params.name, hasRole(actor.role, 'admin')) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/jobs/{name}',
      summary: 'Replace a job’s definition (runs in progress finish as they started)',
      tag: 'jobs',
      role: 'admin',
      action: 'job.update',
      params: nameParams,
      body: jobSpecSchema,
      authorize: ({ params }) => void jobs.get(params.name, false),
      async handler({ params, body, actor }) {
        return { body: jobs.update(params.name, body, actor.name) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/jobs/{name}',
      summary: 'Delete a job, its history and its metrics; runs in progress are killed',
      tag: 'jobs',
      role: 'admin',
      action: 'job.delete',
      params: nameParams,
      authorize: ({ params }) => void jobs.get(params.name, false),
      async handler({ params }) {
        return { body: jobs.remove(params.name) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/jobs/{name}/enable',
      summary: 'Schedule a job again',
      tag: 'jobs',
      role: 'admin',
      action: 'job.enable',
      params: nameParams,
      authorize: ({ params }) => void jobs.get(params.name, false),
      async handler({ params, actor }) {
        return { body: jobs.setEnabled(params.name, true, actor.name) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/jobs/{name}/disable',
      summary: 'Stop scheduling a job (runs in progress finish; run-now still works)',
      tag: 'jobs',
      role: 'admin',
      action: 'job.disable',
      params: nameParams,
      authorize: ({ params }) => void jobs.get(params.name, false),
      async handler({ params, actor }) {
        return { body: jobs.setEnabled(params.name, false, actor.name) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/jobs/{name}/run',
      summary: 'Start a run now (202 with its id; 409 when its overlap policy skips it)',
      tag: 'jobs',
      role: 'operator',
      action: 'job.run',
      params: nameParams,
      authorize: ({ params }) => void jobs.get(params.name, false),
      async handler({ params, actor }) {
        return { status: 202, body: jobs.runNow(params.name, actor.name) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/{name}/runs',
      summary: 'A job’s run history, newest first, without output',
      tag: 'jobs',
      role: 'viewer',
      params: nameParams,
      query: z.object(paging).strict(),
      async handler({ params, query }) {
        return { body: jobs.runs(params.name, query.offset, query.limit) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/{name}/runs/{run}',
      summary: 'One run: exit code or signal, timeout, and the last 64 KiB of stdout and stderr',
      tag: 'jobs',
      // Output often echoes what a job knows (tokens, connection strings): operators and admins only.
      role: 'operator',
      params: runParams,
      async handler({ params }) {
        return { body: jobs.run(params.name, params.run) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/cron/next-runs',
      summary: 'Check a cron expression and preview its next run times (400 says what is wrong)',
      tag: 'jobs',
      role: 'viewer',
      query: previewQuery,
      async handler({ query }) {
        return {
          body: {
            schedule: query.schedule,
            timezone: query.timezone ?? localTimeZone(),
            nextRuns: nextRuns(query.schedule, query.timezone, query.count).map((d) => d.toISOString()),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/schedules',
      summary: 'What the host schedules itself: /etc/crontab, /etc/cron.d, user crontabs, systemd timers',
      tag: 'jobs',
      role: 'viewer',
      params: z.object({ host: hostName }).strict(),
      async handler({ host }) {
        return { body: await readHostSchedules(host) };
      },
    }),
  ];
}
