/**
 * Every host at a glance, with the history behind each number: a fleet summary (hosts up and
 * down, firing alerts by severity, hosts running out of something soon), then per host CPU,
 * memory and its fullest disk as sparklines from Prometheus — the disk's forecast drawn on from
 * the trend it comes from — firing alerts that link to the page where they can be acted on,
 * and links to the Host overview dashboard and Explore. A host's row opens its interfaces and
 * disks. Built from Prometheus first, so it still works when the exporter cannot be reached.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { config } from '@grafana/runtime';
import { Alert, Badge, Button, Stack, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { Link } from 'react-router-dom';
import { useApi } from '../../api/ApiContext';
import {
  OVERVIEW_HISTORY,
  OVERVIEW_QUERIES,
  hostDetailQueries,
  instantQuery,
  rangeQuery,
  type HistoryKey,
  type OverviewKey,
  type Series,
} from '../../api/prometheus';
import type { HostSummary, Items } from '../../api/types';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { Sparkline, type Point } from '../../components/Sparkline';
import { ErrorView, Loading } from '../../components/States';
import { VirtualTable, type Column, type RowAction } from '../../components/VirtualTable';
import { PAGES } from '../../constants';
import { useResource } from '../../hooks/useResource';
import { useSettings } from '../../settings';
import { formatDuration, formatRate, formatRatio, plural } from '../../utils/format';
import {
  alertLink,
  buildRows,
  fleetSummary,
  instanceOfUrl,
  type OverviewData,
  type OverviewRow,
} from './overviewRows';

/** The time range the sparklines (and the dashboard links) show. */
const RANGE_SECONDS = 3600;

type History = Record<HistoryKey, Series[]>;

function ratioColor(ratio: number | null, warn: number, crit: number): 'red' | 'orange' | 'green' {
  if (ratio === null) return 'green';
  return ratio >= crit ? 'red' : ratio >= warn ? 'orange' : 'green';
}

/** A link into Grafana itself (dashboards, Explore), below its sub-path. */
function grafanaUrl(path: string): string {
  return `${config.appSubUrl ?? ''}${path}`;
}

export function dashboardLink(instance: string): string {
  const q = new URLSearchParams({ 'var-instance': instance, from: `now-${RANGE_SECONDS}s`, to: 'now' });
  return grafanaUrl(`/d/hyperion-host-overview?${q.toString()}`);
}

export function exploreLink(uid: string, instance: string): string {
  const pane = {
    datasource: uid,
    queries: [
      { refId: 'A', expr: `{instance=${JSON.stringify(instance)}}`, datasource: { type: 'prometheus', uid } },
    ],
    range: { from: `now-${RANGE_SECONDS}s`, to: 'now' },
  };
  return grafanaUrl(`/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify({ a: pane }))}`);
}

/**
 * Where the fullest disk goes from here: from its last point, on at the trend the forecast
 * uses, across as much time again as the chart shows (capped at full).
 */
export function projection(points: readonly Point[], trendPerSecond: number | null): Point[] {
  const last = points[points.length - 1];
  if (!last || trendPerSecond === null || trendPerSecond <= 0) return [];
  const steps = 6;
  return Array.from({ length: steps }, (_, i) => {
    const dt = ((i + 1) / steps) * RANGE_SECONDS;
    return { t: last.t + dt, v: Math.min(1, last.v + trendPerSecond * dt) };
  });
}

function seriesOf(
  history: History | undefined,
  key: HistoryKey,
  instance: string | null,
  mountpoint?: string,
) {
  if (!history || instance === null) return [];
  const found = history[key].find(
    (s) => s.labels.instance === instance && (mountpoint === undefined || s.labels.mountpoint === mountpoint),
  );
  return found?.points ?? [];
}

