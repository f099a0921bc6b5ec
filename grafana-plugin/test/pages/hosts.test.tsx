/** Hosts: the inventory with key approval (against the shape expected from issue 6), errors. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { HostsPage, hostStatus } from '../../src/pages/Hosts/HostsPage';
import { parseLabels } from '../../src/pages/Hosts/AddHostDialog';
import { ENROLLED, fakeBackend, problem } from '../support/fakeBackend';
import { CONFIRM_BUTTON, renderPage } from '../support/render';

function setup(items: unknown[]) {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', { body: { ...ENROLLED, role: 'admin' } });
  backend.on('GET', '/hosts', { body: { items } });
  return backend;
}

describe('Hosts page', () => {
  it('invites an admin to add SSH hosts when there is only the local one', async () => {
    renderPage(<HostsPage />, {
      backend: setup([{ name: 'local', kind: 'local' }]),
      at: 'hosts',
      route: 'admin',
    });
    expect(await screen.findByTestId('host-local')).toHaveTextContent('this exporter');
    expect(screen.getByText(/Add SSH hosts to watch/)).toBeInTheDocument();
  });

  it('approves the fetched fingerprint of a new host after showing it', async () => {
    const user = userEvent.setup();
    const fingerprint = 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    const backend = setup([
      { name: 'local', kind: 'local' },
      {
        name: 'web-1',
        kind: 'ssh',
        address: '10.0.0.7',
        port: 22,
        user: 'root',
        privilege: 'root',
        auth: { type: 'key', privateKeyFile: '/etc/hyperion/id_ed25519' },
        labels: {},
        approved: false,
        hostKey: null,
        pendingHostKey: { type: 'ssh-ed25519', fingerprint },
        connection: null,
      },
    ]);
    backend.on('POST', '/hosts/web-1/approve', { body: {} });
    renderPage(<HostsPage />, { backend, at: 'hosts?host=web-1', route: 'admin' });
    const row = await screen.findByTestId('host-web-1');
    expect(row).toHaveTextContent('awaiting key approval');
    await user.click(within(row).getByRole('button', { name: /^Approve the key of/ }));
    expect(screen.getByTestId('confirm-body')).toHaveTextContent(fingerprint);
    await user.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(backend.callsTo('POST', '/hosts/web-1/approve')).toHaveLength(1));
    expect(backend.callsTo('POST', '/hosts/web-1/approve')[0]!.body).toEqual({ fingerprint });
  });

  it('rescans and removes a host, each after its own confirmation', async () => {
    const user = userEvent.setup();
    const backend = setup([
      { name: 'local', kind: 'local' },
      {
        name: 'web-1',
        kind: 'ssh',
        address: '10.0.0.7',
        approved: true,
        hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:old' },
        pendingHostKey: null,
        connection: null,
      },
    ]);
    backend.on('POST', '/hosts/web-1/rescan', {
      body: {
        name: 'web-1',
        kind: 'ssh',
        pendingHostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:new' },
      },
    });
    backend.on('DELETE', '/hosts/web-1', { body: { removed: 'web-1' } });
    renderPage(<HostsPage />, { backend, at: 'hosts', route: 'admin' });
    const row = await screen.findByTestId('host-web-1');

    await user.click(within(row).getByRole('button', { name: 'Fetch the key of web-1 again' }));
    expect(screen.getByText('Fetch the host key of web-1 again?')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Fetch key' }));
    expect(await screen.findByTestId('action-success')).toHaveTextContent('web-1 now presents SHA256:new');
    expect(backend.callsTo('POST', '/hosts/web-1/rescan')).toHaveLength(1);
    expect(backend.callsTo('DELETE', '/hosts/web-1')).toHaveLength(0);

    await user.click(within(row).getByRole('button', { name: 'Remove web-1' }));
    expect(screen.getByText('Remove web-1?')).toBeInTheDocument();
    expect(screen.getByTestId('confirm-body')).toHaveTextContent('stops probing and acting on it');
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    expect(await screen.findByTestId('action-success')).toHaveTextContent('Removed web-1.');
    expect(backend.callsTo('DELETE', '/hosts/web-1')).toHaveLength(1);
    expect(screen.queryByTestId('confirm-body')).not.toBeInTheDocument();
  });

  it('warns loudly about a changed host key and shows list failures', async () => {
    const backend = setup([
      {
        name: 'db-1',
        kind: 'ssh',
        approved: true,
        hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:x' },
        pendingHostKey: null,
        connection: {
          state: 'backoff',
          lastError: 'host key mismatch',
          retryAt: null,
          hostKeyMismatch: true,
        },
      },
    ]);
    renderPage(<HostsPage />, { backend, at: 'hosts', route: 'viewer' });
    expect(await screen.findByTestId('host-db-1')).toHaveTextContent('HOST KEY CHANGED');
    expect(screen.getByText('A host presented a different key')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add SSH host' })).not.toBeInTheDocument();
  });

  it('adds an SSH host with the inventory API’s shape and says what to compare', async () => {
    const user = userEvent.setup();
    const backend = setup([{ name: 'local', kind: 'local' }]);
    backend.on('POST', '/hosts', (call) => ({
      status: 201,
      body: {
        ...(call.body as object),
        kind: 'ssh',
        approved: false,
        hostKey: null,
        pendingHostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:new' },
      },
    }));
    renderPage(<HostsPage />, { backend, at: 'hosts', route: 'admin' });
    await user.click(await screen.findByRole('button', { name: 'Add SSH host' }));
    const form = screen.getByTestId('add-host');
    await user.type(within(form).getByRole('textbox', { name: /^Name/ }), 'web-2');
    await user.type(within(form).getByRole('textbox', { name: /^Address/ }), '10.0.0.8');
    await user.type(
      within(form).getByRole('textbox', { name: /^Private key file/ }),
      '/etc/hyperion/id_ed25519',
    );
    await user.type(within(form).getByRole('textbox', { name: /^Labels/ }), 'env=prod');
    await user.click(within(form).getByRole('button', { name: 'Add and fetch its key' }));
    expect(await screen.findByTestId('action-success')).toHaveTextContent('SHA256:new');
    expect(backend.callsTo('POST', '/hosts')[0]!.body).toEqual({
      name: 'web-2',
      address: '10.0.0.8',
      port: 22,
      user: 'root',
      auth: { type: 'key', privateKeyFile: '/etc/hyperion/id_ed25519' },
      privilege: 'root',
      labels: { env: 'prod' },
    });
  });

  it('shows an error state', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/hosts', problem('internal', 500, 'internal error; the exporter log has the details'));
    renderPage(<HostsPage />, { backend, at: 'hosts' });
    expect(await screen.findByTestId('state-error')).toHaveTextContent('exporter log has the details');
  });

  it('reads labels and statuses', () => {
    expect(parseLabels('env=prod, team=web')).toEqual({ env: 'prod', team: 'web' });
    expect(parseLabels('nope')).toMatch(/key=value/);
    expect(
      hostStatus({
        name: 'a',
        kind: 'ssh',
        approved: true,
        connection: { state: 'ready', lastError: null, retryAt: null, hostKeyMismatch: false },
      }).text,
    ).toBe('connected');
    expect(hostStatus({ name: 'b', kind: 'ssh', approved: false }).text).toBe('awaiting key approval');
  });
});
