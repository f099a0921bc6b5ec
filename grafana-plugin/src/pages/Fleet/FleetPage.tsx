/**
 * Processes or services across every host (or the hosts a name or label filter picks), in one
 * table with a host column. Rows checked on any host are acted on together: one confirmation
 * that lists every target, then each target in turn, with the outcome of each — which
 * succeeded, which did not, and why.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Checkbox, FilterInput, Input, useStyles2 } from '@grafana/ui';
import React, { useMemo, useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import { toApiError } from '../../api/errors';
import {
  SIGNALS,
  type HostEntry,
  type Items,
  type ProcessInfo,
  type ProcessPage,
  type ServiceActionResult,
  type ServiceInfo,
  type ServicePage,
  type ServiceVerb,
  type Signal,
} from '../../api/types';
import { Choice } from '../../components/Choice';
import { Confirm } from '../../components/Confirm';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { Empty, Loading } from '../../components/States';
import { VirtualTable, sortRows, type Column, type Sort } from '../../components/VirtualTable';
import { useDebounced } from '../../hooks/useDebounced';
import { useSearchParam } from '../../hooks/useHost';
import { useResource } from '../../hooks/useResource';
import { formatBytes, formatPercent, plural } from '../../utils/format';
import { whyNoActions } from '../Processes/processRows';
import { VERB_WORDS, stateText } from '../Services/serviceState';
import { pickHosts, runOnEach, type TargetOutcome } from './fleetActions';

type Kind = 'processes' | 'services';

interface Row {
  key: string;
  host: string;
  process?: ProcessInfo;
  service?: ServiceInfo;
  /** Why this row cannot be acted on, if it cannot. */
  locked?: string;
}

interface Found {
  rows: Row[];
  failures: { host: string; message: string }[];
  hosts: number;
}

/** At most this many hosts are asked at once. */
const PARALLEL_HOSTS = 4;

async function eachHost<T>(hosts: readonly HostEntry[], ask: (h: HostEntry) => Promise<T>) {
  const results: PromiseSettledResult<T>[] = new Array(hosts.length);
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++;
      results[i] = await ask(hosts[i]!).then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_HOSTS, hosts.length) }, worker));
  return results;
}

const SERVICE_VERBS: ServiceVerb[] = ['restart', 'stop', 'start', 'reload', 'enable', 'disable'];