function HostDetail({ uid, instance }: { uid: string; instance: string }) {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const detail = useResource(async () => {
    const q = hostDetailQueries(instance);
    const [rx, tx, disk] = await Promise.all(
      [q.rx, q.tx, q.disk].map((expr) => rangeQuery(api.fetcher, uid, expr, RANGE_SECONDS)),
    );
    return { rx: rx!, tx: tx!, disk: disk! };
  }, [api, uid, instance]);
  if (detail.error) return <ErrorView error={detail.error} />;
  if (!detail.data) return <Loading text="Asking Prometheus…" />;
  const { rx, tx, disk } = detail.data;
  const last = (s: Series | undefined) => s?.points[s.points.length - 1]?.v ?? null;
  return (
    <div className={styles.detail} data-testid={`host-detail-${instance}`}>
      <div>
        <h4>Interfaces</h4>
        {rx.length === 0 && <div className={styles.dim}>No interface series.</div>}
        {rx.map((r) => {
          const t = tx.find((x) => x.labels.device === r.labels.device);
          return (
            <div
              key={r.labels.device}
              className={styles.metric}
              data-testid={`interface-spark-${r.labels.device}`}
            >
              <code>{r.labels.device}</code>
              <span>receive {formatRate(last(r))}</span>
              <Sparkline label={`${r.labels.device} receive`} points={r.points} min={0} color="green" />
              <span>send {formatRate(last(t))}</span>
              <Sparkline label={`${r.labels.device} send`} points={t?.points ?? []} min={0} color="blue" />
            </div>
          );
        })}
      </div>
      <div>
        <h4>Disks (time busy)</h4>
        {disk.length === 0 && <div className={styles.dim}>No disk series.</div>}
        {disk.map((d) => (
          <div key={d.labels.device} className={styles.metric} data-testid={`disk-spark-${d.labels.device}`}>
            <code>{d.labels.device}</code>
            <span>{formatRatio(last(d))}</span>
            <Sparkline label={`${d.labels.device} busy`} points={d.points} min={0} max={1} color="orange" />
          </div>
        ))}
      </div>
    </div>
  );
}

