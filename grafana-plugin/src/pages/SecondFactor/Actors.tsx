/**
 * Administrators: the people with a second factor, those part-way through enrolling, and those
 * waiting for an enrolment code (they asked to enrol without one). From here an admin issues a
 * person's enrolment code — shown once, to hand over in person or by a trusted channel — and
 * resets a lost second factor. Both are actions: they need the admin's own code, and are audited.
 */
import { Alert, Badge, Button, ClipboardButton, Field, Input, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import type { ActorSummary, IssuedEnrolmentCode, Items } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { Confirm } from '../../components/Confirm';
import { ResourceView } from '../../components/States';
import { VirtualTable, type Column, type RowAction } from '../../components/VirtualTable';
import { useAction } from '../../hooks/useAction';
import { useResource } from '../../hooks/useResource';
import { formatFullTime, formatTime } from '../../utils/format';

const STATE_BADGE: Record<ActorSummary['state'], { color: 'green' | 'orange' | 'blue'; text: string }> = {
  enrolled: { color: 'green', text: 'enrolled' },
  pending: { color: 'orange', text: 'enrolling' },
  waiting: { color: 'blue', text: 'waiting for a code' },
};

function IssuedCode({ issued, onClose }: { issued: IssuedEnrolmentCode; onClose(): void }) {
  return (
    <Alert
      severity="info"
      title={`Enrolment code for ${issued.name}: shown this once`}
      data-testid="issued-code"
      onRemove={onClose}
    >
      <p>
        Give it to {issued.name} ({issued.actor}) yourself. It works once, for that person only, until{' '}
        {formatFullTime(issued.expiresAt)}.
      </p>
      <Stack alignItems="center" gap={1}>
        <code data-testid="issued-code-value">{issued.code}</code>
        <ClipboardButton icon="copy" size="sm" variant="secondary" getText={() => issued.code}>
          Copy
        </ClipboardButton>
      </Stack>
    </Alert>
  );
}

export function Actors() {
  const api = useApi();
  const actors = useResource(
    (signal) => api.get<Items<ActorSummary>>('/auth/actors', undefined, signal),
    [api],
  );
  const action = useAction();
  const [issued, setIssued] = useState<IssuedEnrolmentCode | null>(null);
  const [resetting, setResetting] = useState<ActorSummary | null>(null);
  const [key, setKey] = useState('');
  const [name, setName] = useState('');

  const issue = async (actor: string, forName: string) => {
    setIssued(null);
    const result = await action.run(
      () =>
        api.send<IssuedEnrolmentCode>(
          'POST',
          '/auth/enrolment-codes',
          { actor, name: forName },
          `Issue an enrolment code for ${forName}`,
        ),
      (r) => `Issued an enrolment code for ${r.name}.`,
    );
    if (result) {
      setIssued(result);
      actors.reload();
    }
  };
  const reset = async (actor: ActorSummary) => {
    setResetting(null);
    const done = await action.run(
      () =>
        api.send('POST', '/auth/otp/reset', { actor: actor.key }, `Reset the second factor of ${actor.name}`),
      () => `${actor.name} has no second factor any more: issue them an enrolment code to enrol again.`,
    );
    if (done) actors.reload();
  };

  const columns: Array<Column<ActorSummary>> = [
    { key: 'name', header: 'Who', width: 'minmax(120px, 1fr)', render: (a) => a.name },
    {
      key: 'key',
      header: 'Identity',
      width: 'minmax(120px, 1fr)',
      minWidth: 640,
      render: (a) => <code>{a.key}</code>,
    },
    {
      key: 'state',
      header: 'State',
      width: '150px',
      render: (a) => <Badge color={STATE_BADGE[a.state].color} text={STATE_BADGE[a.state].text} />,
    },
    {
      key: 'since',
      header: 'Enrolled',
      width: '110px',
      minWidth: 760,
      render: (a) =>
        a.enrolledAt ? <span title={formatFullTime(a.enrolledAt)}>{formatTime(a.enrolledAt)}</span> : '–',
    },
    {
      key: 'recovery',
      header: 'Recovery codes',
      width: '120px',
      minWidth: 900,
      render: (a) => (a.state === 'enrolled' ? String(a.recoveryCodesLeft) : '–'),
    },
    {
      key: 'notes',
      header: 'Notes',
      width: 'minmax(120px, 1fr)',
      render: (a) =>
        [
          a.lockedUntil ? `locked until ${formatTime(a.lockedUntil)}` : '',
          a.enrolmentCodeExpiresAt ? `code valid until ${formatTime(a.enrolmentCodeExpiresAt)}` : '',
        ]
          .filter(Boolean)
          .join('; ') || '–',
    },
  ];
  // Only what can succeed: an enrolled person needs a reset before a new code; nothing to reset
  // for someone only waiting.
  const rowActions = (a: ActorSummary): RowAction[] => [
    ...(a.state === 'enrolled'
      ? []
      : [
          {
            key: 'code',
            label: `Issue an enrolment code for ${a.name}`,
            icon: 'key-skeleton-alt' as const,
            onClick: () => void issue(a.key, a.name),
          },
        ]),
    ...(a.state === 'waiting'
      ? []
      : [
          {
            key: 'reset',
            label: `Reset the second factor of ${a.name}`,
            icon: 'history-alt' as const,
            destructive: true,
            onClick: () => setResetting(a),
          },
        ]),
  ];

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void issue(key, name.trim() === '' ? key : name.trim());
  };

  return (
    <Stack direction="column" gap={2}>
      <ActionMessage action={action} />
      {issued && <IssuedCode issued={issued} onClose={() => setIssued(null)} />}
      <ResourceView
        resource={actors}
        isEmpty={(r) => r.items.length === 0}
        emptyMessage="Nobody has enrolled or asked to enrol yet."
      >
        {(r) => (
          <VirtualTable
            label="Second factors"
            rows={r.items}
            columns={columns}
            rowKey={(a) => a.key}
            actions={rowActions}
            actionSlots={2}
            rowProps={(a) => ({ 'data-testid': `actor-${a.key}` })}
          />
        )}
      </ResourceView>
      <form onSubmit={submit} data-testid="issue-code">
        <Stack direction="row" gap={2} alignItems="flex-end" wrap="wrap">
          <Field
            label="Identity"
            description="grafana:<org id>:<user id> (Grafana's user id, from Administration → Users), or token:<name>"
          >
            <Input
              id="hyperion-issue-key"
              value={key}
              width={30}
              onChange={(e) => setKey(e.currentTarget.value.trim())}
            />
          </Field>
          <Field label="Who it is for" description="A name you will recognise">
            <Input
              id="hyperion-issue-name"
              value={name}
              width={24}
              onChange={(e) => setName(e.currentTarget.value)}
            />
          </Field>
          <Field label="">
            <Button type="submit" icon="key-skeleton-alt" disabled={key === '' || action.busy}>
              Issue enrolment code
            </Button>
          </Field>
        </Stack>
      </form>
      {resetting && (
        <Confirm
          title={`Reset the second factor of ${resetting.name}?`}
          body={
            <>
              {resetting.name} ({resetting.key}) will no longer be able to act until they enrol again, with a
              new enrolment code from an administrator. Their recovery codes stop working.
            </>
          }
          confirmText="Reset"
          onConfirm={() => void reset(resetting)}
          onDismiss={() => setResetting(null)}
        />
      )}
    </Stack>
  );
}
