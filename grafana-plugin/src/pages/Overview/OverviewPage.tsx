/**
 * Every host at a glance: up or down, CPU, memory, its fullest file system, the soonest
 * "full in …" forecast, and the alerts firing for it; a click goes to the host's pages.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, Tooltip, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { Link } from 'react-router-dom';
import { useApi } from '../../api/ApiContext';
import { OVERVIEW_QUERIES, instantQuery, type OverviewKey } from '../../api/prometheus';
import type { HostSummary, Items } from '../../api/types';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import { VirtualTable, type Column } from '../../components/VirtualTable';
import { PAGES } from '../../constants';
import { useResource } from '../../hooks/useResource';
import { useSettings } from '../../settings';
import { formatDuration, formatPercent } from '../../utils/format';
import { buildRows, instanceOfUrl, type OverviewData, type OverviewRow } from './overviewRows';

function percentBadge(ratio: number | null, warn: number, crit: number) {
  if (ratio === null) return '–';
  const color = ratio >= crit ? 'red' : ratio >= warn ? 'orange' : 'green';
  return <Badge color={color} text={formatPercent(ratio * 100, 0)} />;
}

export function OverviewPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const settings = useSettings();
  const [interval, setInterval] = useState('30s');
  const every = intervalMs(interval);
  const uid = settings.prometheusUid ?? '';

  const hosts = useResource(
    (signal) => api.get<Items<HostSummary>>('/hosts', undefined, signal),
    [api],
    every,
  );
  const metrics = useResource<OverviewData | undefined>(
    async () => {
      if (uid === '') return undefined;
      const keys = Object.keys(OVERVIEW_QUERIES) as OverviewKey[];
      const results = await Promise.all(keys.map((k) => instantQuery(api.fetcher, uid, OVERVIEW_QUERIES[k])));
      return Object.fromEntries(keys.map((k, i) => [k, results[i]])) as unknown as OverviewData;
    },
    [api, uid],
    every,
  );

  // Relative to this page's route: right both under Grafana (/a/<id>/…) and under the harness' basename.
  const hasMetrics = metrics.data !== undefined;
  const link = (host: string, page: string) => `../${page}?host=${encodeURIComponent(host)}`;
  const columns: Array<Column<OverviewRow>> = [
    {
      key: 'host',
      header: 'Host',
      width: 'minmax(140px, 1.5fr)',
      render: (r) =>
        r.host ? (
          <Link to={link(r.host, PAGES.hosts)} title={r.instance ?? undefined}>
            {r.host}
            {r.hostname && r.hostname !== r.host ? <span className={styles.dim}> · {r.hostname}</span> : null}
          </Link>
        ) : (
          <span className={styles.dim}>{r.instance}</span>
        ),
    },
    {
      key: 'up',
      header: 'Status',
      width: '80px',
      render: (r) =>
        r.up === null ? (
          <Badge color="darkgrey" text="?" />
        ) : (
          <Badge color={r.up ? 'green' : 'red'} text={r.up ? 'up' : 'down'} />
        ),
    },
    { key: 'cpu', header: 'CPU', width: '80px', render: (r) => percentBadge(r.cpu, 0.8, 0.95) },
    {
      key: 'memory',
      header: 'Memory',
      width: '90px',
      minWidth: 480,
      render: (r) => percentBadge(r.memory, 0.85, 0.95),
    },
    {
      key: 'fs',
      header: 'Fullest disk',
      width: 'minmax(120px, 1fr)',
      minWidth: 640,
      render: (r) =>
        r.busiestFs ? (
          <span>
            {percentBadge(r.busiestFs.used, 0.8, 0.9)} <code>{r.busiestFs.mountpoint}</code>
          </span>
        ) : (
          '–'
        ),
    },
    {
      key: 'forecast',
      header: 'Forecast',
      width: 'minmax(120px, 1fr)',
      minWidth: 560,
      render: (r) =>
        !hasMetrics ? (
          '–'
        ) : r.soonestFull ? (
          <span className={r.soonestFull.seconds < 24 * 3600 ? styles.bad : undefined}>
            {r.soonestFull.mountpoint} full in {formatDuration(r.soonestFull.seconds)}
          </span>
        ) : (
          <span className={styles.dim}>no disk filling up</span>
        ),
    },
    {
      key: 'alerts',
      header: 'Alerts',
      width: 'minmax(120px, 1fr)',
      render: (r) =>
        !hasMetrics ? (
          '–'
        ) : r.alerts.length === 0 ? (
          <span className={styles.dim}>none</span>
        ) : (
          <Tooltip content={r.alerts.map((a) => `${a.name} (${a.severity})`).join(', ')}>
            <span>
              <Badge
                color={r.alerts.some((a) => a.severity === 'critical') ? 'red' : 'orange'}
                text={`${r.alerts.length} firing`}
              />
            </span>
          </Tooltip>
        ),
    },
    {
      key: 'go',
      header: '',
      width: '240px',
      minWidth: 900,
      render: (r) =>
        r.host ? (
          <span className={styles.links}>
            <Link to={link(r.host, PAGES.processes)}>Processes</Link>
            <Link to={link(r.host, PAGES.services)}>Services</Link>
            <Link to={link(r.host, PAGES.network)}>Network</Link>
          </span>
        ) : null,
    },
  ];

  return (
    <Page
      id="overview"
      toolbar={
        <RefreshControl
          interval={interval}
          onIntervalChange={setInterval}
          onRefresh={() => {
            hosts.reload();
            metrics.reload();
          }}
          refreshing={hosts.refreshing || metrics.refreshing}
        />
      }
    >
      {uid === '' && (
        <Alert severity="info" title="No Prometheus data source set">
          Choose one on the app&apos;s configuration page to see CPU, memory, disk forecasts and alerts per
          host.
        </Alert>
      )}
      {metrics.error && (
        <Alert severity="warning" title="Prometheus did not answer">
          {metrics.error.message}
        </Alert>
      )}
      <ResourceView
        resource={hosts}
        isEmpty={(h) => h.items.length === 0}
        emptyMessage="The exporter knows no hosts."
      >
        {(h) => {
          const rows = buildRows(h.items, metrics.data, instanceOfUrl(settings.exporterUrl));
          return (
            <VirtualTable
              label="Hosts"
              rows={rows}
              columns={columns}
              rowKey={(r) => r.host ?? `instance:${r.instance}`}
              rowProps={(r) => ({ 'data-testid': `overview-${r.host ?? r.instance}` })}
            />
          );
        }}
      </ResourceView>
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  dim: css({ color: theme.colors.text.secondary }),
  bad: css({ color: theme.colors.error.text }),
  links: css({ display: 'inline-flex', gap: theme.spacing(1.5) }),
});
