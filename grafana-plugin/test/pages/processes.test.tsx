/** Processes: each state, the kill flow with its confirmation and second factor, renice refusals. */
import { screen, waitFor, within } from '@testing-library/react';
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
    kernelThread: false,
    ...extra,
  };
}

function page(items: unknown[]) {
  return { total: items.length, offset: 0, limit: null, items, cpuWindowSeconds: 1.5, exporterPid: null };
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
    // Busiest first: 42 (4.2 %) above 7 (0.7 %), sorted here rather than by the exporter.
    const order = screen.getAllByTestId(/^process-\d+$/).map((r) => r.getAttribute('data-testid'));
    expect(order).toEqual(['process-42', 'process-7']);
    const call = backend.callsTo('GET', PATH)[0]!;
    expect(call.query.get('tree')).toBe('false');
  });

  it('shows a long list from its first page, sorted and limited by the exporter, then whole', async () => {
    const backend = setup();
    const all = Array.from({ length: 250 }, (_, i) => proc(i + 2, `w${i + 2}`));
    const busiest = [...all].sort((a, b) => b.cpuPercent - a.cpuPercent);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    backend.on('GET', PATH, async (call) => {
      if (call.query.get('limit') === null) {
        await gate;
        return { body: page(all) };
      }
      const limit = Number(call.query.get('limit'));
      return { body: { ...page(busiest.slice(0, limit)), total: all.length, limit } };
    });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    // The busiest process is on screen, the count is the whole table's, before the rest came.
    expect(await screen.findByTestId('process-251')).toBeInTheDocument();
    expect(screen.getByTestId('process-count')).toHaveTextContent('250 processes');
    expect(screen.getByRole('table', { name: 'Processes' })).toHaveAttribute('aria-rowcount', '101');
    const first = backend.callsTo('GET', PATH)[0]!;
    expect(Object.fromEntries(first.query)).toMatchObject({
      sort: 'cpuPercent',
      order: 'desc',
      limit: '100',
    });
    await waitFor(() => expect(backend.callsTo('GET', PATH)).toHaveLength(2));
    release();
    await waitFor(() =>
      expect(screen.getByRole('table', { name: 'Processes' })).toHaveAttribute('aria-rowcount', '251'),
    );
    expect(backend.callsTo('GET', PATH)[1]!.query.get('limit')).toBeNull();
    // A refresh of what is on screen replaces it whole: no first page again.
    await userEvent.click(screen.getByRole('button', { name: 'Refresh now' }));
    await waitFor(() => expect(backend.callsTo('GET', PATH)).toHaveLength(3));
    expect(backend.callsTo('GET', PATH)[2]!.query.get('limit')).toBeNull();
    expect(screen.getByTestId('process-251')).toBeInTheDocument();
  });

  it('asks once when the first page is all there is', async () => {
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await screen.findByTestId('process-42');
    expect(backend.callsTo('GET', PATH)).toHaveLength(1);
    expect(backend.callsTo('GET', PATH)[0]!.query.get('limit')).toBe('100');
  });

  it('says "1 process", not "1 processes"', async () => {
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    expect(await screen.findByTestId('process-count')).toHaveTextContent(/^1 process ·/);
  });

  it('sorts a new column in its natural direction: names A→Z, memory largest first, then flips', async () => {
    const backend = setup();
    backend.on('GET', PATH, {
      body: page([proc(5, 'bravo'), proc(9, 'alpha'), proc(3, 'charlie')]),
    });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await screen.findByTestId('process-5');
    const order = () =>
      screen.getAllByTestId(/^process-\d+$/).map((r) => r.textContent?.match(/alpha|bravo|charlie/)?.[0]);
    await userEvent.click(screen.getByRole('button', { name: 'Name' }));
    expect(order()).toEqual(['alpha', 'bravo', 'charlie']);
    await userEvent.click(screen.getByRole('button', { name: /Memory/ }));
    expect(order()).toEqual(['alpha', 'bravo', 'charlie']); // rss: 9, 5, 3 MiB
    await userEvent.click(screen.getByRole('button', { name: /Memory/ }));
    expect(order()).toEqual(['charlie', 'bravo', 'alpha']);
  });

  it('switches to the tree and back without failing, the children under their parent', async () => {
    const backend = setup();
    backend.on('GET', PATH, (call) =>
      call.query.get('tree') === 'true'
        ? {
            body: {
              total: 1,
              processes: 2,
              offset: 0,
              limit: null,
              cpuWindowSeconds: 1,
              exporterPid: null,
              items: [{ ...proc(10, 'parent'), children: [{ ...proc(11, 'child'), children: [] }] }],
            },
          }
        : { body: page([proc(10, 'parent'), proc(11, 'child')]) },
    );
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await screen.findByTestId('process-11');
    await userEvent.click(screen.getByLabelText('Tree'));
    expect(await screen.findByText('└')).toBeInTheDocument();
    expect(screen.getByTestId('process-count')).toHaveTextContent('2 processes');
    await userEvent.click(screen.getByLabelText('Tree'));
    await waitFor(() => expect(screen.queryByText('└')).not.toBeInTheDocument());
    expect(screen.getByTestId('process-11')).toBeInTheDocument();
  });

  it.each(['4242.77', 'a-b', '/usr/bin', 'x[1', 'zoë→ü'])(
    'sends the search %s to the exporter exactly as typed (no regex escaping)',
    async (text) => {
      const backend = setup();
      backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
      renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
      await screen.findByTestId('process-42');
      // user-event reads "[" and "{" as key descriptors: doubled, they are typed as themselves.
      await userEvent.type(screen.getByTestId('process-search'), text.replace(/[[{]/g, '$&$&'));
      await waitFor(() => expect(backend.calls.some((c) => c.query.get('search') === text)).toBe(true));
      expect(backend.calls.filter((c) => (c.query.get('search') ?? '').includes('\\'))).toEqual([]);
    },
  );

  it('offers no signal or renice for PID 1, the exporter itself, kernel threads — or to a viewer', async () => {
    const backend = setup();
    backend.on('GET', PATH, {
      body: {
        ...page([
          proc(1, 'systemd'),
          proc(77, 'node'),
          proc(2, 'kthreadd', { kernelThread: true }),
          proc(500, 'sleep'),
        ]),
        exporterPid: 77,
      },
    });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await screen.findByTestId('process-500');
    for (const pid of [1, 77, 2]) {
      expect(
        within(screen.getByTestId(`process-${pid}`)).queryByRole('button', { name: /^Signal/ }),
      ).toBeNull();
      expect(
        within(screen.getByTestId(`process-${pid}`)).getByRole('button', { name: /^Details/ }),
      ).toBeInTheDocument();
    }
    expect(
      within(screen.getByTestId('process-500')).getByRole('button', { name: /^Signal sleep/ }),
    ).toBeInTheDocument();
  });

  it('offers a viewer the details of a process, and no signal or renice', async () => {
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(500, 'sleep')]) });
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local', route: 'viewer' });
    const row = await screen.findByTestId('process-500');
    expect(within(row).queryByRole('button', { name: /^(Signal|Renice)/ })).toBeNull();
    expect(within(row).getByRole('button', { name: /^Details/ })).toBeInTheDocument();
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

  it('keeps the prompt open after a wrong code, with the reason, and acts on the right one', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('GET', PATH, { body: page([proc(42, 'sleep')]) });
    backend.on('POST', `${PATH}/42/signal`, (call) =>
      call.headers['X-Hyperion-OTP'] === '246802'
        ? { body: { pid: 42, signal: 'TERM' } }
        : call.headers['X-Hyperion-OTP']
          ? problem('otp-invalid', 403, 'the one-time code is wrong or expired', { reason: 'wrong' })
          : problem('otp-required', 403, 'needs a code'),
    );
    renderPage(<ProcessesPage />, { backend, at: 'processes?host=local' });
    await user.click(
      within(await screen.findByTestId('process-42')).getByRole('button', { name: /signal/i }),
    );
    await user.click(await screen.findByRole('button', { name: 'Send TERM' }));
    let prompt = await screen.findByTestId('otp-prompt');
    await user.type(within(prompt).getByPlaceholderText('123456'), '111111');
    await user.click(within(prompt).getByRole('button', { name: 'Confirm' }));
    const hint = await screen.findByTestId('otp-hint');
    expect(hint).toHaveTextContent('That code was not accepted');
    expect(hint).toHaveTextContent('Nothing was changed');
    prompt = screen.getByTestId('otp-prompt');
    // A fresh, empty field for the next code.
    expect(within(prompt).getByPlaceholderText('123456')).toHaveValue('');
    await user.type(within(prompt).getByPlaceholderText('123456'), '246802');
    await user.click(within(prompt).getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(screen.queryByTestId('otp-prompt')).not.toBeInTheDocument());
    expect(screen.queryByTestId('action-error')).not.toBeInTheDocument();
    expect(backend.callsTo('POST', `${PATH}/42/signal`).map((c) => c.headers['X-Hyperion-OTP'])).toEqual([
      undefined,
      '111111',
      '246802',
    ]);
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
