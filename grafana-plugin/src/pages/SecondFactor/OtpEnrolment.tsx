/**
 * The signed-in user's own second factor. Enrolling needs an enrolment code an administrator
 * issued for this person (only the very first admin of a new installation enrols without one):
 * the page shows the identity the administrator needs, takes the code, shows the QR code, and
 * after one confirming code shows the recovery codes — once, as the exporter keeps only their
 * hashes. The TOTP secret is shown only during enrolment, never stored by the app.
 */
import { Alert, Badge, Button, ClipboardButton, Field, Input, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import type { Confirmed, Enrolment, OtpStatus, WhoAmI } from '../../api/types';
import { ActionMessage } from '../../components/ActionMessage';
import { ResourceView } from '../../components/States';
import { useAction } from '../../hooks/useAction';
import { useResource } from '../../hooks/useResource';
import { plural } from '../../utils/format';

const ENROLMENT_CODE = /^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}$/;

/** What a person types, as the exporter checks it: upper case, groups of four, dashes. */
export function normaliseEnrolmentCode(text: string): string {
  const letters = text.toUpperCase().replace(/[^A-Z2-7]/g, '');
  return (letters.match(/.{1,4}/g) ?? []).join('-');
}

function StatusBadge({ otp }: { otp: OtpStatus }) {
  if (otp.confirmed) return <Badge color="green" icon="lock" text="Second factor active" />;
  if (otp.enrolled) return <Badge color="orange" icon="clock-nine" text="Enrolment not confirmed" />;
  return <Badge color="red" icon="unlock" text="Not enrolled" />;
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone(): void }) {
  return (
    <Alert severity="warning" title="Your recovery codes: shown this once" data-testid="recovery-codes">
      <p>
        Each code stands in for your phone once. Keep them somewhere safe (a password manager, or on paper):
        Hyperion keeps only a fingerprint of them and cannot show them again.
      </p>
      <pre data-testid="recovery-code-list">{codes.join('\n')}</pre>
      <Stack gap={1}>
        <ClipboardButton icon="copy" variant="secondary" getText={() => codes.join('\n')}>
          Copy
        </ClipboardButton>
        <Button onClick={onDone}>I have saved them</Button>
      </Stack>
    </Alert>
  );
}

export function OtpEnrolment() {
  const api = useApi();
  const me = useResource((signal) => api.get<WhoAmI>('/auth/whoami', undefined, signal), [api]);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [enrolmentCode, setEnrolmentCode] = useState('');
  const [code, setCode] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const action = useAction();

  const start = (who: WhoAmI) => (event: React.FormEvent) => {
    event.preventDefault();
    // Without a code the exporter refuses, and lists this person for the administrators to see.
    const body = who.otp.enrolmentCodeRequired && enrolmentCode !== '' ? { enrolmentCode } : undefined;
    return action.run(
      () => api.send<Enrolment>('POST', '/auth/otp/enrol', body, 'Start second-factor enrolment'),
      (result) => {
        setEnrolment(result);
        return 'Scan the QR code with your authenticator app, then enter the code it shows.';
      },
    );
  };
  const confirm = async (event: React.FormEvent) => {
    event.preventDefault();
    const done = await action.run(
      () => api.send<Confirmed>('POST', '/auth/otp/confirm', { code }, 'Confirm second factor'),
      () => 'Second factor active: actions now ask for a code from your app.',
    );
    if (done) {
      setEnrolment(null);
      setCode('');
      setEnrolmentCode('');
      setRecoveryCodes(done.recoveryCodes ?? []);
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
            {recoveryCodes && <RecoveryCodes codes={recoveryCodes} onDone={() => setRecoveryCodes(null)} />}
            {who.otp.confirmed && !recoveryCodes && (
              <div data-testid="recovery-left">
                {plural(who.otp.recoveryCodesLeft, 'recovery code', 'recovery codes')} left. Lost your phone?
                Use a recovery code in the code prompt, and ask an administrator to reset your second factor
                so you can enrol the new one.
              </div>
            )}
            {who.role !== 'viewer' && !who.otp.confirmed && !enrolment && (
              <form onSubmit={start(who)} data-testid="otp-start">
                <Stack direction="column" gap={1}>
                  {who.otp.enrolmentCodeRequired && (
                    <>
                      <div>
                        Ask an administrator for an enrolment code for you. They find you as{' '}
                        <code data-testid="otp-key">{who.key}</code> ({who.actor}) on their Second factor page
                        once you have pressed the button below once, or they issue the code for that identity
                        directly.
                      </div>
                      <Field
                        label="Enrolment code"
                        description="From your administrator: XXXX-XXXX-XXXX-XXXX"
                      >
                        <Input
                          id="hyperion-enrolment-code"
                          value={enrolmentCode}
                          width={28}
                          autoComplete="off"
                          onChange={(e) => setEnrolmentCode(normaliseEnrolmentCode(e.currentTarget.value))}
                        />
                      </Field>
                    </>
                  )}
                  <div>
                    <Button
                      type="submit"
                      icon="lock"
                      disabled={
                        action.busy ||
                        (who.otp.enrolmentCodeRequired &&
                          enrolmentCode !== '' &&
                          !ENROLMENT_CODE.test(enrolmentCode))
                      }
                    >
                      {who.otp.enrolled ? 'Restart enrolment' : 'Enrol a second factor'}
                    </Button>
                  </div>
                </Stack>
              </form>
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
            <ActionMessage action={action} />
          </Stack>
        </div>
      )}
    </ResourceView>
  );
}
