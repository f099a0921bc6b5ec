/** Overview: hosts with Prometheus' view of them (forecast, alerts), and without Prometheus. */
import { screen, within } from '@testing-library/react';
import React from 'react';
import { OverviewPage } from '../../src/pages/Overview/OverviewPage';
import { projection } from '../../src/pages/Overview/OverviewPage';
import { alertLink, buildRows, fleetSummary, instanceOfUrl } from '../../src/pages/Overview/overviewRows';
import { fakeBackend } from '../support/fakeBackend';
import { renderPage } from '../support/render';

const QUERY = '/api/datasources/proxy/uid/prom/api/v1/query';
const RANGE = '/api/datasources/proxy/uid/prom/api/v1/query_range';

function matrix(series: { labels: Record<string, string>; values: number[] }[]) {
  return {
    body: {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: series.map((s) => ({
          metric: s.labels,
          values: s.values.map((v, i) => [1000 + i * 60, String(v)]),
        })),
      },
    },
  };
}

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
      if (q.startsWith('-deriv'))
        return vector([{ labels: { ...local, mountpoint: '/var' }, value: 0.07 / 3600 }]);
      if (q.startsWith('ALERTS'))
        return vector([
          { labels: { ...web, alertname: 'HyperionHostUnreachable', severity: 'critical' }, value: 1 },
          { labels: { ...local, alertname: 'HyperionCpuBusy', severity: 'warning' }, value: 1 },
        ]);
      return vector([]);
    });
    backend.on('GET', RANGE, (call) => {
      const q = call.query.get('query') ?? '';
      const local = { instance: 'exporter:8470' };
      if (q.includes('cpu_busy')) return matrix([{ labels: local, values: [0.1, 0.3, 0.42] }]);
      if (q.includes('memory_available')) return matrix([{ labels: local, values: [0.5, 0.5] }]);
      if (q.includes('filesystem_used'))
        return matrix([{ labels: { ...local, mountpoint: '/var' }, values: [0.9, 0.92, 0.93] }]);
      return matrix([]);
    });
    renderPage(<OverviewPage />, {
      backend,
      at: 'overview',
      settings: { prometheusUid: 'prom', exporterUrl: 'http://exporter:8470' },
    });
    const local = await screen.findByTestId('overview-local');
    expect(await within(local).findByText('full in 5 hours')).toBeInTheDocument();
    expect(local).toHaveTextContent('up');
    expect(local).toHaveTextContent('42%');
    expect(local).toHaveTextContent('93%');
    // The sparklines carry Prometheus' history: three CPU points, the last one 0.42.
    const cpu = within(local).getByTestId('spark-cpu-local');
    expect(cpu).toHaveAttribute('data-points', '3');
    expect(cpu).toHaveAttribute('data-last', '0.42');
    // The disk line goes on, dashed, at the trend the forecast comes from.
    expect(within(local).getByTestId('spark-fs-local-projection')).toBeInTheDocument();
    const web = screen.getByTestId('overview-web-1');
    expect(web).toHaveTextContent('down');
    // An alert links to the page where it can be acted on.
    expect(within(web).getByRole('link', { name: 'HostUnreachable' })).toHaveAttribute(
      'href',
      '/hosts?host=web-1',
    );
    expect(within(local).getByRole('link', { name: 'CpuBusy' })).toHaveAttribute(
      'href',
      '/processes?host=local&sort=cpuPercent',
    );
    const fleet = screen.getByTestId('fleet-summary');
    expect(within(fleet).getByTestId('fleet-hosts')).toHaveTextContent('1 up 1 down');
    expect(within(fleet).getByTestId('fleet-alerts')).toHaveTextContent('1 critical alert1 warning alert');
    expect(within(fleet).getByTestId('fleet-running-out')).toHaveTextContent('local: disk /var in 5 hours');
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

  it('shows what Prometheus knows when the exporter cannot be reached', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/hosts', { status: 502, body: { message: 'Bad Gateway' } });
    backend.on('GET', QUERY, (call) =>
      (call.query.get('query') ?? '').includes('up{')
        ? vector([{ labels: { instance: 'exporter:8470' }, value: 0 }])
        : vector([]),
    );
    backend.on('GET', RANGE, matrix([]));
    renderPage(<OverviewPage />, { backend, at: 'overview', settings: { prometheusUid: 'prom' } });
    expect(await screen.findByTestId('exporter-unreachable')).toHaveTextContent('Check the exporter URL');
    expect(await screen.findByTestId('overview-exporter:8470')).toHaveTextContent('down');
  });

  it('draws the forecast from the trend, and sums the fleet', () => {
    expect(projection([{ t: 0, v: 0.5 }], 0.1 / 3600).at(-1)).toEqual({ t: 3600, v: 0.6 });
    expect(projection([{ t: 0, v: 0.95 }], 1 / 3600).at(-1)?.v).toBe(1);
    expect(projection([{ t: 0, v: 0.5 }], -0.1)).toEqual([]);
    const rows = buildRows(
      [],
      {
        up: [
          { labels: { instance: 'a' }, value: 1 },
          { labels: { instance: 'b' }, value: 0 },
        ],
        probe: [],
        cpu: [],
        memory: [],
        busiestFs: [],
        soonestFull: [{ labels: { instance: 'a', mountpoint: '/' }, value: 86400 }],
        memoryExhausted: [{ labels: { instance: 'b' }, value: 30 * 86400 }],
        alerts: [
          { labels: { instance: 'b', alertname: 'HyperionExporterDown', severity: 'critical' }, value: 1 },
        ],
        info: [],
      },
      null,
    );
    expect(fleetSummary(rows)).toEqual({
      up: 1,
      down: 1,
      unknown: 0,
      alerts: [{ severity: 'critical', count: 1 }],
      runningOut: [{ name: 'a', what: 'disk /', seconds: 86400 }],
    });
    expect(alertLink({ name: 'HyperionFilesystemFillingUp', severity: 'warning', labels: {} }, 'web-1')).toBe(
      '../files?host=web-1',
    );
    expect(
      alertLink({ name: 'HyperionFilesystemFillingUp', severity: 'warning', labels: {} }, null),
    ).toBeUndefined();
    // A failed unit opens that unit's details and log on the Services page.
    expect(
      alertLink(
        { name: 'HyperionSystemdUnitFailed', severity: 'warning', labels: { name: 'nginx.service' } },
        'web-1',
      ),
    ).toBe('../services?host=web-1&unit=nginx.service');
    expect(alertLink({ name: 'HyperionSystemdUnitFailed', severity: 'warning', labels: {} }, 'web-1')).toBe(
      '../services?host=web-1&state=failed',
    );
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
