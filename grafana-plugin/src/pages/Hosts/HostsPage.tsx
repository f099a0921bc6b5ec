/**
 * The hosts this exporter acts on. Adding an SSH host fetches its host key; it stays unusable
 * until an admin compares the fingerprint (out of band, e.g. ssh-keygen -lf on the machine)
 * and approves it. A key that changes afterwards is refused, and shown here loudly.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, Button, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { Link } from 'react-router-dom';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { HostEntry, Items, NewHost } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { ActionTable, type Question } from '../../components/ActionTable';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import type { Column, RowAction } from '../../components/VirtualTable';
import { PAGES } from '../../constants';
import { useAction } from '../../hooks/useAction';
import { useSearchParam } from '../../hooks/useHost';
import { useResource } from '../../hooks/useResource';
import { AddHostDialog } from './AddHostDialog';

export function hostStatus(h: HostEntry): { color: 'green' | 'red' | 'orange' | 'darkgrey'; text: string } {
  if (h.kind === 'local') return { color: 'green', text: 'local' };
  if (h.connection?.hostKeyMismatch) return { color: 'red', text: 'HOST KEY CHANGED' };
  if (!h.approved) return { color: 'orange', text: 'awaiting key approval' };
  switch (h.connection?.state) {
    case 'ready':
      return { color: 'green', text: 'connected' };
    case 'idle':
    case undefined:
      return { color: 'green', text: 'approved, idle' };
    case 'connecting':
      return { color: 'orange', text: 'connecting' };
    case 'backoff':
      return { color: 'red', text: 'unreachable' };
    default:
      return { color: 'darkgrey', text: h.connection?.state ?? 'unknown' };
  }
}

export function HostsPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [focus] = useSearchParam('host');
  const [interval, setInterval] = useState('10s');
  const [adding, setAdding] = useState(false);
  const action = useAction();
  const isAdmin = api.route === 'admin';

  const hosts = useResource(
    (signal) => api.get<Items<HostEntry>>('/hosts', undefined, signal),
    [api],
    intervalMs(interval),
  );

  const add = async (host: NewHost) => {
    setAdding(false);
    await action.run(
      () => api.send<HostEntry>('POST', '/hosts', host, `Add host ${host.name}`),
      (h) =>
        `Added ${h.name}. Compare its key fingerprint ${h.pendingHostKey?.fingerprint ?? ''} with the machine's, then approve it.`,
    );
    hosts.reload();
  };
  // The questions a row's buttons ask before acting on that host.
  const approval = (h: HostEntry): Question => ({
    title: `Approve the host key of ${h.name}?`,
    body: (
      <>
        <p>Only approve if this is the fingerprint the machine itself shows:</p>
        <pre>
          {h.pendingHostKey?.type} {h.pendingHostKey?.fingerprint}
        </pre>
        <p>
          On the machine: <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>
        </p>
      </>
    ),
    confirmText: 'Approve',
    destructive: false,
    run: async () => {
      await action.run(
        () =>
          api.send(
            'POST',
            apiPath('hosts', h.name, 'approve'),
            { fingerprint: h.pendingHostKey?.fingerprint },
            `Approve the host key of ${h.name}`,
          ),
        () => `${h.name}'s host key is pinned; the exporter now connects to it.`,
      );
      hosts.reload();
    },
  });
  const rescanning = (h: HostEntry): Question => ({
    title: `Fetch the host key of ${h.name} again?`,
    body: (
      <p>
        Only after a legitimate change (the machine was reinstalled, its keys rotated). A different key waits
        for your approval; until then the exporter keeps refusing it.
      </p>
    ),
    confirmText: 'Fetch key',
    destructive: false,
    run: async () => {
      await action.run(
        () =>
          api.send<HostEntry>(
            'POST',
            apiPath('hosts', h.name, 'rescan'),
            undefined,
            `Fetch the host key of ${h.name} again`,
          ),
        (r) =>
          r.pendingHostKey
            ? `${r.name} now presents ${r.pendingHostKey.fingerprint}: compare it with the machine's before approving.`
            : `${r.name} presents the key already approved.`,
      );
      hosts.reload();
    },
  });
  const removal = (h: HostEntry): Question => ({
    title: `Remove ${h.name}?`,
    body: <p>The exporter stops probing and acting on it. Jobs on it will fail until it is added again.</p>,
    confirmText: 'Remove',
    run: async () => {
      await action.run(
        () => api.send('DELETE', apiPath('hosts', h.name), undefined, `Remove host ${h.name}`),
        () => `Removed ${h.name}.`,
      );
      hosts.reload();
    },
  });

  const columns: Array<Column<HostEntry>> = [
    {
      key: 'name',
      header: 'Host',
      width: 'minmax(120px, 1fr)',
      render: (h) => <Link to={`../${PAGES.processes}?host=${encodeURIComponent(h.name)}`}>{h.name}</Link>,
    },
    {
      key: 'status',
      header: 'Status',
      width: '170px',
      render: (h) => {
        const s = hostStatus(h);
        return <Badge color={s.color} text={s.text} />;
      },
    },
    {
      key: 'where',
      header: 'Address',
      width: 'minmax(140px, 1fr)',
      minWidth: 560,
      render: (h) =>
        h.kind === 'local'
          ? 'this exporter'
          : `${h.user ?? '?'}@${h.address ?? '?'}:${h.port ?? 22} (${h.privilege ?? 'root'})`,
    },
    {
      key: 'key',
      header: 'Host key',
      width: 'minmax(160px, 2fr)',
      minWidth: 820,
      render: (h) => {
        const key = h.hostKey ?? h.pendingHostKey;
        return key ? <code title={`${key.type} ${key.fingerprint}`}>{key.fingerprint}</code> : '–';
      },
    },
    {
      key: 'error',
      header: 'Last error',
      width: 'minmax(120px, 1fr)',
      minWidth: 1000,
      render: (h) => h.connection?.lastError ?? '',
    },
  ];

  const actions = (h: HostEntry, ask: (question: Question) => void): RowAction[] =>
    isAdmin && h.kind !== 'local'
      ? [
          h.pendingHostKey
            ? {
                key: 'approve',
                label: `Approve the key of ${h.name}`,
                icon: 'check',
                onClick: () => ask(approval(h)),
              }
            : {
                key: 'rescan',
                label: `Fetch the key of ${h.name} again`,
                icon: 'sync',
                onClick: () => ask(rescanning(h)),
              },
          {
            key: 'remove',
            label: `Remove ${h.name}`,
            icon: 'trash-alt',
            destructive: true,
            onClick: () => ask(removal(h)),
          },
        ]
      : [];

  return (
    <Page
      id="hosts"
      toolbar={
        <>
          {isAdmin && (
            <Button icon="plus" onClick={() => setAdding(true)}>
              Add SSH host
            </Button>
          )}
          <RefreshControl
            interval={interval}
            onIntervalChange={setInterval}
            onRefresh={hosts.reload}
            refreshing={hosts.refreshing}
          />
        </>
      }
    >
      <ActionMessage action={action} />
      <ResourceView resource={hosts} isEmpty={(l) => l.items.length === 0} emptyMessage="No hosts.">
        {(l) => (
          <>
            {l.items.some((h) => h.connection?.hostKeyMismatch) && (
              <Alert severity="error" title="A host presented a different key">
                The exporter refuses to connect to it: someone may be intercepting the connection, or the
                machine was reinstalled. Check the machine before approving its new key.
              </Alert>
            )}
            {l.items.every((h) => h.kind === 'local') && (
              <Alert severity="info" title="Only the exporter's own machine">
                {isAdmin
                  ? 'Add SSH hosts to watch and act on other machines without installing anything on them.'
                  : 'An admin can add SSH hosts.'}
              </Alert>
            )}
            <ActionTable
              label="Hosts"
              rows={l.items}
              columns={columns}
              actions={actions}
              actionSlots={2}
              testIdPrefix="host"
              rowClassName={(h) => (h.name === focus ? styles.focus : undefined)}
            />
          </>
        )}
      </ResourceView>
      {adding && <AddHostDialog onAdd={add} onDismiss={() => setAdding(false)} />}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  focus: css({ background: theme.colors.primary.transparent }),
});
