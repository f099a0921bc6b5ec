/**
 * Recurring jobs: the list with last result and next run; create/edit (admins) with a cron
 * field that previews its next runs; run now; history with output; and, read-only, what the
 * selected host schedules by itself.
 */
import { Badge, Button } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { JobList, JobSpec, JobView, RunStarted } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { ActionTable, type Question } from '../../components/ActionTable';
import { HostPicker } from '../../components/HostPicker';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import type { Column, RowAction } from '../../components/VirtualTable';
import { useAction } from '../../hooks/useAction';
import { useHost } from '../../hooks/useHost';
import { useResource } from '../../hooks/useResource';
import { formatRelative } from '../../utils/format';
import { HostSchedules } from './HostSchedules';
import { JobEditor } from './JobEditor';
import { JobHistory, runOutcome } from './JobHistory';
import { commandText, emptyForm, formOf, type JobForm } from './jobForm';
import { resultColor } from './jobState';

export function JobsPage() {
  const api = useApi();
  const [host, setHost] = useHost();
  const [interval, setInterval] = useState('10s');
  const [editor, setEditor] = useState<{ form: JobForm; editing: boolean } | null>(null);
  const [history, setHistory] = useState<string | null>(null);
  const action = useAction();
  const isAdmin = api.route === 'admin';
  const canRun = api.route === 'admin' || api.route === 'operator';

  const jobs = useResource(
    (signal) => api.get<JobList>('/jobs', undefined, signal),
    [api],
    intervalMs(interval),
  );

  const save = async (spec: JobSpec, editing: boolean) => {
    const { name, ...rest } = spec;
    const done = await action.run(
      () =>
        editing
          ? api.send<JobView>('PUT', apiPath('jobs', name), rest, `Change job ${name}`)
          : api.send<JobView>('POST', '/jobs', spec, `Create job ${name}`),
      (job) =>
        `${editing ? 'Saved' : 'Created'} job ${job.name}; next run ${formatRelative(job.nextRuns[0])}.`,
    );
    if (done) setEditor(null);
    jobs.reload();
  };
  const runNow = async (job: JobView) => {
    await action.run(
      () =>
        api.send<RunStarted>('POST', apiPath('jobs', job.name, 'run'), undefined, `Run job ${job.name} now`),
      (r) => `Started run #${r.id} of ${r.job}.`,
    );
    jobs.reload();
  };
  const toggle = async (job: JobView) => {
    const verb = job.enabled ? 'disable' : 'enable';
    await action.run(
      () =>
        api.send<JobView>(
          'POST',
          apiPath('jobs', job.name, verb),
          undefined,
          `${job.enabled ? 'Disable' : 'Enable'} job ${job.name}`,
        ),
      (j) => `${j.name} is ${j.enabled ? 'enabled' : 'disabled'}.`,
    );
    jobs.reload();
  };
  const deletion = (job: JobView): Question => ({
    title: `Delete job ${job.name}?`,
    body: <p>Its schedule, history and metrics go too; a run in progress is killed.</p>,
    confirmText: 'Delete job',
    run: async () => {
      await action.run(
        () => api.send('DELETE', apiPath('jobs', job.name), undefined, `Delete job ${job.name}`),
        () => `Deleted job ${job.name} and its history.`,
      );
      jobs.reload();
    },
  });

  const columns: Array<Column<JobView>> = [
    {
      key: 'name',
      header: 'Job',
      width: 'minmax(120px, 1fr)',
      render: (j) => (
        <span title={j.description ?? undefined}>
          {j.name} {!j.enabled && <Badge color="darkgrey" text="disabled" />}
        </span>
      ),
    },
    { key: 'host', header: 'Host', width: '100px', minWidth: 640, render: (j) => j.host },
    {
      key: 'schedule',
      header: 'Schedule',
      width: '140px',
      minWidth: 520,
      render: (j) => <code title={j.effectiveTimezone}>{j.schedule}</code>,
    },
    {
      key: 'command',
      header: 'Command',
      width: 'minmax(140px, 2fr)',
      minWidth: 900,
      render: (j) => <code>{commandText(j)}</code>,
    },
    {
      key: 'last',
      header: 'Last run',
      width: '170px',
      render: (j) =>
        j.running.length > 0 ? (
          <Badge color="blue" text="running" />
        ) : j.lastRun ? (
          <span title={runOutcome(j.lastRun)}>
            <Badge color={resultColor(j.lastRun.result)} text={j.lastRun.result} />{' '}
            {formatRelative(j.lastRun.endedAt)}
          </span>
        ) : (
          'never'
        ),
    },
    {
      key: 'next',
      header: 'Next run',
      width: '120px',
      minWidth: 760,
      render: (j) =>
        j.scheduleError ? <span title={j.scheduleError}>schedule error</span> : formatRelative(j.nextRuns[0]),
    },
  ];

  const actions = (j: JobView, ask: (question: Question) => void): RowAction[] => [
    ...(canRun
      ? [{ key: 'run', label: `Run ${j.name} now`, icon: 'play' as const, onClick: () => runNow(j) }]
      : []),
    { key: 'history', label: `History of ${j.name}`, icon: 'history', onClick: () => setHistory(j.name) },
    ...(isAdmin
      ? [
          {
            key: 'toggle',
            label: `${j.enabled ? 'Disable' : 'Enable'} ${j.name}`,
            icon: j.enabled ? ('pause' as const) : ('check' as const),
            onClick: () => toggle(j),
          },
          {
            key: 'edit',
            label: `Edit ${j.name}`,
            icon: 'pen' as const,
            onClick: () => setEditor({ form: formOf(j), editing: true }),
          },
          {
            key: 'delete',
            label: `Delete ${j.name}`,
            icon: 'trash-alt' as const,
            destructive: true,
            onClick: () => ask(deletion(j)),
          },
        ]
      : []),
  ];

  return (
    <Page
      id="jobs"
      toolbar={
        <>
          <HostPicker value={host} onChange={setHost} />
          {isAdmin && (
            <Button icon="plus" onClick={() => setEditor({ form: emptyForm(host), editing: false })}>
              New job
            </Button>
          )}
          <RefreshControl
            interval={interval}
            onIntervalChange={setInterval}
            onRefresh={jobs.reload}
            refreshing={jobs.refreshing}
          />
        </>
      }
    >
      <ActionMessage action={action} />
      <ResourceView
        resource={jobs}
        isEmpty={(l) => l.items.length === 0}
        emptyMessage={
          isAdmin ? 'No jobs yet: create one with “New job”.' : 'No jobs yet; an admin defines them.'
        }
      >
        {(l) => (
          <ActionTable
            label="Jobs"
            rows={l.items}
            columns={columns}
            actions={actions}
            actionSlots={isAdmin ? 5 : 2}
            testIdPrefix="job"
          />
        )}
      </ResourceView>
      <section>
        <h3>Scheduled by {host} itself</h3>
        <HostSchedules host={host} />
      </section>
      {editor && (
        <JobEditor
          initial={editor.form}
          editing={editor.editing}
          onSave={(spec) => save(spec, editor.editing)}
          onDismiss={() => setEditor(null)}
        />
      )}
      {history && <JobHistory job={history} onClose={() => setHistory(null)} />}
    </Page>
  );
}