export function OverviewPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const settings = useSettings();
  const [interval, setInterval] = useState('30s');
  const [open, setOpen] = useState<string | null>(null);
  const every = intervalMs(interval);
  const uid = settings.prometheusUid ?? '';

  const hosts = useResource(
    (signal) => api.get<Items<HostSummary>>('/hosts', undefined, signal),
    [api],
    every,
  );
  const metrics = useResource<{ now: OverviewData; history: History } | undefined>(
    async () => {
      if (uid === '') return undefined;
      const keys = Object.keys(OVERVIEW_QUERIES) as OverviewKey[];
      const histKeys = Object.keys(OVERVIEW_HISTORY) as HistoryKey[];
      const [now, history] = await Promise.all([
        Promise.all(keys.map((k) => instantQuery(api.fetcher, uid, OVERVIEW_QUERIES[k]))),
        Promise.all(histKeys.map((k) => rangeQuery(api.fetcher, uid, OVERVIEW_HISTORY[k], RANGE_SECONDS))),
      ]);
      return {
        now: Object.fromEntries(keys.map((k, i) => [k, now[i]])) as unknown as OverviewData,
        history: Object.fromEntries(histKeys.map((k, i) => [k, history[i]])) as unknown as History,
      };
    },
    [api, uid],
    every,
  );

  const exporterDown = hosts.error !== undefined && hosts.data === undefined;
  const rows = buildRows(hosts.data?.items ?? [], metrics.data?.now, instanceOfUrl(settings.exporterUrl));
  const summary = fleetSummary(rows);
  const hasMetrics = metrics.data !== undefined;
  const history = metrics.data?.history;
  // Relative to this page's route: right both under Grafana (/a/<id>/…) and under the harness' basename.
  const link = (host: string, page: string) => `../${page}?host=${encodeURIComponent(host)}`;

  const columns: Array<Column<OverviewRow>> = [
    {
      key: 'host',
      header: 'Host',
      width: 'minmax(110px, 1.2fr)',
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
      width: '70px',
      render: (r) =>
        r.up === null ? (
          <Badge color="darkgrey" text="?" />
        ) : (
          <Badge color={r.up ? 'green' : 'red'} text={r.up ? 'up' : 'down'} />
        ),
    },
    {
      key: 'cpu',
      header: 'CPU',
      width: '160px',
      render: (r) => (
        <span className={styles.spark}>
          <Badge color={ratioColor(r.cpu, 0.8, 0.95)} text={formatRatio(r.cpu)} />
          {hasMetrics && (
            <Sparkline
              label={`CPU of ${r.host ?? r.instance}`}
              points={seriesOf(history, 'cpu', r.instance)}
              min={0}
              max={1}
              width={80}
              color="green"
              testId={`spark-cpu-${r.host ?? r.instance}`}
            />
          )}
        </span>
      ),
    },
    {
      key: 'memory',
      header: 'Memory',
      width: '160px',
      minWidth: 560,
      render: (r) => (
        <span className={styles.spark}>
          <Badge color={ratioColor(r.memory, 0.85, 0.95)} text={formatRatio(r.memory)} />
          {hasMetrics && (
            <Sparkline
              label={`Memory of ${r.host ?? r.instance}`}
              points={seriesOf(history, 'memory', r.instance)}
              min={0}
              max={1}
              width={80}
              color="blue"
              testId={`spark-memory-${r.host ?? r.instance}`}
            />
          )}
        </span>
      ),
    },
    {
      key: 'fs',
      header: 'Fullest disk and forecast',
      width: 'minmax(250px, 1.6fr)',
      minWidth: 760,
      render: (r) => {
        if (!r.busiestFs) return '–';
        const points = seriesOf(history, 'fs', r.instance, r.busiestFs.mountpoint);
        const full =
          r.soonestFull && r.soonestFull.mountpoint === r.busiestFs.mountpoint ? r.soonestFull : null;
        const trend =
          r.fsTrend === null
            ? 'no trend yet'
            : r.fsTrend > 0
              ? `+${formatRatio(r.fsTrend * 86400, 1)}/day over 6 h`
              : 'not filling';
        return (
          <span className={styles.spark} title={`${r.busiestFs.mountpoint}: ${trend}`}>
            <Badge color={ratioColor(r.busiestFs.used, 0.8, 0.9)} text={formatRatio(r.busiestFs.used)} />
            <code>{r.busiestFs.mountpoint}</code>
            <Sparkline
              label={`${r.busiestFs.mountpoint} used, and where its trend leads`}
              points={points}
              projection={projection(points, r.fsTrend)}
              min={0}
              max={1}
              width={80}
              color="orange"
              testId={`spark-fs-${r.host ?? r.instance}`}
            />
            <span className={full && full.seconds < 86400 ? styles.bad : styles.dim} data-testid="forecast">
              {full ? `full in ${formatDuration(full.seconds)}` : trend}
            </span>
          </span>
        );
      },
    },
    {
      key: 'alerts',
      header: 'Alerts',
      width: 'minmax(110px, 1fr)',
      render: (r) =>
        !hasMetrics ? (
          '–'
        ) : r.alerts.length === 0 ? (
          <span className={styles.dim}>none</span>
        ) : (
          <span className={styles.alerts}>
            {r.alerts.map((a, i) => {
              const to = alertLink(a, r.host);
              const badge = (
                <Badge
                  color={a.severity === 'critical' ? 'red' : 'orange'}
                  text={a.name.replace(/^Hyperion/, '')}
                />
              );
              return to ? (
                <Link key={`${a.name}${i}`} to={to} title={`${a.name} (${a.severity}): act on it`}>
                  {badge}
                </Link>
              ) : (
                <span key={`${a.name}${i}`} title={`${a.name} (${a.severity})`}>
                  {badge}
                </span>
              );
            })}
          </span>
        ),
    },
  ];

  const actions = (r: OverviewRow): RowAction[] => [
    ...(r.instance && uid
      ? [
          {
            key: 'details',
            label: `${open === r.instance ? 'Hide' : 'Show'} interfaces and disks of ${r.host ?? r.instance}`,
            icon: 'chart-line' as const,
            onClick: () => setOpen(open === r.instance ? null : r.instance),
          },
          {
            key: 'dashboard',
            label: `Host overview dashboard of ${r.host ?? r.instance}`,
            icon: 'apps' as const,
            href: dashboardLink(r.instance),
          },
          {
            key: 'explore',
            label: `Explore ${r.host ?? r.instance}`,
            icon: 'compass' as const,
            href: exploreLink(uid, r.instance),
          },
        ]
      : []),
    ...(r.host
      ? [
          {
            key: 'processes',
            label: `Processes of ${r.host}`,
            icon: 'list-ul' as const,
            href: link(r.host, PAGES.processes),
          },
        ]
      : []),
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
          Choose one on the app&apos;s configuration page to see history, forecasts and alerts per host.
        </Alert>
      )}
      {metrics.error && (
        <Alert severity="warning" title="Prometheus did not answer">
          {metrics.error.message}
        </Alert>
      )}
      {exporterDown && (
        <div data-testid="exporter-unreachable">
          <Alert severity="warning" title="The exporter cannot be reached">
            {hosts.error!.message} What Prometheus knows is shown below; actions come back with the exporter.
          </Alert>
        </div>
      )}
      {hasMetrics && (
        <div className={styles.summary} data-testid="fleet-summary">
          <span data-testid="fleet-hosts">
            <Badge color="green" text={`${summary.up} up`} />{' '}
            <Badge color={summary.down > 0 ? 'red' : 'darkgrey'} text={`${summary.down} down`} />
          </span>
          <span data-testid="fleet-alerts">
            {summary.alerts.length === 0
              ? 'No alert firing'
              : summary.alerts.map((a) => (
                  <Badge
                    key={a.severity}
                    color={a.severity === 'critical' ? 'red' : a.severity === 'warning' ? 'orange' : 'blue'}
                    text={`${plural(a.count, `${a.severity} alert`, `${a.severity} alerts`)}`}
                  />
                ))}
          </span>
          <span data-testid="fleet-running-out">
            {summary.runningOut.length === 0
              ? 'Nothing runs out within a week'
              : summary.runningOut
                  .slice(0, 3)
                  .map((o) => `${o.name}: ${o.what} in ${formatDuration(o.seconds)}`)
                  .join(' · ')}
          </span>
        </div>
      )}
      {hosts.loading && !hasMetrics && !exporterDown ? (
        <Loading />
      ) : hosts.error && !exporterDown ? (
        <ErrorView error={hosts.error} onRetry={hosts.reload} />
      ) : rows.length === 0 ? (
        exporterDown ? null : (
          <Stack direction="column">
            <span>The exporter knows no hosts.</span>
            <Button variant="secondary" onClick={hosts.reload}>
              Refresh
            </Button>
          </Stack>
        )
      ) : (
        <>
          <VirtualTable
            label="Hosts"
            rows={rows}
            columns={columns}
            rowKey={(r) => r.host ?? `instance:${r.instance}`}
            actions={actions}
            actionSlots={4}
            maxHeight={Math.max(240, rows.length * 48 + 40)}
            rowProps={(r) => ({ 'data-testid': `overview-${r.host ?? r.instance}` })}
          />
          {open && uid && <HostDetail uid={uid} instance={open} />}
        </>
      )}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  dim: css({ color: theme.colors.text.secondary }),
  bad: css({ color: theme.colors.error.text }),
  spark: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(1), minWidth: 0 }),
  alerts: css({ display: 'inline-flex', flexWrap: 'wrap', gap: theme.spacing(0.5) }),
  summary: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1, 3),
    padding: theme.spacing(1.5),
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.primary,
  }),
  detail: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))',
    gap: theme.spacing(2),
    padding: theme.spacing(1.5),
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  metric: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 0),
  }),
});
