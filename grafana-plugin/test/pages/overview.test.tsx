/** Overview: hosts with Prometheus' view of them (forecast, alerts), and without Prometheus. */
import { screen } from '@testing-library/react';
import React from 'react';
import { OverviewPage } from '../../src/pages/Overview/OverviewPage';
import { buildRows, instanceOfUrl } from '../../src/pages/Overview/overviewRows';
import { fakeBackend } from '../support/fakeBackend';
import { renderPage } from '../support/render';

const QUERY = '/api/datasources/proxy/uid/prom/api/v1/query';

function vector(samples: { labels: Record<string, string>; value: number }[]) {
  return {
    body: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: samples.map((s) => ({ metric: s.labels, value: [0, String(s.value)] })),
      },
    },
  };
}

function setup() {
  const backend = fakeBackend();
  backend.on('GET', '/hosts', {
    body: {
      items: [
        { name: 'local', kind: 'local' },
        { name: 'web-1', kind: 'ssh' },
      ],
    },
  });
  return backend;
}

describe('Overview page', () => {
  it('shows each host with up/down, CPU, memory, the fullest disk, its forecast and firing alerts', async () => {
    const backend = setup();
    backend.on('GET', QUERY, (call) => {
      const q = call.query.get('query') ?? '';
      const local = { instance: 'exporter:8470' };
      const web = { instance: 'web-1' };
      if (q.includes('up{')) return vector([{ labels: local, value: 1 }]);
      if (q.includes('probe_success')) return vector([{ labels: web, value: 0 }]);
      if (q.includes('cpu_busy')) return vector([{ labels: local, value: 0.42 }]);
      if (q.includes('memory_available')) return vector([{ labels: local, value: 0.5 }]);
      if (q.includes('filesystem_used'))
        return vector([{ labels: { ...local, mountpoint: '/var' }, value: 0.93 }]);
      if (q.includes('seconds_until_full'))
        return vector([{ labels: { ...local, mountpoint: '/var' }, value: 5 * 3600 }]);
      if (q.startsWith('ALERTS'))
        return vector([
          { labels: { ...web, alertname: 'HyperionHostUnreachable', severity: 'critical' }, value: 1 },
        ]);
      return vector([]);
    });
    renderPage(<OverviewPage />, {
      backend,
      at: 'overview',
      settings: { prometheusUid: 'prom', exporterUrl: 'http://exporter:8470' },
    });
    const local = await screen.findByTestId('overview-local');
    expect(await screen.findByText('/var full in 5 h')).toBeInTheDocument();
    expect(local).toHaveTextContent('up');
    expect(local).toHaveTextContent('42 %');
    expect(local).toHaveTextContent('93 %');
    const web = screen.getByTestId('overview-web-1');
    expect(web).toHaveTextContent('down');
    expect(web).toHaveTextContent('1 firing');
  });

  it('still lists the hosts, and says what is missing, without a Prometheus data source', async () => {
    renderPage(<OverviewPage />, { backend: setup(), at: 'overview' });
    expect(await screen.findByTestId('overview-web-1')).toBeInTheDocument();
    expect(screen.getByText('No Prometheus data source set')).toBeInTheDocument();
  });

  it('reports a Prometheus failure next to the hosts', async () => {
    const backend = setup();
    backend.on('GET', QUERY, { status: 400, body: { status: 'error', error: 'parse error at char 3' } });
    renderPage(<OverviewPage />, { backend, at: 'overview', settings: { prometheusUid: 'prom' } });
    expect(await screen.findByText(/parse error at char 3/)).toBeInTheDocument();
    expect(screen.getByTestId('overview-local')).toBeInTheDocument();
  });

  it('shows the error state when the exporter cannot be reached', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/hosts', { status: 502, body: { message: 'Bad Gateway' } });
    renderPage(<OverviewPage />, { backend, at: 'overview' });
    expect(await screen.findByTestId('state-error')).toHaveTextContent('Check the exporter URL');
  });

  it('matches the local host by the exporter URL and lists unknown instances unlinked', () => {
    expect(instanceOfUrl('http://exporter:8470/')).toBe('exporter:8470');
    expect(instanceOfUrl('https://hyperion.example')).toBe('hyperion.example:443');
    const rows = buildRows(
      [{ name: 'local', kind: 'local' }],
      {
        up: [
          { labels: { instance: 'a:8470' }, value: 1 },
          { labels: { instance: 'other-site:8470' }, value: 1 },
        ],
        probe: [],
        cpu: [],
        memory: [],
        busiestFs: [],
        soonestFull: [],
        alerts: [],
        info: [],
      },
      'a:8470',
    );
    expect(rows.map((r) => [r.host, r.instance, r.up])).toEqual([
      ['local', 'a:8470', true],
      [null, 'other-site:8470', true],
    ]);
  });
});
