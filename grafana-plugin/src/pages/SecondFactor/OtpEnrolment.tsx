/**
 * The signed-in user's own second factor: start enrolment (the exporter returns an otpauth URI
 * and its QR code), scan it, prove one code, done. Shown on the Second factor page and on the
 * configuration page. The secret is shown only during enrolment, never stored by the app.
 */
import { Alert, Badge, Button, Field, Input, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import type { Enrolment, OtpStatus, WhoAmI } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { ResourceView } from '../../components/States';
import { useAction } from '../../hooks/useAction';
import { useResource } from '../../hooks/useResource';

function StatusBadge({ otp }: { otp: OtpStatus }) {
  if (otp.confirmed) return <Badge color="green" icon="lock" text="Second factor active" />;
  if (otp.enrolled) return <Badge color="orange" icon="clock-nine" text="Enrolment not confirmed" />;
  return <Badge color="red" icon="unlock" text="Not enrolled" />;
}

export function OtpEnrolment() {
  const api = useApi();
  const me = useResource((signal) => api.get<WhoAmI>('/auth/whoami', undefined, signal), [api]);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const action = useAction();

  const start = () =>
    action.run(
      () => api.send<Enrolment>('POST', '/auth/otp/enrol', undefined, 'Start second-factor enrolment'),
      (result) => {
        setEnrolment(result);
        return 'Scan the QR code with your authenticator app, then enter the code it shows.';
      },
    );
  const confirm = async (event: React.FormEvent) => {
    event.preventDefault();
    const done = await action.run(
      () => api.send<OtpStatus>('POST', '/auth/otp/confirm', { code }, 'Confirm second factor'),
      () => 'Second factor active: actions now ask for a code from your app.',
    );
    if (done) {
      setEnrolment(null);
      setCode('');
      api.whoami(true).catch(() => undefined);
      me.reload();
    }
  };

  return (
    <ResourceView resource={me}>
      {(who) => (
        <div data-testid="otp-enrolment">
          <Stack direction="column" gap={2}>
            <Stack alignItems="center" gap={1} wrap="wrap">
              <span>
                Signed in as <strong data-testid="otp-actor">{who.actor}</strong> ({who.role} via{' '}
                {who.viaGrafana ? 'Grafana' : `token ${who.token}`}); policy <code>{who.otp.policy}</code>
              </span>
              <StatusBadge otp={who.otp} />
            </Stack>
            {!who.viaGrafana && (
              <Alert severity="warning" title="Not a Grafana token">
                The exporter does not know who you are: the token on this route is not marked as a Grafana
                token (create it with <code>--grafana</code>), so everyone shares one second factor.
              </Alert>
            )}
            {who.role === 'viewer' && (
              <Alert severity="info" title="Nothing to enrol">
                Viewers only read; a second factor protects actions, which need the Editor role in Grafana.
              </Alert>
            )}
            {who.role !== 'viewer' && !who.otp.confirmed && !enrolment && (
              <div>
                <Button icon="lock" onClick={start} disabled={action.busy}>
                  {who.otp.enrolled ? 'Restart enrolment' : 'Enrol a second factor'}
                </Button>
              </div>
            )}
            {enrolment && (
              <form onSubmit={confirm} data-testid="otp-enrolment-form">
                <Stack direction="row" gap={3} wrap="wrap" alignItems="flex-start">
                  <img src={enrolment.qrCode} width={200} height={200} alt="QR code of the otpauth URI" />
                  <Stack direction="column" gap={1}>
                    <div>
                      Or type this secret into the app:{' '}
                      <code data-testid="otp-secret">{enrolment.secret}</code>
                    </div>
                    <Field label="Code from the app" description="6 digits">
                      <Input
                        id="hyperion-enrol-code"
                        value={code}
                        inputMode="numeric"
                        autoComplete="one-time-code"
                        maxLength={6}
                        width={16}
                        onChange={(e) => setCode(e.currentTarget.value.trim())}
                      />
                    </Field>
                    <div>
                      <Button type="submit" disabled={!/^\d{6}$/.test(code) || action.busy}>
                        Confirm
                      </Button>
                    </div>
                  </Stack>
                </Stack>
              </form>
            )}
            {who.otp.confirmed && (
              <div>
                To move to a new phone, an administrator resets your second factor on the Hyperion exporter (
                <code>POST /api/v1/auth/otp/reset</code>); then enrol again here.
              </div>
            )}
            <ActionMessage action={action} />
          </Stack>
        </div>
      )}
    </ResourceView>
  );
}
