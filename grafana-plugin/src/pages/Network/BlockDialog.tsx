/**
 * Block an address, a network or a port, for a while or until removed, with a reason the rule
 * list and the audit log will show. Prefilled when opened from a peer's row (one click, then
 * confirm).
 */
import { Field, Input, RadioButtonGroup, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import type { BlockRequest, BlockView } from '../../api/types';
import { Choice } from '../../components/Choice';
import { Confirm } from '../../components/Confirm';

export type BlockKind = BlockView['kind'];

export interface BlockDraft {
  kind: BlockKind;
  target: string;
  protocol: NonNullable<BlockRequest['protocol']>;
  duration: string;
  reason: string;
}

export const DURATIONS = [
  { label: '15 min', value: '15m' },
  { label: '1 h', value: '1h' },
  { label: '12 h', value: '12h' },
  { label: '1 day', value: '1d' },
  { label: '7 days', value: '7d' },
  { label: 'Until removed', value: '' },
];

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** A light check before sending; the exporter validates for real (and explains). */
export function draftProblem(d: BlockDraft): string | undefined {
  const t = d.target.trim();
  if (d.reason.trim() === '') return 'Say why: the reason is shown in the rule list and the audit log';
  if (t === '') return d.kind === 'port' ? 'Which port?' : 'Which address?';
  if (d.kind === 'port') {
    const port = Number(t);
    return /^\d+$/.test(t) && port >= 1 && port <= 65535 ? undefined : 'A port is 1–65535';
  }
  if (d.kind === 'cidr') {
    const [net, prefix] = t.split('/');
    if (!net || prefix === undefined || !/^\d{1,3}$/.test(prefix))
      return 'A network looks like 203.0.113.0/24';
    return IPV4.test(net) || net.includes(':') ? undefined : 'A network looks like 203.0.113.0/24';
  }
  return IPV4.test(t) || (t.includes(':') && /^[0-9a-fA-F:.]+$/.test(t))
    ? undefined
    : 'Not an IPv4 or IPv6 address';
}

export function toRequest(d: BlockDraft): BlockRequest {
  const base = { reason: d.reason.trim(), ...(d.duration ? { duration: d.duration } : {}) };
  if (d.kind === 'port') return { ...base, port: Number(d.target), protocol: d.protocol };
  if (d.kind === 'cidr') return { ...base, cidr: d.target.trim() };
  return { ...base, address: d.target.trim() };
}

export function describeDraft(d: BlockDraft): string {
  return d.kind === 'port' ? `${d.protocol}/${d.target}` : d.target;
}

interface Props {
  host: string;
  initial: BlockDraft;
  onConfirm(draft: BlockDraft): void;
  onDismiss(): void;
}

export function BlockDialog({ host, initial, onConfirm, onDismiss }: Props) {
  const [draft, setDraft] = useState(initial);
  const problem = draftProblem(draft);
  const set = (patch: Partial<BlockDraft>) => setDraft((d) => ({ ...d, ...patch }));
  return (
    <Confirm
      title={`Block on ${host}`}
      confirmText={problem ? 'Block' : `Block ${describeDraft(draft)}`}
      disabled={problem !== undefined}
      onConfirm={() => problem === undefined && onConfirm(draft)}
      onDismiss={onDismiss}
      body={
        <Stack direction="column" gap={1}>
          <div data-testid="block-dialog">
            <Field label="What">
              <RadioButtonGroup<BlockKind>
                options={[
                  { label: 'Address', value: 'address' },
                  { label: 'Network', value: 'cidr' },
                  { label: 'Port', value: 'port' },
                ]}
                value={draft.kind}
                onChange={(kind) => set({ kind })}
              />
            </Field>
            <Stack gap={1}>
              <Field label={draft.kind === 'port' ? 'Port' : draft.kind === 'cidr' ? 'Network' : 'Address'}>
                <Input
                  id="hyperion-block-target"
                  value={draft.target}
                  width={28}
                  placeholder={
                    draft.kind === 'port' ? '8080' : draft.kind === 'cidr' ? '203.0.113.0/24' : '203.0.113.7'
                  }
                  onChange={(e) => set({ target: e.currentTarget.value })}
                />
              </Field>
              {draft.kind === 'port' && (
                <Field label="Protocol">
                  <RadioButtonGroup<BlockDraft['protocol']>
                    options={[
                      { label: 'TCP', value: 'tcp' },
                      { label: 'UDP', value: 'udp' },
                    ]}
                    value={draft.protocol}
                    onChange={(protocol) => set({ protocol })}
                  />
                </Field>
              )}
            </Stack>
            <Field label="For how long">
              <Choice options={DURATIONS} value={draft.duration} onChange={(duration) => set({ duration })} />
            </Field>
            <Field label="Reason" invalid={draft.reason.trim() === ''}>
              <Input
                id="hyperion-block-reason"
                value={draft.reason}
                maxLength={200}
                onChange={(e) => set({ reason: e.currentTarget.value })}
              />
            </Field>
            {problem && <div role="alert">{problem}</div>}
          </div>
        </Stack>
      }
    />
  );
}
