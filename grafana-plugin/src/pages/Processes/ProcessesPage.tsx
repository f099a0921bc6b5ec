/**
 * Processes of a host: sortable, filterable, as a list or a tree, refreshed live; send a signal
 * or renice, each after a confirmation (and the second factor the exporter asks for).
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { FilterInput, InlineField, InlineSwitch, Input, useStyles2 } from '@grafana/ui';
import React, { useMemo, useRef, useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { ProcessInfo, ProcessPage, ProcessTreePage, Signal } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { HostPicker } from '../../components/HostPicker';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import {
  FIRST_PAGE,
  VirtualTable,
  type Column,
  type RowAction,
  type Sort,
} from '../../components/VirtualTable';
import { useAction } from '../../hooks/useAction';
import { useDebounced } from '../../hooks/useDebounced';
import { useHost, useSearchParam } from '../../hooks/useHost';
import { firstPageThenWhole, useResource } from '../../hooks/useResource';
import {
  formatBytes,
  formatDuration,
  formatFullTime,
  formatPercent,
  formatTime,
  plural,
} from '../../utils/format';
import { ProcessDrawer } from './ProcessDrawer';
import { ReniceDialog } from './ReniceDialog';
import { SignalDialog } from './SignalDialog';
import {
  STATE_NAMES,
  allProcesses,
  historyKey,
  isTreePage,
  recordHistory,
  rowsOf,
  whyNoActions,
  type ProcessRow,
  type ProcessSample,
} from './processRows';

type Dialog = { kind: 'signal' | 'renice'; process: ProcessInfo } | null;

export function ProcessesPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [host, setHost] = useHost();
  const [search, setSearch] = useSearchParam('search');
  const [user, setUser] = useSearchParam('user');
  const [tree, setTree] = useSearchParam('tree', 'false');
  const [pidParam, setPidParam] = useSearchParam('pid');
  const [interval, setInterval] = useState('5s');
  // An alert links here with ?sort=rssBytes (memory) or cpuPercent: busiest first.
  const [sortParam] = useSearchParam('sort');
  const [sort, setSort] = useState<Sort>({
    key: ['cpuPercent', 'rssBytes'].includes(sortParam) ? sortParam : 'cpuPercent',
    order: 'desc',
  });
  const [dialog, setDialog] = useState<Dialog>(null);
  const historyRef = useRef<{ host: string; samples: Map<string, ProcessSample[]> }>({
    host,
    samples: new Map(),
  });
  const action = useAction();
  const asTree = tree === 'true';
  const searchQ = useDebounced(search);
  const userQ = useDebounced(user);
  const canAct = api.route === 'operator' || api.route === 'admin';

  // Sorting happens here, on what is already loaded: a click re-sorts at once, no new request.
  // The first answer for a host and filters starts with the rows in view, sorted and limited
  // by the exporter (a tree needs every process, so it comes whole).
  const processes = useResource<ProcessPage | ProcessTreePage>(
    (signal, preview) => {
      const path = apiPath('hosts', host, 'processes');
      const query = { search: searchQ, user: userQ, tree: asTree };
      const first = { ...query, sort: sort.key, order: sort.order, limit: FIRST_PAGE };
      return firstPageThenWhole(
        preview,
        asTree ? undefined : () => api.get<ProcessPage>(path, first, signal),
        (page) => page.total <= page.items.length,
        () => api.get<ProcessPage | ProcessTreePage>(path, query, signal),
      );
    },
    [api, host, searchQ, userQ, asTree],
    intervalMs(interval),
  );

  // Each answer is one sample of every process's CPU and memory: the detail view's history.
  // Kept in a ref and added to while rendering that answer, so it costs no second render. A
  // first page is no sample: it lists only some processes.
  const whole = processes.partial ? undefined : processes.data;
  const history = useMemo(() => {
    const kept = historyRef.current.host === host ? historyRef.current.samples : new Map();
    const next = whole ? recordHistory(kept, allProcesses(whole), Date.now() / 1000) : kept;
    historyRef.current = { host, samples: next };
    return next;
  }, [whole, host]);

  const rows = useMemo<ProcessRow[]>(() => rowsOf(processes.data, sort), [processes.data, sort]);
  const exporterPid = processes.data?.exporterPid;
  const openPid = /^\d+$/.test(pidParam) ? Number(pidParam) : null;
  const opened = openPid === null ? undefined : rows.find((p) => p.pid === openPid);

  const signal = async (process: ProcessInfo, sig: Signal) => {
    setDialog(null);
    await action.run(
      () =>
        api.send(
          'POST',
          apiPath('hosts', host, 'processes', process.pid, 'signal'),
          { signal: sig },
          `Send ${sig} to ${process.name} (${process.pid}) on ${host}`,
        ),
      () => `Sent ${sig} to ${process.name} (${process.pid}).`,
    );
    processes.reload();
  };
  const renice = async (process: ProcessInfo, nice: number) => {
    setDialog(null);
    await action.run(
      () =>
        api.send(
          'POST',
          apiPath('hosts', host, 'processes', process.pid, 'renice'),
          { nice },
          `Renice ${process.name} (${process.pid}) on ${host} to ${nice}`,
        ),
      () => `${process.name} (${process.pid}) now runs at nice ${nice}.`,
    );
    processes.reload();
  };

  const columns: Array<Column<ProcessRow>> = [
    {
      key: 'pid',
      header: 'PID',
      width: '72px',
      sortKey: 'pid',
      firstOrder: 'asc',
      align: 'right',
      render: (p) => p.pid,
    },
    {
      key: 'name',
      header: 'Name',
      width: 'minmax(110px, 1fr)',
      sortKey: 'name',
      render: (p) => (
        <button
          type="button"
          className={styles.name}
          style={{ paddingLeft: p.depth * 14 }}
          title={p.command}
          onClick={() => setPidParam(String(p.pid))}
        >
          {p.depth > 0 && <span className={styles.branch}>└ </span>}
          {p.name}
        </button>
      ),
    },
    { key: 'user', header: 'User', width: '100px', sortKey: 'user', minWidth: 560, render: (p) => p.user },
    {
      key: 'state',
      header: 'State',
      width: '60px',
      sortKey: 'state',
      minWidth: 700,
      render: (p) => <span title={STATE_NAMES[p.state] ?? p.state}>{p.state}</span>,
    },
    {
      key: 'cpu',
      header: 'CPU',
      width: '76px',
      sortKey: 'cpuPercent',
      align: 'right',
      render: (p) => formatPercent(p.cpuPercent),
    },
    {
      key: 'rss',
      header: 'Memory',
      width: '96px',
      sortKey: 'rssBytes',
      align: 'right',
      minWidth: 440,
      render: (p) => formatBytes(p.rssBytes),
    },
    {
      key: 'nice',
      header: 'Nice',
      width: '56px',
      sortKey: 'nice',
      firstOrder: 'asc',
      align: 'right',
      minWidth: 800,
      render: (p) => p.nice,
    },
    {
      key: 'threads',
      header: 'Thr',
      width: '56px',
      sortKey: 'threads',
      align: 'right',
      minWidth: 900,
      render: (p) => p.threads,
    },
    {
      key: 'start',
      header: 'Started',
      width: '140px',
      sortKey: 'startTime',
      firstOrder: 'desc',
      minWidth: 1100,
      render: (p) => <span title={formatFullTime(p.startTime)}>{formatTime(p.startTime)}</span>,
    },
    {
      key: 'command',
      header: 'Command',
      width: 'minmax(160px, 2fr)',
      sortKey: 'command',
      minWidth: 820,
      render: (p) => <code className={styles.command}>{p.command}</code>,
    },
  ];

  const actions = (p: ProcessRow): RowAction[] => [
    ...(canAct && !whyNoActions(p, exporterPid)
      ? [
          {
            key: 'signal',
            label: `Signal ${p.name} (${p.pid})`,
            icon: 'times-circle' as const,
            destructive: true,
            onClick: () => setDialog({ kind: 'signal', process: p }),
          },
          {
            key: 'renice',
            label: `Renice ${p.name} (${p.pid})`,
            icon: 'sliders-v-alt' as const,
            onClick: () => setDialog({ kind: 'renice', process: p }),
          },
        ]
      : []),
    {
      key: 'details',
      label: `Details of ${p.name} (${p.pid})`,
      icon: 'info-circle',
      onClick: () => setPidParam(String(p.pid)),
    },
  ];

  const count = processes.data
    ? isTreePage(processes.data)
      ? processes.data.processes
      : processes.data.total
    : 0;

  return (
    <Page
      id="processes"
      toolbar={
        <>
          <HostPicker value={host} onChange={setHost} />
          <FilterInput
            placeholder="Search name or command"
            value={search}
            onChange={setSearch}
            escapeRegex={false}
            width={28}
            data-testid="process-search"
          />
          <InlineField label="User">
            <Input
              id="hyperion-process-user"
              value={user}
              width={14}
              placeholder="any"
              onChange={(e) => setUser(e.currentTarget.value.trim())}
            />
          </InlineField>
          <InlineSwitch
            label="Tree"
            showLabel
            value={asTree}
            onChange={(e) => setTree(e.currentTarget.checked ? 'true' : 'false')}
          />
          <RefreshControl
            interval={interval}
            onIntervalChange={setInterval}
            onRefresh={processes.reload}
            refreshing={processes.refreshing}
          />
        </>
      }
    >
      <ActionMessage action={action} />
      <ResourceView
        resource={processes}
        isEmpty={() => rows.length === 0}
        emptyMessage={search || user ? 'No process matches these filters.' : 'No processes.'}
        loadingText="Reading the process table…"
      >
        {() => (
          <>
            <div className={styles.summary} data-testid="process-count">
              {plural(count, 'process', 'processes')}
              {processes.data
                ? ` · CPU over the last ${formatDuration(processes.data.cpuWindowSeconds)}`
                : ''}
            </div>
            <VirtualTable
              label="Processes"
              rows={rows}
              columns={columns}
              rowKey={(p) => String(p.pid)}
              sort={sort}
              onSort={setSort}
              actions={actions}
              actionSlots={canAct ? 3 : 1}
              rowProps={(p) => ({ 'data-testid': `process-${p.pid}` })}
            />
          </>
        )}
      </ResourceView>
      {openPid !== null && (
        <ProcessDrawer
          host={host}
          pid={openPid}
          history={opened ? (history.get(historyKey(opened)) ?? []) : []}
          canAct={canAct}
          onSignal={(p) => setDialog({ kind: 'signal', process: p })}
          onRenice={(p) => setDialog({ kind: 'renice', process: p })}
          onClose={() => setPidParam('')}
        />
      )}
      {dialog?.kind === 'signal' && (
        <SignalDialog
          process={dialog.process}
          onConfirm={(s) => signal(dialog.process, s)}
          onDismiss={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'renice' && (
        <ReniceDialog
          process={dialog.process}
          onConfirm={(n) => renice(dialog.process, n)}
          onDismiss={() => setDialog(null)}
        />
      )}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  branch: css({ color: theme.colors.text.disabled }),
  name: css({
    background: 'none',
    border: 'none',
    color: theme.colors.text.link,
    font: 'inherit',
    cursor: 'pointer',
    padding: 0,
    minHeight: 32,
    maxWidth: '100%',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    textAlign: 'left',
  }),
  command: css({ fontSize: theme.typography.bodySmall.fontSize, background: 'none', padding: 0 }),
  summary: css({ color: theme.colors.text.secondary }),
});
