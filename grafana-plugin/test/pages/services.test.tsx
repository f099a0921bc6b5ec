/** Services: states, filters, an action confirmed and read back, the logs drawer. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { ServicesPage } from '../../src/pages/Services/ServicesPage';
import { ENROLLED, fakeBackend, problem } from '../support/fakeBackend';
import { CONFIRM_BUTTON, renderPage } from '../support/render';

const PATH = '/hosts/local/services';

function service(name: string, activeState: string, subState: string, enabledState = 'enabled') {
  return {
    name,
    backend: 'systemd',
    description: `${name} daemon`,
    loadState: 'loaded',
    activeState,
    subState,
    enabledState,
    mainPid: activeState === 'active' ? 321 : null,
    memoryBytes: 1048576,
    cpuSeconds: 1,
  };
}

function setup() {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', { body: ENROLLED });
  backend.on('GET', '/hosts', { body: { items: [{ name: 'local', kind: 'local' }] } });
  return backend;
}

/**
 * The page at `at`, the exporter listing `items` (systemd), once every service's row is shown.
 * The backend takes further handlers for what the test does next.
 */
async function showServices(items: ReturnType<typeof service>[], at = 'services?host=local') {
  const user = userEvent.setup();
  const backend = setup();
  backend.on('GET', PATH, {
    body: { backend: 'systemd', total: items.length, offset: 0, limit: null, items },
  });
  renderPage(<ServicesPage />, { backend, at });
  for (const s of items) await screen.findByTestId(`service-${s.name}`);
  return { user, backend };
}

describe('Services page', () => {
  it('lists services with their state and passes the filters to the exporter', async () => {
    const { backend } = await showServices(
      [service('cron.service', 'active', 'running'), service('bad.service', 'failed', 'failed')],
      'services?host=local&state=failed',
    );
    expect(screen.getByTestId('service-cron.service')).toHaveTextContent('active (running)');
    expect(screen.getByTestId('service-bad.service')).toHaveTextContent('failed');
    expect(backend.callsTo('GET', PATH)[0]!.query.get('state')).toBe('failed');
  });

  it.each(['web.v2', 'web-1', '/srv/app', 'x[1]', 'ünïcode'])(
    'sends the search %s as typed: the exporter matches name and description',
    async (text) => {
      const { user, backend } = await showServices([service('cron.service', 'active', 'running')]);
      await user.type(
        screen.getByPlaceholderText('Search name or description'),
        text.replace(/[[{]/g, '$&$&'),
      );
      await waitFor(() => expect(backend.calls.some((c) => c.query.get('search') === text)).toBe(true));
    },
  );

  it('shows an empty state and an error state', async () => {
    const backend = setup();
    backend.on('GET', PATH, { body: { backend: 'sysv', total: 0, offset: 0, limit: null, items: [] } });
    const { unmount } = renderPage(<ServicesPage />, { backend, at: 'services?host=local&search=zzz' });
    expect(await screen.findByTestId('state-empty')).toHaveTextContent('No service matches');
    unmount();
    const failing = setup();
    failing.on(
      'GET',
      PATH,
      problem('unsupported', 501, 'host local runs no service manager Hyperion knows (systemd, sysv)'),
    );
    renderPage(<ServicesPage />, { backend: failing, at: 'services?host=local' });
    expect(await screen.findByTestId('state-error')).toHaveTextContent(
      'runs no service manager Hyperion knows',
    );
  });

  it('stops a service after confirmation and shows the state read back from the service manager', async () => {
    const { user, backend } = await showServices([service('web.service', 'active', 'running')]);
    backend.on('POST', `${PATH}/web.service/stop`, (call) =>
      call.headers['X-Hyperion-OTP'] === '112233'
        ? {
            body: {
              name: 'web.service',
              action: 'stop',
              output: '',
              previous: service('web.service', 'active', 'running'),
              service: service('web.service', 'inactive', 'dead'),
            },
          }
        : problem('otp-required', 403, 'needs a code'),
    );
    const row = screen.getByTestId('service-web.service');
    await user.click(within(row).getByRole('button', { name: 'Stop web.service' }));
    expect(await screen.findByTestId('confirm-body')).toHaveTextContent('stops the service');
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    const prompt = await screen.findByTestId('otp-prompt');
    await user.type(within(prompt).getByPlaceholderText('123456'), '112233');
    await user.click(within(prompt).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByTestId('action-success')).toHaveTextContent(
      'web.service is now inactive (dead)',
    );
  });

  it('opens the logs drawer with the latest lines', async () => {
    const { user, backend } = await showServices([service('web.service', 'active', 'running')]);
    backend.on('GET', `${PATH}/web.service`, {
      body: {
        ...service('web.service', 'active', 'running'),
        path: '/lib/systemd/system/web.service',
        activeSince: 'Mon 2024-01-01',
        properties: {},
        logs: {
          available: true,
          source: 'journal',
          lines: [{ time: null, priority: 6, pid: 1, identifier: 'web', message: 'listening on :80' }],
        },
      },
    });
    await user.click(screen.getByRole('button', { name: 'web.service' }));
    expect(await screen.findByTestId('service-logs')).toHaveTextContent('listening on :80');
    expect(backend.callsTo('GET', `${PATH}/web.service`)[0]!.query.get('lines')).toBe('200');
  });

  it('never lets a unit from the address walk to another route ("..")', async () => {
    const backend = setup();
    const items = [service('web.service', 'active', 'running')];
    backend.on('GET', PATH, { body: { backend: 'systemd', total: 1, offset: 0, limit: null, items } });
    renderPage(<ServicesPage />, {
      backend,
      at: `services?host=local&unit=${encodeURIComponent('../../../auth/tokens')}`,
    });
    expect(await screen.findByText(/is not a name the exporter could have/)).toBeInTheDocument();
    // Nothing but the page's own requests reached the exporter.
    const asked = backend.calls.map((c) => c.path);
    expect(asked).toContain(PATH);
    expect(asked.filter((p) => !['/auth/whoami', '/hosts', PATH].includes(p))).toEqual([]);
  });

  it('opens the unit named in the address (an alert links there), and closing it leaves the list', async () => {
    const backend = setup();
    const items = [service('web.service', 'failed', 'failed')];
    backend.on('GET', PATH, { body: { backend: 'systemd', total: 1, offset: 0, limit: null, items } });
    backend.on('GET', `${PATH}/web.service`, {
      body: {
        ...service('web.service', 'failed', 'failed'),
        path: '/lib/systemd/system/web.service',
        activeSince: null,
        properties: {},
        logs: {
          available: true,
          source: 'journal',
          lines: [{ time: null, priority: 3, pid: 1, identifier: 'web', message: 'bind: address in use' }],
        },
      },
    });
    renderPage(<ServicesPage />, { backend, at: 'services?host=local&unit=web.service' });
    expect(await screen.findByTestId('service-logs')).toHaveTextContent('bind: address in use');
    await userEvent.click(screen.getByRole('button', { name: /close/i }));
    await waitFor(() => expect(screen.queryByTestId('service-logs')).not.toBeInTheDocument());
    expect(screen.getByTestId('service-web.service')).toBeInTheDocument();
  });
});
