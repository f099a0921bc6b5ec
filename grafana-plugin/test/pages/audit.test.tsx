/** Audit: records with their outcome, filters sent to the exporter, a viewer's refusal. */
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { AuditPage } from '../../src/pages/Audit/AuditPage';
import { fakeBackend, problem } from '../support/fakeBackend';
import { renderPage } from '../support/render';

const RECORD = {
  time: '2024-05-01T10:00:00Z',
  actor: 'alice',
  tokenName: 'grafana-operator',
  role: 'operator',
  viaGrafana: true,
  host: 'local',
  action: 'process.signal',
  target: '4242',
  args: { signal: 'KILL' },
  otpUsed: true,
  result: 'ok',
  status: 200,
  error: null,
  remoteAddress: '127.0.0.1',
};

describe('Audit page', () => {
  it('lists records and filters by result', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('GET', '/audit', (call) =>
      call.query.get('result') === 'refused'
        ? { body: { total: 0, items: [] } }
        : { body: { total: 1, items: [RECORD] } },
    );
    renderPage(<AuditPage />, { backend, at: 'audit' });
    const row = await screen.findByTestId('audit-process.signal');
    expect(row).toHaveTextContent('alice');
    expect(row).toHaveTextContent('ok 200');
    await user.click(screen.getByRole('radio', { name: 'Refused' }));
    expect(await screen.findByTestId('state-empty')).toHaveTextContent('No audit record matches');
    await waitFor(() => expect(backend.calls.at(-1)!.query.get('result')).toBe('refused'));
  });

  it.each([
    ['audit-action', 'action', 'process.signal'],
    ['audit-host', 'host', 'web-1'],
    ['audit-actor', 'actor', 'zoë.o-b/[x]'],
  ])(
    'sends the %s filter exactly as typed (. - / [ and unicode, no regex escaping)',
    async (testId, key, text) => {
      const user = userEvent.setup();
      const backend = fakeBackend();
      backend.on('GET', '/audit', { body: { total: 1, items: [RECORD] } });
      renderPage(<AuditPage />, { backend, at: 'audit' });
      await screen.findByTestId('audit-process.signal');
      await user.type(screen.getByTestId(testId), text.replace(/[[{]/g, '$&$&'));
      await waitFor(() => expect(backend.calls.at(-1)!.query.get(key)).toBe(text));
    },
  );

  it('keeps every filter typed one after the other, with the free-text search', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('GET', '/audit', { body: { items: [RECORD], nextCursor: null } });
    renderPage(<AuditPage />, { backend, at: 'audit' });
    await screen.findByTestId('audit-process.signal');
    await user.type(screen.getByTestId('audit-actor'), 'zoë');
    await user.type(screen.getByTestId('audit-action'), 'process.signal');
    await user.type(screen.getByTestId('audit-search'), '4242');
    await waitFor(() => {
      const query = backend.calls.at(-1)!.query;
      expect([query.get('actor'), query.get('action'), query.get('search')]).toEqual([
        'zoë',
        'process.signal',
        '4242',
      ]);
    });
  });

  it('pages to older records by the cursor the exporter gave, and back', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('GET', '/audit', (call) =>
      call.query.get('cursor') === '77:1024'
        ? { body: { items: [{ ...RECORD, actor: 'older' }], nextCursor: null } }
        : { body: { items: [RECORD], nextCursor: '77:1024' } },
    );
    renderPage(<AuditPage />, { backend, at: 'audit' });
    expect(await screen.findByTestId('audit-process.signal')).toHaveTextContent('alice');
    expect(screen.getByRole('button', { name: 'Newer' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Older' }));
    await waitFor(() => expect(screen.getByTestId('audit-process.signal')).toHaveTextContent('older'));
    expect(screen.getByTestId('audit-range')).toHaveTextContent('Page 2: 1 record, the oldest');
    expect(screen.getByRole('button', { name: 'Older' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Newer' }));
    await waitFor(() => expect(screen.getByTestId('audit-process.signal')).toHaveTextContent('alice'));
  });

  it('explains that viewers may not read the audit log', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/audit', problem('role', 403, '/audit needs the operator role; carol is viewer'));
    renderPage(<AuditPage />, { backend, at: 'audit', route: 'viewer' });
    const error = await screen.findByTestId('state-error');
    expect(error).toHaveTextContent('Not allowed');
    expect(error).toHaveTextContent('needs the operator role');
  });
});