export function FleetPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [kind, setKind] = useSearchParam('kind', 'services');
  const [search, setSearch] = useSearchParam('search');
  const [hostFilter, setHostFilter] = useSearchParam('hosts');
  const [interval, setInterval] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [asking, setAsking] = useState(false);
  const [signal, setSignal] = useState<Signal>('TERM');
  const [verb, setVerb] = useState<ServiceVerb>('restart');
  const [outcomes, setOutcomes] = useState<TargetOutcome[] | null>(null);
  const [running, setRunning] = useState(false);
  const [sort, setSort] = useState<Sort>({ key: 'host', order: 'asc' });
  const searchQ = useDebounced(search);
  const hostsQ = useDebounced(hostFilter);
  const canAct = api.route === 'operator' || api.route === 'admin';
  const what = (kind === 'processes' ? 'processes' : 'services') as Kind;

  const found = useResource<Found>(
    async (abort) => {
      const all = await api.get<Items<HostEntry>>('/hosts', undefined, abort);
      const hosts = pickHosts(all.items, hostsQ);
      const answers = await eachHost<ProcessPage | ServicePage>(hosts, (h) =>
        what === 'processes'
          ? api.get<ProcessPage>(apiPath('hosts', h.name, 'processes'), { search: searchQ }, abort)
          : api.get<ServicePage>(apiPath('hosts', h.name, 'services'), { search: searchQ }, abort),
      );
      const rows: Row[] = [];
      const failures: Found['failures'] = [];
      answers.forEach((answer, i) => {
        const host = hosts[i]!.name;
        if (answer.status === 'rejected') {
          failures.push({ host, message: toApiError(answer.reason).message });
        } else if (what === 'processes') {
          const page = answer.value as ProcessPage;
          for (const p of page.items) {
            const locked = whyNoActions(p, page.exporterPid);
            rows.push({ key: `${host}/${p.pid}`, host, process: p, ...(locked ? { locked } : {}) });
          }
        } else {
          for (const s of (answer.value as ServicePage).items)
            rows.push({ key: `${host}/${s.name}`, host, service: s });
        }
      });
      return { rows, failures, hosts: hosts.length };
    },
    [api, what, searchQ, hostsQ],
    intervalMs(interval),
  );

  const rows = useMemo(
    () =>
      sortRows(found.data?.rows ?? [], sort, (r, key) => {
        if (key === 'host') return `${r.host}/${r.process?.name ?? r.service?.name}`;
        if (key === 'name') return r.process?.name ?? r.service?.name;
        if (key === 'cpu') return r.process?.cpuPercent;
        if (key === 'memory') return r.process?.rssBytes ?? r.service?.memoryBytes ?? null;
        return r.service ? stateText(r.service) : r.process?.state;
      }),
    [found.data, sort],
  );
  const chosen = rows.filter((r) => selected.has(r.key) && !r.locked);
  const targetName = (r: Row) =>
    r.process ? `${r.host} · ${r.process.name} (${r.process.pid})` : `${r.host} · ${r.service!.name}`;
  const actionWords = what === 'processes' ? `Send ${signal} to` : `${VERB_WORDS[verb].label}`;

  const run = async () => {
    setAsking(false);
    setRunning(true);
    setOutcomes([]);
    await runOnEach(
      chosen,
      targetName,
      async (r) => {
        if (r.process) {
          await api.send(
            'POST',
            apiPath('hosts', r.host, 'processes', r.process.pid, 'signal'),
            { signal },
            `Send ${signal} to ${r.process.name} (${r.process.pid}) on ${r.host}`,
          );
          return `sent ${signal}`;
        }
        const result = await api.send<ServiceActionResult>(
          'POST',
          apiPath('hosts', r.host, 'services', r.service!.name, verb),
          undefined,
          `${VERB_WORDS[verb].label} ${r.service!.name} on ${r.host}`,
        );
        return `now ${stateText(result.service)}${result.service.enabledState ? `, ${result.service.enabledState}` : ''}`;
      },
      setOutcomes,
    );
    setRunning(false);
    setSelected(new Set());
    found.reload();
  };

  const columns: Array<Column<Row>> = [
    {
      key: 'select',
      header: '',
      width: '40px',
      render: (r) =>
        canAct ? (
          <Checkbox
            value={selected.has(r.key)}
            disabled={r.locked !== undefined}
            title={r.locked}
            aria-label={`Select ${targetName(r)}`}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              setSelected((s) => {
                const next = new Set(s);
                if (on) next.add(r.key);
                else next.delete(r.key);
                return next;
              });
            }}
          />
        ) : null,
    },
    { key: 'host', header: 'Host', width: 'minmax(80px, 0.8fr)', sortKey: 'host', render: (r) => r.host },
    {
      key: 'name',
      header: what === 'processes' ? 'Process' : 'Service',
      width: 'minmax(120px, 1.5fr)',
      sortKey: 'name',
      render: (r) =>
        r.process ? (
          <span title={r.process.command}>
            {r.process.name} <span className={styles.dim}>({r.process.pid})</span>
          </span>
        ) : (
          <span title={r.service!.description}>{r.service!.name}</span>
        ),
    },
    {
      key: 'state',
      header: 'State',
      width: '150px',
      sortKey: 'state',
      minWidth: 480,
      render: (r) => (r.service ? stateText(r.service) : r.process!.state),
    },
    ...(what === 'processes'
      ? [
          {
            key: 'cpu',
            header: 'CPU',
            width: '80px',
            align: 'right' as const,
            sortKey: 'cpu',
            render: (r: Row) => formatPercent(r.process?.cpuPercent),
          },
        ]
      : []),
    {
      key: 'memory',
      header: 'Memory',
      width: '96px',
      align: 'right',
      sortKey: 'memory',
      minWidth: 560,
      render: (r) => formatBytes(r.process?.rssBytes ?? r.service?.memoryBytes ?? null),
    },
  ];

  return (
    <Page
      id="fleet"
      toolbar={
        <>
          <Choice
            aria-label="What"
            options={[
              { label: 'Services', value: 'services' },
              { label: 'Processes', value: 'processes' },
            ]}
            value={what}
            onChange={(k) => {
              setSelected(new Set());
              setKind(k);
            }}
          />
          <FilterInput
            placeholder={what === 'processes' ? 'Search name or command' : 'Search name or description'}
            value={search}
            onChange={setSearch}
            escapeRegex={false}
            width={26}
            data-testid="fleet-search"
          />
          <Input
            aria-label="Hosts"
            placeholder="All hosts (name, or label=value)"
            value={hostFilter}
            width={28}
            onChange={(e) => setHostFilter(e.currentTarget.value)}
          />
          <RefreshControl
            interval={interval}
            onIntervalChange={setInterval}
            onRefresh={found.reload}
            refreshing={found.refreshing}
          />
        </>
      }
    >
      {outcomes && (
        <div data-testid="fleet-outcomes">
          <Alert
            severity={
              running
                ? 'info'
                : outcomes.every((o) => o.ok)
                  ? 'success'
                  : outcomes.some((o) => o.ok)
                    ? 'warning'
                    : 'error'
            }
            title={
              running
                ? `Working… ${outcomes.length} done`
                : `${outcomes.filter((o) => o.ok).length} of ${plural(outcomes.length, 'target', 'targets')} succeeded`
            }
            onRemove={running ? undefined : () => setOutcomes(null)}
          >
            <ul className={styles.list}>
              {outcomes.map((o) => (
                <li key={o.target} data-testid={`outcome-${o.target}`} data-ok={o.ok}>
                  {o.ok ? '✓' : '✗'} {o.target}: {o.message}
                </li>
              ))}
            </ul>
          </Alert>
        </div>
      )}
      {found.data && found.data.failures.length > 0 && (
        <Alert severity="warning" title="Some hosts did not answer">
          {found.data.failures.map((f) => (
            <div key={f.host}>
              {f.host}: {f.message}
            </div>
          ))}
        </Alert>
      )}
      {canAct && chosen.length > 0 && (
        <div className={styles.bar} data-testid="fleet-selection">
          <span>
            {plural(chosen.length, 'target', 'targets')} on{' '}
            {plural(new Set(chosen.map((c) => c.host)).size, 'host', 'hosts')}
          </span>
          {what === 'processes' ? (
            <Choice
              options={SIGNALS.map((s) => ({ label: s, value: s }))}
              value={signal}
              onChange={setSignal}
              size="sm"
            />
          ) : (
            <Choice
              options={SERVICE_VERBS.map((v) => ({ label: VERB_WORDS[v].label, value: v }))}
              value={verb}
              onChange={setVerb}
              size="sm"
            />
          )}
          <Button variant="destructive" disabled={running} onClick={() => setAsking(true)}>
            {actionWords}…
          </Button>
          <Button variant="secondary" fill="text" onClick={() => setSelected(new Set())}>
            Clear
          </Button>
        </div>
      )}
      {found.loading && !found.data ? (
        <Loading text="Asking every host…" />
      ) : found.error ? (
        <Alert severity="error" title="The exporter did not answer">
          {found.error.message}
        </Alert>
      ) : rows.length === 0 ? (
        <Empty message={`No ${what} match on ${plural(found.data?.hosts ?? 0, 'host', 'hosts')}.`} />
      ) : (
        <>
          <div className={styles.dim} data-testid="fleet-count">
            {plural(rows.length, what === 'processes' ? 'process' : 'service', what)} on{' '}
            {plural(found.data?.hosts ?? 0, 'host', 'hosts')}
          </div>
          <VirtualTable
            label={`${what} across hosts`}
            rows={rows}
            columns={columns}
            rowKey={(r) => r.key}
            sort={sort}
            onSort={setSort}
            rowProps={(r) => ({ 'data-testid': `fleet-${r.key}` })}
          />
        </>
      )}
      {asking && (
        <Confirm
          title={`${actionWords} ${plural(chosen.length, 'target', 'targets')}?`}
          body={
            <>
              <p>
                {what === 'processes'
                  ? `Each of these processes gets SIG${signal}.`
                  : `This ${VERB_WORDS[verb].explain}, on each of these:`}
              </p>
              <ul data-testid="fleet-targets" className={styles.list}>
                {chosen.map((c) => (
                  <li key={c.key}>{targetName(c)}</li>
                ))}
              </ul>
              <p className={styles.dim}>
                Each target is one request; the exporter asks for a one-time code whenever it needs one.
              </p>
            </>
          }
          confirmText={`${actionWords} ${chosen.length}`}
          onConfirm={run}
          onDismiss={() => setAsking(false)}
        />
      )}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  dim: css({ color: theme.colors.text.secondary }),
  list: css({ margin: 0, paddingLeft: theme.spacing(2), maxHeight: 240, overflowY: 'auto' }),
  bar: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: theme.spacing(1) }),
});
