/** Network & firewall: interfaces, peers with one-click block, the block list with unblock. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { NetworkPage } from '../../src/pages/Network/NetworkPage';
import { draftProblem, toRequest } from '../../src/pages/Network/BlockDialog';
import { ENROLLED, fakeBackend, problem } from '../support/fakeBackend';
import { CONFIRM_BUTTON, renderPage } from '../support/render';

const BASE = '/hosts/local';

function setup(blocks: unknown[] = []) {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', { body: ENROLLED });
  backend.on('GET', '/hosts', { body: { items: [{ name: 'local', kind: 'local' }] } });
  backend.on('GET', `${BASE}/network/interfaces`, {
    body: {
      rateWindowSeconds: 5,
      addressesKnown: true,
      items: [
        {
          name: 'eth0',
          state: 'up',
          mac: null,
          mtu: 1500,
          speedMbps: 1000,
          addresses: [{ family: 'ipv4', address: '10.0.0.5', prefixLength: 24 }],
          counters: {
            rxBytes: 0,
            rxPackets: 0,
            rxErrors: 1,
            rxDropped: 0,
            txBytes: 0,
            txPackets: 0,
            txErrors: 2,
            txDropped: 0,
          },
          rates: {
            rxBytes: 2048,
            rxPackets: 0,
            rxErrors: 0,
            rxDropped: 0,
            txBytes: 1024,
            txPackets: 0,
            txErrors: 0,
            txDropped: 0,
          },
        },
      ],
    },
  });
  backend.on('GET', `${BASE}/network/connections/summary`, {
    body: {
      connections: 12,
      peers: [
        {
          remoteAddress: '203.0.113.9',
          connections: 12,
          states: { established: 12 },
          localPorts: [22],
          remotePortCount: 12,
          protocols: ['tcp'],
          protected: null,
        },
        {
          remoteAddress: '127.0.0.1',
          connections: 2,
          states: { established: 2 },
          localPorts: [8470],
          remotePortCount: 2,
          protocols: ['tcp'],
          protected: 'it is loopback, how the host talks to itself',
        },
      ],
    },
  });
  backend.on('GET', `${BASE}/firewall`, {
    body: { host: 'local', status: blocks.length ? 'in-sync' : 'absent', problems: [], blocks },
  });
  return backend;
}

const BLOCK = {
  id: 'a1b2c3d4e5f6',
  kind: 'address',
  address: '198.51.100.4',
  reason: 'scanner',
  actor: 'alice',
  createdAt: '2024-01-01T00:00:00Z',
  expiresAt: '2024-01-01T01:00:00Z',
  remainingSeconds: 2700,
  enforced: true,
};

describe('Network page', () => {
  it('shows interfaces with rates, peers, and the block list with the time left', async () => {
    renderPage(<NetworkPage />, { backend: setup([BLOCK]), at: 'network?host=local' });
    expect(await screen.findByTestId('interface-eth0')).toHaveTextContent('2 KiB/s');
    expect(await screen.findByTestId('peer-203.0.113.9')).toHaveTextContent('12');
    const block = await screen.findByTestId('block-198.51.100.4');
    expect(block).toHaveTextContent('45 minutes');
    expect(block).toHaveTextContent('enforced');
  });

  it('offers no one-click Block for a peer the exporter protects, and says why', async () => {
    renderPage(<NetworkPage />, { backend: setup([]), at: 'network?host=local' });
    const loopback = await screen.findByTestId('peer-127.0.0.1');
    expect(within(loopback).queryByRole('button', { name: /block/i })).toBeNull();
    expect(within(loopback).getByLabelText(/cannot be blocked: it is loopback/)).toBeInTheDocument();
    expect(
      within(screen.getByTestId('peer-203.0.113.9')).getByRole('button', { name: 'Block 203.0.113.9' }),
    ).toBeInTheDocument();
  });

  it('says when nothing is blocked, and shows a firewall failure', async () => {
    const backend = setup();
    renderPage(<NetworkPage />, { backend, at: 'network?host=local' });
    expect(await screen.findByText('Nothing is blocked.')).toBeInTheDocument();
    backend.on('GET', `${BASE}/firewall`, problem('unavailable', 503, 'nft is not installed on host local'));
    await userEvent.click(screen.getByRole('button', { name: 'Refresh now' }));
    expect(await screen.findByText(/nft is not installed/)).toBeInTheDocument();
  });

  it('blocks a peer from its row with a duration and a reason', async () => {
    const user = userEvent.setup();
    const backend = setup();
    backend.on('POST', `${BASE}/firewall/blocks`, (call) =>
      call.headers['X-Hyperion-OTP']
        ? { status: 201, body: {} }
        : problem('otp-required', 403, 'needs a code'),
    );
    renderPage(<NetworkPage />, { backend, at: 'network?host=local' });
    await user.click(
      within(await screen.findByTestId('peer-203.0.113.9')).getByRole('button', { name: /block/i }),
    );
    const dialog = await screen.findByTestId('block-dialog');
    await user.click(within(dialog).getByRole('radio', { name: '12 h' }));
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    const prompt = await screen.findByTestId('otp-prompt');
    await user.type(within(prompt).getByPlaceholderText('123456'), '909090');
    await user.click(within(prompt).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByTestId('action-success')).toHaveTextContent('Blocked 203.0.113.9 for 12h');
    expect(backend.callsTo('POST', `${BASE}/firewall/blocks`)[1]!.body).toEqual({
      address: '203.0.113.9',
      reason: 'suspicious peer (12 connections)',
      duration: '12h',
    });
  });

  it('unblocks after confirmation', async () => {
    const user = userEvent.setup();
    const backend = setup([BLOCK]);
    backend.on('DELETE', `${BASE}/firewall/blocks/${BLOCK.id}`, { body: {} });
    renderPage(<NetworkPage />, { backend, at: 'network?host=local' });
    await user.click(
      within(await screen.findByTestId('block-198.51.100.4')).getByRole('button', { name: /unblock/i }),
    );
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    await waitFor(() =>
      expect(backend.callsTo('DELETE', `${BASE}/firewall/blocks/${BLOCK.id}`)).toHaveLength(1),
    );
  });

  it('checks a block request before sending it', () => {
    const base = {
      kind: 'address' as const,
      target: '192.0.2.1',
      protocol: 'tcp' as const,
      duration: '',
      reason: 'x',
    };
    expect(draftProblem(base)).toBeUndefined();
    expect(draftProblem({ ...base, reason: ' ' })).toMatch(/why/);
    expect(draftProblem({ ...base, target: '300.1.1.1' })).toMatch(/Not an IPv4/);
    expect(draftProblem({ ...base, kind: 'port', target: '70000' })).toMatch(/1–65535/);
    expect(draftProblem({ ...base, kind: 'cidr', target: '10.0.0.0' })).toMatch(/network/);
    expect(toRequest({ ...base, kind: 'port', target: '8080', protocol: 'udp' })).toEqual({
      port: 8080,
      protocol: 'udp',
      reason: 'x',
    });
  });
});
