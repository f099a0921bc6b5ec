/**
 * Processes of a host: sortable, filterable, as a list or a tree, refreshed live; send a signal
 * or renice, each after a confirmation (and the second factor the exporter asks for).
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { FilterInput, IconButton, InlineField, InlineSwitch, Input, useStyles2 } from '@grafana/ui';
import React, { useMemo, useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { ProcessInfo, ProcessPage, ProcessTreePage, Signal } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { HostPicker } from '../../components/HostPicker';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import { VirtualTable, type Column, type Sort } from '../../components/VirtualTable';
import { useAction } from '../../hooks/useAction';
import { useDebounced } from '../../hooks/useDebounced';
import { useHost, useSearchParam } from '../../hooks/useHost';
import { useResource } from '../../hooks/useResource';
import { formatBytes, formatPercent, formatTime } from '../../utils/format';
import { ReniceDialog } from './ReniceDialog';
import { SignalDialog } from './SignalDialog';
import { STATE_NAMES, flatRows, treeRows, type ProcessRow } from './processRows';

type Dialog = { kind: 'signal' | 'renice'; process: ProcessInfo } | null;

export function ProcessesPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [host, setHost] = useHost();
  const [search, setSearch] = useSearchParam('search');
  const [user, setUser] = useSearchParam('user');
  const [tree, setTree] = useSearchParam('tree', 'false');
  const [interval, setInterval] = useState('5s');
  const [sort, setSort] = useState<Sort>({ key: 'cpuPercent', order: 'desc' });
  const [dialog, setDialog] = useState<Dialog>(null);
  const action = useAction();
  const asTree = tree === 'true';
  const searchQ = useDebounced(search);
  const userQ = useDebounced(user);

  const processes = useResource(
    (signal) =>
      api.get<ProcessPage | ProcessTreePage>(
        apiPath('hosts', host, 'processes'),
        { sort: sort.key, order: sort.order, search: searchQ, user: userQ, tree: asTree },
        signal,
      ),
    [api, host, sort.key, sort.order, searchQ, userQ, asTree],
    intervalMs(interval),
  );

  const rows = useMemo<ProcessRow[]>(() => {
    const data = processes.data;
    if (!data) return [];
    return asTree ? treeRows((data as ProcessTreePage).items) : flatRows((data as ProcessPage).items);
  }, [processes.data, asTree]);

  const signal = async (process: ProcessInfo, sig: Signal) => {
    setDialog(null);
    await action.run(
      () =>
        api.send(
          'POST',
          apiPath('hosts', host, 'processes', process.pid, 'signal'),
          { signal: sig },
          `Send ${sig} to ${process.name} (${process.pid})`,
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
          `Renice ${process.name} (${process.pid}) to ${nice}`,
        ),
      () => `${process.name} (${process.pid}) now runs at nice ${nice}.`,
    );
    processes.reload();
  };

  const columns: Array<Column<ProcessRow>> = [
    { key: 'pid', header: 'PID', width: '80px', sortKey: 'pid', align: 'right', render: (p) => p.pid },
    {
      key: 'name',
      header: 'Name',
      width: 'minmax(120px, 1fr)',
      sortKey: 'name',
      render: (p) => (
        <span style={{ paddingLeft: p.depth * 14 }} title={p.command}>
          {p.depth > 0 && <span className={styles.branch}>└ </span>}
          {p.name}
        </span>
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
      width: '80px',
      sortKey: 'cpuPercent',
      align: 'right',
      render: (p) => formatPercent(p.cpuPercent),
    },
    {
      key: 'rss',
      header: 'Memory',
      width: '90px',
      sortKey: 'rssBytes',
      align: 'right',
      minWidth: 480,
      render: (p) => formatBytes(p.rssBytes),
    },
    {
      key: 'nice',
      header: 'Nice',
      width: '56px',
      sortKey: 'nice',
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
      width: '170px',
      sortKey: 'startTime',
      minWidth: 1100,
      render: (p) => formatTime(p.startTime),
    },
    {
      key: 'command',
      header: 'Command',
      width: 'minmax(160px, 2fr)',
      sortKey: 'command',
      minWidth: 820,
      render: (p) => <code className={styles.command}>{p.command}</code>,
    },
    {
      key: 'actions',
      header: '',
      width: '72px',
      render: (p) => (
        <span className={styles.actions}>
          <IconButton
            name="times-circle"
            tooltip={`Signal / kill ${p.name} (${p.pid})`}
            aria-label={`Signal ${p.pid}`}
            onClick={() => setDialog({ kind: 'signal', process: p })}
          />
          <IconButton
            name="sliders-v-alt"
            tooltip={`Renice ${p.name} (${p.pid})`}
            aria-label={`Renice ${p.pid}`}
            onClick={() => setDialog({ kind: 'renice', process: p })}
          />
        </span>
      ),
    },
  ];

  const total = processes.data
    ? 'processes' in processes.data
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
              {total} processes
              {processes.data ? ` · CPU over the last ${processes.data.cpuWindowSeconds.toFixed(1)} s` : ''}
            </div>
            <VirtualTable
              label="Processes"
              rows={rows}
              columns={columns}
              rowKey={(p) => String(p.pid)}
              sort={sort}
              onSort={setSort}
              height="calc(100vh - 280px)"
              rowProps={(p) => ({ 'data-testid': `process-${p.pid}` })}
            />
          </>
        )}
      </ResourceView>
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
  command: css({ fontSize: theme.typography.bodySmall.fontSize, background: 'none', padding: 0 }),
  actions: css({ display: 'inline-flex', gap: theme.spacing(0.5) }),
  summary: css({ color: theme.colors.text.secondary }),
});
