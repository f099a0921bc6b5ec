/** Admins: remove someone's second factor (lost phone), so they can enrol again. */
import { Button, Field, Input, Stack, Switch } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { ActionMessage } from '../../components/ActionMessage';
import { useAction } from '../../hooks/useAction';

export function OtpReset() {
  const api = useApi();
  const [actor, setActor] = useState('');
  const [grafana, setGrafana] = useState(true);
  const action = useAction();
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    action.run(
      () => api.send('POST', '/auth/otp/reset', { actor, grafana }, `Reset the second factor of ${actor}`),
      () => `${actor} has no second factor any more and can enrol again.`,
    );
  };
  return (
    <form onSubmit={submit} data-testid="otp-reset">
      <Stack direction="row" gap={2} alignItems="flex-end" wrap="wrap">
        <Field label="User" description="Grafana login, or token name">
          <Input
            id="hyperion-reset-actor"
            value={actor}
            width={24}
            onChange={(e) => setActor(e.currentTarget.value)}
          />
        </Field>
        <Field label="Grafana user">
          <Switch value={grafana} onChange={(e) => setGrafana(e.currentTarget.checked)} />
        </Field>
        <Field label="">
          <Button type="submit" variant="destructive" disabled={actor.trim() === '' || action.busy}>
            Reset second factor
          </Button>
        </Field>
      </Stack>
      <ActionMessage action={action} />
    </form>
  );
}
