/** Across hosts: one table over every host, one confirmation for many targets, the outcome per target. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { FleetPage } from '../../src/pages/Fleet/FleetPage';
import { pickHosts, runOnEach } from '../../src/pages/Fleet/fleetActions';
import { ENROLLED, fakeBackend, problem } from '../support/fakeBackend';
import { CONFIRM_BUTTON, renderPage } from '../support/render';

const HOSTS = [
  { name: 'local', kind: 'local' },
  { name: 'web-1', kind: 'ssh', approved: true, labels: { env: 'prod' } },
  { name: 'web-2', kind: 'ssh', approved: true, labels: { env: 'staging' } },
  { name: 'new-3', kind: 'ssh', approved: false, labels: { env: 'prod' } },
];

function service(name: string) {
  return {
    name,
    backend: 'systemd',
    description: 'nginx web server',
    loadState: 'loaded',
    activeState: 'active',
    subState: 'running',
    enabledState: 'enabled',
    mainPid: 10,
    memoryBytes: 1024,
    cpuSeconds: 1,
  };
}

function setup() {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', { body: ENROLLED });
  backend.on('GET', '/hosts', { body: { items: HOSTS } });
  for (const h of ['local', 'web-1', 'web-2']) {
    backend.on('GET', `/hosts/${h}/services`, {
      body: { backend: 'systemd', total: 1, offset: 0, limit: null, items: [service('nginx.service')] },
    });
  }
  return backend;
}

describe('Across hosts', () => {
  it('picks hosts by name or label, only those the exporter can act on', () => {
    const names = (f: string) => pickHosts(HOSTS as never, f).map((h) => h.name);
    expect(names('')).toEqual(['local', 'web-1', 'web-2']);
    expect(names('env=prod')).toEqual(['web-1']);
    expect(names('WEB')).toEqual(['web-1', 'web-2']);
  });

  it('runs each target once, and stops asking after a cancelled code prompt', async () => {
    const seen: number[] = [];
    const outcomes = await runOnEach(
      [1, 2, 3, 4],
      (n) => `t${n}`,
      async (n) => {
        seen.push(n);
        if (n === 2)
          throw {
            status: 409,
            data: { type: 'urn:hyperion:problem:conflict', title: 'c', status: 409, detail: 'busy' },
          };
        if (n === 3) throw { status: 0, cancelled: true };
        return 'done';
      },
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(outcomes).toEqual([
      { target: 't1', ok: true, message: 'done' },
      { target: 't2', ok: false, message: 'busy' },
      { target: 't3', ok: false, message: 'not attempted: the code prompt was cancelled' },
      { target: 't4', ok: false, message: 'not attempted: the code prompt was cancelled' },
    ]);
  });

  it('restarts a service on several hosts after ONE confirmation listing every target, and says which failed and why', async () => {
    const backend = setup();
    backend.on('POST', '/hosts/local/services/nginx.service/restart', {
      body: {
        name: 'nginx.service',
        action: 'restart',
        output: '',
        previous: service('nginx.service'),
        service: service('nginx.service'),
      },
    });
    backend.on(
      'POST',
      '/hosts/web-1/services/nginx.service/restart',
      problem('conflict', 409, 'job for nginx.service failed'),
    );
    const user = userEvent.setup();
    renderPage(<FleetPage />, { backend, at: 'fleet?kind=services&search=nginx&hosts=web' });
    await screen.findByTestId('fleet-web-1/nginx.service');
    // The host filter "web" leaves local out.
    expect(screen.queryByTestId('fleet-local/nginx.service')).toBeNull();
    expect(backend.calls.every((c) => !c.path.startsWith('/hosts/local/services'))).toBe(true);
    expect(backend.callsTo('GET', '/hosts/web-2/services')[0]!.query.get('search')).toBe('nginx');
    await user.clear(screen.getByLabelText('Hosts'));
    await screen.findByTestId('fleet-local/nginx.service');
    await user.click(screen.getByRole('checkbox', { name: 'Select local · nginx.service' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select web-1 · nginx.service' }));
    await user.click(within(screen.getByTestId('fleet-selection')).getByRole('button', { name: 'Restart…' }));
    const targets = screen.getByTestId('fleet-targets');
    expect(targets).toHaveTextContent('local · nginx.service');
    expect(targets).toHaveTextContent('web-1 · nginx.service');
    expect(targets).not.toHaveTextContent('web-2');
    expect(backend.callsTo('POST', /./)).toHaveLength(0);
    await user.click(screen.getByTestId(CONFIRM_BUTTON));
    const outcomes = await screen.findByTestId('fleet-outcomes');
    await waitFor(() => expect(outcomes).toHaveTextContent('1 of 2 targets succeeded'));
    expect(within(outcomes).getByTestId('outcome-local · nginx.service')).toHaveAttribute('data-ok', 'true');
    expect(within(outcomes).getByTestId('outcome-web-1 · nginx.service')).toHaveTextContent(
      'job for nginx.service failed',
    );
    expect(screen.queryByTestId('confirm-body')).toBeNull();
  });
});
