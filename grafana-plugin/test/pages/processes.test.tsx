/** Processes: each state, the kill flow with its confirmation and second factor, renice refusals. */
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { ProcessesPage } from '../../src/pages/Processes/ProcessesPage';
import { ENROLLED, fakeBackend, problem } from '../support/fakeBackend';
import { renderPage } from '../support/render';

const PATH = '/hosts/local/processes';

function proc(pid: number, name: string, extra: Record<string, unknown> = {}) {
  return {
    pid,
    ppid: 1,
    uid: 0,
    user: 'root',
    name,
    command: `/usr/bin/${name} --flag`,
    state: 'S',
    cpuPercent: pid / 10,
    rssBytes: 1024 * 1024 * pid,
    vszBytes: 0,
    threads: 1,
    nice: 0,
    priority: 20,
    startTime: '2024-01-01T00:00:00Z',
    ...extra,
  };
}

function page(items: unknown[]) {
  return { total: items.length, offset: 0, limit: null, items, cpuWindowSeconds: 1.5 };
}

function setup() {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', { body: ENROLLED });
  backend.on('GET', '/hosts', { body: { items: [{ name: 'local', kind: 'local' }] } });
  return backend;
}

describe('Processes page', () => {
  it('shows loading, then the processes of the host in the URL sorted by CPU', async () => {
    const backend = setup();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    backend.on('GET', PATH, async () => {
      await gate;
      return { body: page([proc(42, 'sleep'), proc(7, 'sshd')]) };
    });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    expect(await screen.findByTestId('state-loading')).toBeInTheDocument();
    release();
    expect(await screen.findByTestId('process-42')).toHaveTextContent('sleep');
    expect(screen.getByTestId('process-7')).toHaveTextContent('sshd');
    expect(screen.getByTestId('process-count')).toHaveTextContent('2 processes');
    const call = backend.callsTo('GET', PATH)[0]!;
    expect(call.query.get('sort')).toBe('cpuPercent');
    expect(call.query.get('order')).toBe('desc');
    expect(call.query.get('tree')).toBe('false');
  });

  it('shows the exporter’s explanation when the list fails, and recovers on retry', async () => {
    const backend = setup();
    backend.on('GET', PATH, problem('unsupported', 501, 'host web-1 has no /proc'));
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    expect(await screen.findByTestId('state-error')).toHaveTextContent('host web-1 has no /proc');
    backend.on('GET', PATH, { body: page([proc(3, 'init')]) });
    await userEvent.click(screen.getByRole('button', { name: /retry/i }));
    expect(await screen.findByTestId('process-3')).toBeInTheDocument();
  });

  it('says so when no process matches the filter', async () => {
    const backend = setup();
    backend.on('GET', PATH, { body: page([]) });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local&search=nothing' });
    expect(await screen.findByTestId('state-empty')).toHaveTextContent('No process matches');
    expect(backend.callsTo('GET', PATH)[0]!.query.get('search')).toBe('nothing');
  });

  it('renders a tree with children below their parent', async () => {
    const backend = setup();
    const tree = {
      total: 1,
      processes: 2,
      offset: 0,
      limit: null,
      cpuWindowSeconds: 1,
      items: [{ ...proc(10, 'bash'), children: [{ ...proc(11, 'vim', { ppid: 10 }), children: [] }] }],
    };
    backend.on('GET', PATH, (call) =>
      call.query.get('tree') === 'true' ? { body: tree } : { body: page([]) },
    );
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local&tree=true' });
    const child = await screen.findByTestId('process-11');
    const rows = screen.getAllByRole('row').map((r) => r.getAttribute('data-testid'));
    expect(rows.indexOf('process-10')).toBeLessThan(rows.indexOf('process-11'));
    expect(child).toHaveTextContent('└');
  });

  it('kills with the chosen signal after confirmation and a one-time code', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
    backend.on('POST', `${PATH}/42/signal`, (call) =>
      call.headers['X-Hyperion-OTP'] === '246810'
        ? { body: { pid: 42, signal: 'KILL' } }
        : problem('otp-required', 403, 'this action needs a one-time code'),
    );
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    const row = await screen.findByTestId('process-42');
    await user.click(within(row).getByRole('button', { name: /signal/i }));
    const dialog = await screen.findByTestId('signal-dialog');
    await user.click(within(dialog).getByRole('radio', { name: 'KILL' }));
    await user.click(screen.getByRole('button', { name: 'Send KILL' }));
    const prompt = await screen.findByTestId('otp-prompt');
    expect(prompt).toHaveTextContent('Send KILL to sleep (42)');
    await user.type(within(prompt).getByPlaceholderText('123456'), '246810');
    await user.click(within(prompt).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByTestId('action-success')).toHaveTextContent('Sent KILL to sleep (42)');
    const sent = backend.callsTo('POST', `${PATH}/42/signal`);
    expect(sent.map((c) => c.body)).toEqual([{ signal: 'KILL' }, { signal: 'KILL' }]);
    expect(sent[1]!.headers['X-Hyperion-OTP']).toBe('246810');
  });

  it('shows a clear message for a wrong code, and nothing is retried again', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
    backend.on('POST', `${PATH}/42/signal`, (call) =>
      call.headers['X-Hyperion-OTP']
        ? problem('otp-invalid', 403, 'the one-time code is wrong, expired or was already used')
        : problem('otp-required', 403, 'needs a code'),
    );
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await user.click(
      within(await screen.findByTestId('process-42')).getByRole('button', { name: /signal/i }),
    );
    await user.click(await screen.findByRole('button', { name: 'Send TERM' }));
    const prompt = await screen.findByTestId('otp-prompt');
    await user.type(within(prompt).getByPlaceholderText('123456'), '111111');
    await user.click(within(prompt).getByRole('button', { name: 'Confirm' }));
    const error = await screen.findByTestId('action-error');
    expect(error).toHaveTextContent('Wrong one-time code');
    expect(error).toHaveTextContent('Nothing was changed');
    expect(backend.callsTo('POST', `${PATH}/42/signal`)).toHaveLength(2);
  });

  it('asks again, saying why, when the code was already spent on the previous action', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
    backend.on('POST', `${PATH}/42/signal`, (call) =>
      call.headers['X-Hyperion-OTP'] === '135790'
        ? { body: { pid: 42, signal: 'TERM' } }
        : call.headers['X-Hyperion-OTP']
          ? problem('otp-invalid', 403, 'this one-time code was already used', {
              reason: 'replayed',
              retryAfterSeconds: 9,
            })
          : problem('otp-required', 403, 'needs a code'),
    );
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await user.click(
      within(await screen.findByTestId('process-42')).getByRole('button', { name: /signal/i }),
    );
    await user.click(await screen.findByRole('button', { name: 'Send TERM' }));
    const first = await screen.findByTestId('otp-prompt');
    expect(within(first).queryByTestId('otp-hint')).toBeNull();
    await user.type(within(first).getByPlaceholderText('123456'), '246810');
    await user.click(within(first).getByRole('button', { name: 'Confirm' }));
    const hint = await screen.findByTestId('otp-hint');
    expect(hint).toHaveTextContent('already used for an earlier action');
    expect(hint).toHaveTextContent('about 9 s');
    const again = screen.getByTestId('otp-prompt');
    expect(within(again).getByPlaceholderText('123456')).toHaveValue('');
    await user.type(within(again).getByPlaceholderText('123456'), '135790');
    await user.click(within(again).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByTestId('action-success')).toHaveTextContent('Sent TERM to sleep (42)');
    expect(backend.callsTo('POST', `${PATH}/42/signal`)).toHaveLength(3);
  });

  it('explains a role refusal of a negative nice value', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
    backend.on(
      'POST',
      `${PATH}/42/renice`,
      problem(
        'role',
        403,
        'raising a process above normal priority (nice < 0): needs the admin role; alice is operator',
      ),
    );
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await user.click(
      within(await screen.findByTestId('process-42')).getByRole('button', { name: /renice/i }),
    );
    const input = await screen.findByRole('spinbutton');
    await user.clear(input);
    await user.type(input, '-5');
    await user.click(screen.getByRole('button', { name: 'Set nice -5' }));
    const error = await screen.findByTestId('action-error');
    expect(error).toHaveTextContent('Not allowed');
    expect(error).toHaveTextContent('needs the admin role');
    expect(backend.callsTo('POST', `${PATH}/42/renice`)[0]!.body).toEqual({ nice: -5 });
  });
});
