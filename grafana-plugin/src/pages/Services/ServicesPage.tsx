/**
 * Services of a host with their states; start/stop/restart/reload/enable/disable after a
 * confirmation; a drawer with details and logs. The state shown after an action is the one
 * the exporter read back from the service manager, not the one the action hoped for.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Badge, FilterInput, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { ServiceActionResult, ServiceInfo, ServicePage, ServiceVerb } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { Choice } from '../../components/Choice';
import { Confirm } from '../../components/Confirm';
import { HostPicker } from '../../components/HostPicker';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import { VirtualTable, type Column, type RowAction } from '../../components/VirtualTable';
import { useAction } from '../../hooks/useAction';
import { useDebounced } from '../../hooks/useDebounced';
import { useHost, useSearchParam } from '../../hooks/useHost';
import { useResource } from '../../hooks/useResource';
import { formatBytes, plural } from '../../utils/format';
import { ServiceLogs } from './ServiceLogs';
import { STATE_FILTERS, VERB_WORDS, availableVerbs, stateColor, stateText } from './serviceState';

export function ServicesPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [host, setHost] = useHost();
  const [search, setSearch] = useSearchParam('search');
  const [state, setState] = useSearchParam('state');
  const [interval, setInterval] = useState('10s');
  const [pending, setPending] = useState<{ service: ServiceInfo; verb: ServiceVerb } | null>(null);
  // In the address, so an alert about a unit (or a link someone sent) opens its details at once.
  const [logsOf, setLogsOf] = useSearchParam('unit');
  const action = useAction();
  const searchQ = useDebounced(search);
  const canAct = api.route === 'operator' || api.route === 'admin';

  const services = useResource(
    (signal) => api.get<ServicePage>(apiPath('hosts', host, 'services'), { search: searchQ, state }, signal),
    [api, host, searchQ, state],
    intervalMs(interval),
  );

  const act = async (service: ServiceInfo, verb: ServiceVerb) => {
    setPending(null);
    await action.run(
      () =>
        api.send<ServiceActionResult>(
          'POST',
          apiPath('hosts', host, 'services', service.name, verb),
          undefined,
          `${VERB_WORDS[verb].label} ${service.name}`,
        ),
      (r) =>
        `${VERB_WORDS[verb].label}: ${r.name} is now ${stateText(r.service)}${r.service.enabledState ? `, ${r.service.enabledState}` : ''}.`,
    );
    services.reload();
  };

  const columns: Array<Column<ServiceInfo>> = [
    {
      key: 'name',
      header: 'Service',
      width: 'minmax(140px, 1fr)',
      render: (s) => (
        <button
          type="button"
          className={styles.link}
          onClick={() => setLogsOf(s.name)}
          title="Details and logs"
        >
          {s.name}
        </button>
      ),
    },
    {
      key: 'description',
      header: 'Description',
      width: 'minmax(160px, 2fr)',
      minWidth: 760,
      render: (s) => s.description,
    },
    {
      key: 'state',
      header: 'State',
      width: '160px',
      render: (s) => <Badge color={stateColor(s)} text={stateText(s)} />,
    },
    { key: 'enabled', header: 'Boot', width: '90px', minWidth: 520, render: (s) => s.enabledState ?? '–' },
    {
      key: 'pid',
      header: 'PID',
      width: '70px',
      align: 'right',
      minWidth: 900,
      render: (s) => s.mainPid ?? '–',
    },
    {
      key: 'memory',
      header: 'Memory',
      width: '90px',
      align: 'right',
      minWidth: 1000,
      render: (s) => formatBytes(s.memoryBytes),
    },
  ];

  const actions = (s: ServiceInfo): RowAction[] => [
    ...(canAct
      ? availableVerbs(s).map((verb) => ({
          key: verb,
          label: `${VERB_WORDS[verb].label} ${s.name}`,
          icon: VERB_WORDS[verb].icon,
          destructive: VERB_WORDS[verb].destructive,
          onClick: () => setPending({ service: s, verb }),
        }))
      : []),
    {
      key: 'logs',
      label: `Details and logs of ${s.name}`,
      icon: 'file-alt',
      onClick: () => setLogsOf(s.name),
    },
  ];

  return (
    <Page
      id="services"
      toolbar={
        <>
          <HostPicker value={host} onChange={setHost} />
          <FilterInput
            placeholder="Search name or description"
            value={search}
            onChange={setSearch}
            escapeRegex={false}
            width={28}
          />
          <Choice options={STATE_FILTERS} value={state} onChange={setState} size="sm" aria-label="State" />
          <RefreshControl
            interval={interval}
            onIntervalChange={setInterval}
            onRefresh={services.reload}
            refreshing={services.refreshing}
          />
        </>
      }
    >
      <ActionMessage action={action} />
      <ResourceView
        resource={services}
        isEmpty={(page) => page.items.length === 0}
        emptyMessage={search || state ? 'No service matches these filters.' : 'This host has no services.'}
        loadingText="Asking the service manager…"
      >
        {(page) => (
          <>
            <div className={styles.summary}>
              {plural(page.total, 'service', 'services')} · {page.backend}
            </div>
            <VirtualTable
              label="Services"
              rows={page.items}
              columns={columns}
              rowKey={(s) => s.name}
              actions={actions}
              actionSlots={canAct ? 5 : 1}
              rowProps={(s) => ({ 'data-testid': `service-${s.name}` })}
            />
          </>
        )}
      </ResourceView>
      {pending && (
        <Confirm
          title={`${VERB_WORDS[pending.verb].label} ${pending.service.name}?`}
          body={
            <>
              <p>
                This {VERB_WORDS[pending.verb].explain}, on host <strong>{host}</strong>.
              </p>
              <p>Now: {stateText(pending.service)}</p>
            </>
          }
          confirmText={VERB_WORDS[pending.verb].label}
          destructive={VERB_WORDS[pending.verb].destructive}
          onConfirm={() => act(pending.service, pending.verb)}
          onDismiss={() => setPending(null)}
        />
      )}
      {logsOf && <ServiceLogs host={host} name={logsOf} onClose={() => setLogsOf('')} />}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  link: css({
    background: 'none',
    border: 'none',
    padding: 0,
    color: theme.colors.text.link,
    cursor: 'pointer',
    font: 'inherit',
    textAlign: 'left',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    maxWidth: '100%',
    minHeight: 32,
  }),
  summary: css({ color: theme.colors.text.secondary }),
});
