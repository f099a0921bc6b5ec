/** The audit log, newest first: who did what, where, with which second factor, and the outcome. */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Badge, Button, Drawer, FilterInput, InlineField, useStyles2 } from '@grafana/ui';
import React, { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useApi } from '../../api/ApiContext';
import type { AuditPage as Page_, AuditRecord } from '../../api/types';
import { Choice } from '../../components/Choice';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import { VirtualTable, type Column, type RowAction } from '../../components/VirtualTable';
import { useDebounced } from '../../hooks/useDebounced';
import { useSearchParamsUpdate } from '../../hooks/useHost';
import { useResource } from '../../hooks/useResource';
import { formatFullTime, formatTime, plural } from '../../utils/format';

const PAGE_SIZE = 200;

const RESULTS = [
  { label: 'All', value: '' },
  { label: 'OK', value: 'ok' },
  { label: 'Refused', value: 'refused' },
  { label: 'Failed', value: 'failed' },
];

/** "2024-05-01" or "2024-05-01T10:00" → ISO 8601 with the browser's offset, or undefined. */
export function toIsoTime(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const FILTERS = ['actor', 'action', 'host', 'result', 'since', 'search'] as const;
type AuditFilters = Record<(typeof FILTERS)[number], string>;

/** The filters typed as free text (sent as typed: the exporter matches substrings). */
const TEXT_FILTERS: { name: keyof AuditFilters; placeholder: string; width: number }[] = [
  { name: 'search', placeholder: 'Search', width: 20 },
  { name: 'actor', placeholder: 'Who', width: 16 },
  { name: 'action', placeholder: 'Action, e.g. process.signal', width: 26 },
  { name: 'host', placeholder: 'Host', width: 16 },
];

function readFilters(params: URLSearchParams): AuditFilters {
  return Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as AuditFilters;
}

export function AuditPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  // The filters are this page's state, mirrored into the address (a link shows the same view) in
  // one navigation: a setter per box would compute each change from an address another box has
  // just changed, and lose one of them.
  const [params] = useSearchParams();
  const [filters, setFilters] = useState<AuditFilters>(() => readFilters(params));
  const writeAddress = useSearchParamsUpdate();
  useEffect(() => writeAddress({ ...filters }), [filters, writeAddress]);
  const { actor, action: actionName, host, result, since, search } = filters;
  // The cursors of the pages walked through so far: [newest page, next older…]. The log is read
  // backwards from where the previous page ended, never counted whole.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [interval, setInterval] = useState('');
  const [shown, setShown] = useState<AuditRecord | null>(null);
  // A string, so the debounce compares values (a new object each render would never settle).
  const filterKey = useDebounced(
    JSON.stringify({ actor, action: actionName, host, result, search, since: toIsoTime(since) }),
  );

  const records = useResource(
    (signal) =>
      api.get<Page_>(
        '/audit',
        { ...(JSON.parse(filterKey) as Record<string, string>), cursor, limit: PAGE_SIZE },
        signal,
      ),
    [api, filterKey, cursor],
    intervalMs(interval),
  );

  const columns: Array<Column<AuditRecord>> = [
    {
      key: 'time',
      header: 'Time',
      width: '130px',
      render: (r) => <span title={formatFullTime(r.time)}>{formatTime(r.time)}</span>,
    },
    {
      key: 'actor',
      header: 'Who',
      width: 'minmax(100px, 1fr)',
      render: (r) => (
        <span title={`token ${r.tokenName ?? '?'}, ${r.role ?? '?'}${r.viaGrafana ? ', via Grafana' : ''}`}>
          {r.actor ?? '–'}
        </span>
      ),
    },
    { key: 'action', header: 'Action', width: '130px', render: (r) => <code>{r.action}</code> },
    { key: 'host', header: 'Host', width: '90px', minWidth: 700, render: (r) => r.host ?? '–' },
    {
      key: 'target',
      header: 'Target',
      width: 'minmax(120px, 1.5fr)',
      minWidth: 560,
      render: (r) => r.target ?? '–',
    },
    {
      key: 'otp',
      header: '2FA',
      width: '70px',
      minWidth: 820,
      render: (r) => (r.secondFactor ? r.secondFactor.method : r.otpUsed ? 'yes' : '–'),
    },
    {
      key: 'result',
      header: 'Result',
      width: '90px',
      render: (r) => (
        <Badge
          color={r.result === 'ok' ? 'green' : r.result === 'refused' ? 'orange' : 'red'}
          text={`${r.result} ${r.status}`}
        />
      ),
    },
    {
      key: 'error',
      header: 'Why',
      width: 'minmax(120px, 2fr)',
      minWidth: 1000,
      render: (r) => <span title={r.error ?? undefined}>{r.error ?? ''}</span>,
    },
  ];

  const actions = (r: AuditRecord): RowAction[] => [
    {
      key: 'details',
      label: `Details of ${r.action} at ${formatTime(r.time)}`,
      icon: 'info-circle',
      onClick: () => setShown(r),
    },
  ];

  const setFilter = (name: keyof AuditFilters) => (value: string) => {
    setCursors([undefined]);
    setFilters((current) => ({ ...current, [name]: value }));
  };

  return (
    <Page
      id="audit"
      toolbar={
        <>
          {TEXT_FILTERS.map((f) => (
            <FilterInput
              key={f.name}
              placeholder={f.placeholder}
              value={filters[f.name]}
              onChange={setFilter(f.name)}
              escapeRegex={false}
              width={f.width}
              data-testid={`audit-${f.name}`}
            />
          ))}
          <Choice
            options={RESULTS}
            value={result}
            onChange={setFilter('result')}
            size="sm"
            aria-label="Result"
          />
          <InlineField label="Since" className={styles.since}>
            <input
              id="hyperion-audit-since"
              type="datetime-local"
              className={styles.sinceInput}
              value={since}
              onChange={(e) => setFilter('since')(e.currentTarget.value)}
            />
          </InlineField>
          <RefreshControl
            interval={interval}
            onIntervalChange={setInterval}
            onRefresh={records.reload}
            refreshing={records.refreshing}
          />
        </>
      }
    >
      <ResourceView
        resource={records}
        isEmpty={(p) => p.items.length === 0}
        emptyMessage="No audit record matches."
      >
        {(p) => (
          <>
            <VirtualTable
              label="Audit log"
              rows={p.items}
              columns={columns}
              rowKey={(r) => `${r.time}|${r.action}|${r.target ?? ''}|${r.actor ?? ''}|${r.status}`}
              actions={actions}
              actionSlots={1}
              rowProps={(r) => ({ 'data-testid': `audit-${r.action}` })}
            />
            <div className={styles.pager}>
              <span data-testid="audit-range">
                Page {cursors.length}: {plural(p.items.length, 'record', 'records')}
                {p.nextCursor === null ? ', the oldest' : ''}
              </span>
              <Button
                size="sm"
                variant="secondary"
                disabled={cursors.length === 1}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Newer
              </Button>
              <Button
                size="sm"
                variant="secondary"
                disabled={p.nextCursor === null}
                onClick={() => p.nextCursor !== null && setCursors([...cursors, p.nextCursor])}
              >
                Older
              </Button>
            </div>
          </>
        )}
      </ResourceView>
      {shown && (
        <Drawer
          title={`${shown.action} at ${formatFullTime(shown.time)}`}
          onClose={() => setShown(null)}
          size="md"
        >
          <pre data-testid="audit-record">{JSON.stringify(shown, null, 2)}</pre>
        </Drawer>
      )}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  pager: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    color: theme.colors.text.secondary,
  }),
  since: css({ marginRight: 0 }),
  // The browser's own date-time field, sized to what it shows (Grafana's Input clipped it over
  // the next control); looks like Grafana's inputs.
  sinceInput: css({
    height: theme.spacing(theme.components.height.md),
    padding: theme.spacing(0, 1),
    background: theme.components.input.background,
    color: theme.components.input.text,
    border: `1px solid ${theme.components.input.borderColor}`,
    borderRadius: theme.shape.radius.default,
    font: 'inherit',
    colorScheme: theme.isDark ? 'dark' : 'light',
  }),
});
