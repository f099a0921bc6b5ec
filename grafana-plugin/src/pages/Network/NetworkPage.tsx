/**
 * Network and firewall of a host: interfaces with live rates, connections grouped by remote
 * address with a one-click block, and Hyperion's block list with the time left and unblock.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, Button, Icon, Tooltip, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type {
  BlockView,
  ConnectionSummary,
  FirewallView,
  InterfaceList,
  NetworkInterface,
  PeerSummary,
} from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { Confirm } from '../../components/Confirm';
import { HostPicker } from '../../components/HostPicker';
import { Page } from '../../components/Page';
import { RefreshControl, intervalMs } from '../../components/RefreshControl';
import { ResourceView } from '../../components/States';
import { VirtualTable, type Column, type RowAction } from '../../components/VirtualTable';
import { useAction } from '../../hooks/useAction';
import { useHost } from '../../hooks/useHost';
import { useResource } from '../../hooks/useResource';
import { formatDuration, formatFullTime, formatRate, formatTime, plural } from '../../utils/format';
import { BlockDialog, describeDraft, toRequest, type BlockDraft } from './BlockDialog';

const NEW_BLOCK: BlockDraft = { kind: 'address', target: '', protocol: 'tcp', duration: '1h', reason: '' };

export function blockTarget(b: BlockView): string {
  return b.kind === 'port' ? `${b.protocol}/${b.port}` : (b.address ?? b.cidr ?? '?');
}

export function NetworkPage() {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [host, setHost] = useHost();
  const [interval, setInterval] = useState('5s');
  const [blocking, setBlocking] = useState<BlockDraft | null>(null);
  const [unblocking, setUnblocking] = useState<BlockView | null>(null);
  const action = useAction();
  const every = intervalMs(interval);
  const canAct = api.route === 'operator' || api.route === 'admin';

  const interfaces = useResource(
    (signal) => api.get<InterfaceList>(apiPath('hosts', host, 'network', 'interfaces'), undefined, signal),
    [api, host],
    every,
  );
  const peers = useResource(
    (signal) =>
      api.get<ConnectionSummary>(
        apiPath('hosts', host, 'network', 'connections', 'summary'),
        undefined,
        signal,
      ),
    [api, host],
    every,
  );
  const firewall = useResource(
    (signal) => api.get<FirewallView>(apiPath('hosts', host, 'firewall'), undefined, signal),
    [api, host],
    every,
  );
  const reload = () => {
    interfaces.reload();
    peers.reload();
    firewall.reload();
  };

  const block = async (draft: BlockDraft) => {
    setBlocking(null);
    await action.run(
      () =>
        api.send(
          'POST',
          apiPath('hosts', host, 'firewall', 'blocks'),
          toRequest(draft),
          `Block ${describeDraft(draft)} on ${host}`,
        ),
      () => `Blocked ${describeDraft(draft)}${draft.duration ? ` for ${draft.duration}` : ' until removed'}.`,
    );
    firewall.reload();
  };
  const unblock = async (b: BlockView) => {
    setUnblocking(null);
    await action.run(
      () =>
        api.send(
          'DELETE',
          apiPath('hosts', host, 'firewall', 'blocks', b.id),
          undefined,
          `Unblock ${blockTarget(b)} on ${host}`,
        ),
      () => `Unblocked ${blockTarget(b)}.`,
    );
    firewall.reload();
  };

  const ifColumns: Array<Column<NetworkInterface>> = [
    { key: 'name', header: 'Interface', width: 'minmax(90px, 1fr)', render: (i) => i.name },
    {
      key: 'state',
      header: 'State',
      width: '90px',
      render: (i) => (
        <Badge
          color={i.state === 'up' ? 'green' : i.state === 'down' ? 'red' : 'darkgrey'}
          text={i.state ?? '?'}
        />
      ),
    },
    {
      key: 'addresses',
      header: 'Addresses',
      width: 'minmax(160px, 2fr)',
      minWidth: 700,
      render: (i) => i.addresses.map((a) => `${a.address}/${a.prefixLength}`).join(', ') || '–',
    },
    {
      key: 'rx',
      header: 'Receive',
      width: '100px',
      align: 'right',
      render: (i) => formatRate(i.rates?.rxBytes),
    },
    {
      key: 'tx',
      header: 'Send',
      width: '100px',
      align: 'right',
      render: (i) => formatRate(i.rates?.txBytes),
    },
    {
      key: 'errors',
      header: 'Errors',
      width: '80px',
      align: 'right',
      minWidth: 900,
      render: (i) => i.counters.rxErrors + i.counters.txErrors,
    },
  ];

  const peerColumns: Array<Column<PeerSummary>> = [
    {
      key: 'remote',
      header: 'Remote address',
      width: 'minmax(140px, 1fr)',
      render: (p) => <code>{p.remoteAddress}</code>,
    },
    { key: 'count', header: 'Conns', width: '70px', align: 'right', render: (p) => p.connections },
    {
      key: 'protected',
      header: '',
      width: '32px',
      render: (p) =>
        p.protected ? (
          <Tooltip content={`Not blockable: ${p.protected}`}>
            <span role="img" aria-label={`${p.remoteAddress} cannot be blocked: ${p.protected}`}>
              <Icon name="shield" />
            </span>
          </Tooltip>
        ) : null,
    },
    {
      key: 'states',
      header: 'States',
      width: 'minmax(140px, 1fr)',
      minWidth: 760,
      render: (p) =>
        Object.entries(p.states)
          .map(([s, n]) => `${s} ${n}`)
          .join(', '),
    },
    {
      key: 'ports',
      header: 'Our ports',
      width: 'minmax(100px, 1fr)',
      minWidth: 560,
      render: (p) => p.localPorts.join(', '),
    },
  ];

  const peerActions = (p: PeerSummary): RowAction[] =>
    canAct && !p.protected
      ? [
          {
            key: 'block',
            label: `Block ${p.remoteAddress}`,
            icon: 'ban',
            destructive: true,
            onClick: () =>
              setBlocking({
                ...NEW_BLOCK,
                target: p.remoteAddress,
                reason: `suspicious peer (${plural(p.connections, 'connection', 'connections')})`,
              }),
          },
        ]
      : [];

  const blockColumns: Array<Column<BlockView>> = [
    {
      key: 'target',
      header: 'Blocked',
      width: 'minmax(130px, 1fr)',
      render: (b) => <code>{blockTarget(b)}</code>,
    },
    { key: 'reason', header: 'Reason', width: 'minmax(140px, 2fr)', minWidth: 600, render: (b) => b.reason },
    { key: 'actor', header: 'By', width: '110px', minWidth: 760, render: (b) => b.actor },
    {
      key: 'created',
      header: 'Since',
      width: '170px',
      minWidth: 1000,
      render: (b) => <span title={formatFullTime(b.createdAt)}>{formatTime(b.createdAt)}</span>,
    },
    {
      key: 'left',
      header: 'Time left',
      width: '100px',
      render: (b) => (b.remainingSeconds === null ? 'until removed' : formatDuration(b.remainingSeconds)),
    },
    {
      key: 'enforced',
      header: 'Kernel',
      width: '90px',
      minWidth: 860,
      render: (b) =>
        b.enforced === null ? (
          '?'
        ) : (
          <Badge color={b.enforced ? 'green' : 'orange'} text={b.enforced ? 'enforced' : 'missing'} />
        ),
    },
  ];

  const blockActions = (b: BlockView): RowAction[] =>
    canAct
      ? [
          {
            key: 'unblock',
            label: `Unblock ${blockTarget(b)}`,
            icon: 'unlock',
            onClick: () => setUnblocking(b),
          },
        ]
      : [];

  return (
    <Page
      id="network"
      toolbar={
        <>
          <HostPicker value={host} onChange={setHost} />
          {canAct && (
            <Button icon="ban" variant="destructive" onClick={() => setBlocking(NEW_BLOCK)}>
              Block…
            </Button>
          )}
          <RefreshControl
            interval={interval}
            onIntervalChange={setInterval}
            onRefresh={reload}
            refreshing={firewall.refreshing}
          />
        </>
      }
    >
      <ActionMessage action={action} />
      <section className={styles.section}>
        <h3>Firewall</h3>
        <ResourceView
          resource={firewall}
          isEmpty={(f) => f.blocks.length === 0}
          emptyMessage="Nothing is blocked."
        >
          {(f) => (
            <>
              {f.status !== 'in-sync' && f.status !== 'absent' && (
                <Alert severity="warning" title={`The firewall is ${f.status}`}>
                  {f.problems.join('; ') ||
                    'The kernel does not hold what Hyperion expects; it is being reconciled.'}
                </Alert>
              )}
              <div data-testid="firewall-blocks">
                <VirtualTable
                  label="Blocks"
                  rows={f.blocks}
                  columns={blockColumns}
                  rowKey={(b) => b.id}
                  actions={blockActions}
                  actionSlots={1}
                  maxHeight={400}
                  rowProps={(b) => ({ 'data-testid': `block-${blockTarget(b)}` })}
                />
              </div>
            </>
          )}
        </ResourceView>
      </section>
      <section className={styles.section}>
        <h3>Connections by remote address</h3>
        <ResourceView
          resource={peers}
          isEmpty={(s) => s.peers.length === 0}
          emptyMessage="No connections with a remote end."
        >
          {(s) => (
            <VirtualTable
              label="Peers"
              rows={s.peers}
              columns={peerColumns}
              rowKey={(p) => p.remoteAddress}
              actions={peerActions}
              actionSlots={1}
              maxHeight={420}
              rowProps={(p) => ({ 'data-testid': `peer-${p.remoteAddress}` })}
            />
          )}
        </ResourceView>
      </section>
      <section className={styles.section}>
        <h3>Interfaces</h3>
        <ResourceView
          resource={interfaces}
          isEmpty={(l) => l.items.length === 0}
          emptyMessage="No interfaces."
        >
          {(l) => (
            <VirtualTable
              label="Interfaces"
              rows={l.items}
              columns={ifColumns}
              rowKey={(i) => i.name}
              maxHeight={360}
              rowProps={(i) => ({ 'data-testid': `interface-${i.name}` })}
            />
          )}
        </ResourceView>
      </section>
      {blocking && (
        <BlockDialog host={host} initial={blocking} onConfirm={block} onDismiss={() => setBlocking(null)} />
      )}
      {unblocking && (
        <Confirm
          title={`Unblock ${blockTarget(unblocking)}?`}
          body={
            <p>
              Traffic from {blockTarget(unblocking)} will be accepted again on {host}.
            </p>
          }
          confirmText="Unblock"
          onConfirm={() => unblock(unblocking)}
          onDismiss={() => setUnblocking(null)}
        />
      )}
    </Page>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
});
