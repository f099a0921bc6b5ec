/** Jobs: the list, the cron preview while typing, creating a job, running it now, history. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { JobsPage } from '../../src/pages/Jobs/JobsPage';
import { emptyForm, formProblem, specOf } from '../../src/pages/Jobs/jobForm';
import { ENROLLED, fakeBackend, problem } from '../support/fakeBackend';
import { CONFIRM_BUTTON, renderPage } from '../support/render';

const JOB = {
  name: 'cleanup',
  description: null,
  schedule: '*/5 * * * *',
  timezone: null,
  effectiveTimezone: 'UTC',
  host: 'local',
  command: { argv: ['/usr/bin/find', '/tmp', '-delete'] },
  timeoutSeconds: 60,
  overlap: 'skip',
  enabled: true,
  createdAt: '',
  createdBy: 'x',
  updatedAt: '',
  updatedBy: 'x',
  scheduleError: null,
  nextRuns: [new Date(Date.now() + 120_000).toISOString()],
  running: [],
  lastRun: {
    id: 3,
    job: 'cleanup',
    host: 'local',
    trigger: 'schedule',
    actor: null,
    scheduledFor: null,
    startedAt: '2024-01-01T00:00:00Z',
    endedAt: new Date(Date.now() - 60_000).toISOString(),
    durationSeconds: 1,
    result: 'failure',
    exitCode: 2,
    signal: null,
    timedOut: false,
    error: null,
    outputTruncated: false,
    lastSuccessAt: null,
  },
  lastSuccessAt: null,
};

function setup(items: unknown[] = [JOB]) {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', { body: { ...ENROLLED, role: 'admin' } });
  backend.on('GET', '/hosts', { body: { items: [{ name: 'local', kind: 'local' }] } });
  backend.on('GET', '/jobs', { body: { total: items.length, items } });
  backend.on('GET', '/hosts/local/schedules', {
    body: {
      host: 'local',
      crontabs: [],
      systemdTimers: { available: false, reason: 'no systemd', timers: [] },
    },
  });
  return backend;
}

describe('Jobs page', () => {
  it('lists jobs with their last result and next run', async () => {
    renderPage(<JobsPage />, { backend: setup(), at: 'jobs?host=local', route: 'admin' });
    const row = await screen.findByTestId('job-cleanup');
    expect(row).toHaveTextContent('failure');
    expect(row).toHaveTextContent(/in [12] minutes?/);
  });

  it('has an empty state that tells an admin how to start', async () => {
    renderPage(<JobsPage />, { backend: setup([]), at: 'jobs?host=local', route: 'admin' });
    expect(await screen.findByTestId('state-empty')).toHaveTextContent('New job');
  });

  it('previews a schedule with the exporter, shows its objection, and creates the job', async () => {
    const user = userEvent.setup();
    const backend = setup([]);
    backend.on('GET', '/cron/next-runs', (call) =>
      call.query.get('schedule') === '0 3 * * *'
        ? {
            body: {
              schedule: '0 3 * * *',
              timezone: 'UTC',
              nextRuns: ['2030-01-01T03:00:00.000Z', '2030-01-02T03:00:00.000Z'],
            },
          }
        : problem('validation', 400, 'query/schedule: "61" is not a valid minute'),
    );
    backend.on('POST', '/jobs', (call) => ({
      status: 201,
      body: { ...JOB, ...(call.body as object), nextRuns: [] },
    }));
    renderPage(<JobsPage />, { backend, at: 'jobs?host=local', route: 'admin' });
    await user.click(await screen.findByRole('button', { name: 'New job' }));
    const editor = await screen.findByTestId('job-editor');
    await user.type(within(editor).getByRole('textbox', { name: 'Name' }), 'nightly');
    const schedule = within(editor).getByRole('textbox', { name: /^Schedule/ });
    await user.clear(schedule);
    await user.type(schedule, '61 * * * *');
    expect(await screen.findByText(/is not a valid minute/)).toBeInTheDocument();
    await user.clear(schedule);
    await user.type(schedule, '0 3 * * *');
    await waitFor(() => expect(screen.getByTestId('cron-preview')).toHaveTextContent('Next runs (UTC)'));
    expect(screen.getByTestId('cron-preview').querySelectorAll('li')).toHaveLength(2);
    await user.type(within(editor).getByRole('textbox', { name: /^Arguments/ }), '/bin/echo{Enter}hello');
    await user.click(within(editor).getByRole('button', { name: 'Create job' }));
    await waitFor(() => expect(backend.callsTo('POST', '/jobs')).toHaveLength(1));
    expect(backend.callsTo('POST', '/jobs')[0]!.body).toEqual({
      name: 'nightly',
      host: 'local',
      schedule: '0 3 * * *',
      command: { argv: ['/bin/echo', 'hello'] },
      timeoutSeconds: 3600,
      overlap: 'skip',
      enabled: true,
    });
    expect(await screen.findByTestId('action-success')).toHaveTextContent('Created job nightly');
  });

  it('runs a job now and opens its history with output', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('POST', '/jobs/cleanup/run', {
      status: 202,
      body: { job: 'cleanup', id: 4, startedAt: '', state: 'running' },
    });
    backend.on('GET', '/jobs/cleanup/runs', { body: { total: 1, items: [JOB.lastRun] } });
    backend.on('GET', '/jobs/cleanup/runs/3', {
      body: { ...JOB.lastRun, state: 'finished', stdout: 'removed 3 files', stderr: '' },
    });
    renderPage(<JobsPage />, { backend, at: 'jobs?host=local', route: 'admin' });
    const row = await screen.findByTestId('job-cleanup');
    await user.click(within(row).getByRole('button', { name: /^Run .* now$/ }));
    expect(await screen.findByTestId('action-success')).toHaveTextContent('Started run #4 of cleanup');
    await user.click(within(row).getByRole('button', { name: /history/i }));
    await user.click(within(await screen.findByTestId('run-3')).getByRole('button'));
    expect(await screen.findByTestId('run-output')).toHaveTextContent('removed 3 files');
  });

  it('deletes a job only after a confirmation naming it', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('DELETE', '/jobs/cleanup', { body: { name: 'cleanup', deleted: true, runsKilled: 0 } });
    renderPage(<JobsPage />, { backend, at: 'jobs?host=local', route: 'admin' });
    const row = await screen.findByTestId('job-cleanup');
    await user.click(within(row).getByRole('button', { name: /^Delete / }));
    expect(screen.getByText('Delete job cleanup?')).toBeInTheDocument();
    expect(screen.getByTestId('confirm-body')).toHaveTextContent('a run in progress is killed');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('confirm-body')).not.toBeInTheDocument();
    expect(backend.callsTo('DELETE', '/jobs/cleanup')).toHaveLength(0);
    await user.click(within(row).getByRole('button', { name: /^Delete / }));
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    expect(await screen.findByTestId('action-success')).toHaveTextContent(
      'Deleted job cleanup and its history',
    );
    expect(backend.callsTo('DELETE', '/jobs/cleanup')).toHaveLength(1);
    expect(screen.queryByTestId('confirm-body')).not.toBeInTheDocument();
  });

  it('turns the form into the API’s job definition', () => {
    const form = {
      ...emptyForm('web-1'),
      name: 'x',
      kind: 'shell' as const,
      shell: 'date',
      env: 'A=1\nB=two=2',
    };
    expect(formProblem(form)).toBeUndefined();
    expect(specOf(form).command).toEqual({ shell: 'date', env: { A: '1', B: 'two=2' } });
    expect(formProblem({ ...form, env: 'nope' })).toMatch(/KEY=value/);
    expect(formProblem({ ...form, name: '-bad' })).toMatch(/name/);
  });
});
