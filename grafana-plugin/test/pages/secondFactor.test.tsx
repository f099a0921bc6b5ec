/** Second factor: enrolment with the QR code and one confirming code; viewers need none. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { SecondFactorPage } from '../../src/pages/SecondFactor/SecondFactorPage';
import { fakeBackend, problem } from '../support/fakeBackend';
import { renderPage } from '../support/render';

const ME = {
  actor: 'dave',
  key: 'grafana:1:12',
  role: 'operator',
  token: 'grafana-operator',
  viaGrafana: true,
  elevation: null,
  elevationSeconds: 300,
};
const OTP = { recoveryCodesLeft: 0, enrolmentCodeRequired: true };
const RECOVERY = Array.from({ length: 10 }, (_, i) => `abcd${i}-efgh${i}`);

describe('Second factor page', () => {
  it('enrols with the enrolment code an admin issued, then shows the recovery codes once', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    let confirmed = false;
    backend.on('GET', '/auth/whoami', () => ({
      body: {
        ...ME,
        otp: {
          ...OTP,
          policy: 'required',
          enrolled: confirmed,
          confirmed,
          recoveryCodesLeft: confirmed ? 10 : 0,
        },
      },
    }));
    backend.on('POST', '/auth/otp/enrol', (call) => {
      if ((call.body as { enrolmentCode?: string } | undefined)?.enrolmentCode !== 'ABCD-EFGH-IJKL-MNOP')
        return problem('otp-invalid', 403, 'the enrolment code is wrong, expired, already used', {
          reason: 'enrolment-code',
        });
      return {
        body: {
          otpauthUri: 'otpauth://totp/Hyperion:dave?secret=JBSWY3DPEHPK3PXP',
          qrCode: 'data:image/png;base64,AAAA',
          secret: 'JBSWY3DPEHPK3PXP',
        },
      };
    });
    backend.on('POST', '/auth/otp/confirm', (call) => {
      if ((call.body as { code: string }).code !== '123456') return problem('otp-invalid', 403, 'wrong');
      confirmed = true;
      return {
        body: {
          policy: 'required',
          enrolled: true,
          confirmed: true,
          recoveryCodesLeft: 10,
          recoveryCodes: RECOVERY,
          elevatedUntil: null,
        },
      };
    });
    renderPage(<SecondFactorPage />, { backend, at: 'second-factor' });
    expect(await screen.findByText('Not enrolled')).toBeInTheDocument();
    // The identity the admin issues the code for is on the page.
    expect(screen.getByTestId('otp-key')).toHaveTextContent('grafana:1:12');
    // Typed loosely, sent as the exporter writes it.
    await user.type(screen.getByRole('textbox', { name: /Enrolment code/ }), 'abcd efgh ijkl mnop');
    await user.click(screen.getByRole('button', { name: 'Enrol a second factor' }));
    expect(await screen.findByRole('img', { name: 'QR code of the otpauth URI' })).toHaveAttribute(
      'src',
      'data:image/png;base64,AAAA',
    );
    expect(backend.callsTo('POST', '/auth/otp/enrol')[0]!.body).toEqual({
      enrolmentCode: 'ABCD-EFGH-IJKL-MNOP',
    });
    expect(screen.getByTestId('otp-secret')).toHaveTextContent('JBSWY3DPEHPK3PXP');
    await user.type(screen.getByRole('textbox', { name: /Code from the app/ }), '123456');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('Second factor active')).toBeInTheDocument();
    const codes = screen.getByTestId('recovery-code-list');
    expect(codes.textContent!.split('\n')).toEqual(RECOVERY);
    await user.click(screen.getByRole('button', { name: 'I have saved them' }));
    expect(screen.queryByTestId('recovery-codes')).not.toBeInTheDocument();
    expect(screen.getByTestId('recovery-left')).toHaveTextContent('10 recovery codes left');
    // Enrolment and confirmation need no code themselves: no prompt was opened.
    expect(screen.queryByTestId('otp-prompt')).not.toBeInTheDocument();
  });

  it('without an enrolment code, says to ask an admin (and no code prompt opens)', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', {
      body: { ...ME, otp: { ...OTP, policy: 'required', enrolled: false, confirmed: false } },
    });
    backend.on(
      'POST',
      '/auth/otp/enrol',
      problem('otp-required', 403, 'enrolling a second factor needs an enrolment code: ask an admin', {
        reason: 'enrolment-code',
      }),
    );
    renderPage(<SecondFactorPage />, { backend, at: 'second-factor' });
    await user.click(await screen.findByRole('button', { name: 'Enrol a second factor' }));
    expect(await screen.findByTestId('action-error')).toBeInTheDocument();
    expect(backend.callsTo('POST', '/auth/otp/enrol')).toHaveLength(1);
    expect(backend.callsTo('POST', '/auth/otp/enrol')[0]!.body).toBeUndefined();
    expect(screen.queryByTestId('otp-prompt')).not.toBeInTheDocument();
  });

  it('tells a viewer there is nothing to enrol, and warns about a non-Grafana token', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', {
      body: {
        actor: 'grafana-viewer',
        role: 'viewer',
        token: 'grafana-viewer',
        viaGrafana: false,
        otp: { policy: 'required', enrolled: false, confirmed: false },
      },
    });
    renderPage(<SecondFactorPage />, { backend, at: 'second-factor', route: 'viewer' });
    expect(await screen.findByText('Nothing to enrol')).toBeInTheDocument();
    expect(screen.getByText('Not a Grafana token')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Enrol/ })).not.toBeInTheDocument();
  });

  it('lets an admin issue an enrolment code for a waiting person, shown once, and reset someone', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', {
      body: { ...ME, role: 'admin', otp: { ...OTP, policy: 'disabled', enrolled: false, confirmed: false } },
    });
    const actors = [
      {
        key: 'grafana:1:20',
        name: 'erin',
        kind: 'grafana',
        state: 'enrolled',
        enrolledAt: '2026-12-01T10:00:00Z',
        recoveryCodesLeft: 9,
        lockedUntil: null,
        enrolmentCodeExpiresAt: null,
      },
      {
        key: 'grafana:1:21',
        name: 'ivan',
        kind: 'grafana',
        state: 'waiting',
        enrolledAt: null,
        recoveryCodesLeft: 0,
        lockedUntil: null,
        enrolmentCodeExpiresAt: null,
      },
    ];
    backend.on('GET', '/auth/actors', () => ({ body: { items: actors } }));
    backend.on('POST', '/auth/enrolment-codes', (call) => ({
      status: 201,
      body: {
        code: 'QRST-UVWX-YZ23-4567',
        actor: (call.body as { actor: string }).actor,
        name: (call.body as { name: string }).name,
        expiresAt: '2026-12-07T13:00:00Z',
      },
    }));
    backend.on('POST', '/auth/otp/reset', { body: { reset: 'grafana:1:20' } });
    renderPage(<SecondFactorPage />, { backend, at: 'second-factor', route: 'admin' });
    const ivan = await screen.findByTestId('actor-grafana:1:21');
    expect(ivan).toHaveTextContent('waiting for a code');
    // Nothing to reset for someone only waiting; an enrolled person is reset before a new code.
    expect(within(ivan).queryByRole('button', { name: /Reset/ })).not.toBeInTheDocument();
    const erin = screen.getByTestId('actor-grafana:1:20');
    expect(within(erin).queryByRole('button', { name: /Issue/ })).not.toBeInTheDocument();

    await user.click(within(ivan).getByRole('button', { name: 'Issue an enrolment code for ivan' }));
    expect(await screen.findByTestId('issued-code-value')).toHaveTextContent('QRST-UVWX-YZ23-4567');
    expect(backend.callsTo('POST', '/auth/enrolment-codes')[0]!.body).toEqual({
      actor: 'grafana:1:21',
      name: 'ivan',
    });

    await user.click(within(erin).getByRole('button', { name: 'Reset the second factor of erin' }));
    // A reset asks first.
    expect(backend.callsTo('POST', '/auth/otp/reset')).toHaveLength(0);
    await user.click(await screen.findByRole('button', { name: 'Reset' }));
    await waitFor(() => expect(backend.callsTo('POST', '/auth/otp/reset')).toHaveLength(1));
    expect(backend.callsTo('POST', '/auth/otp/reset')[0]!.body).toEqual({ actor: 'grafana:1:20' });
  });

  it('issues a code for an identity not listed yet', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', {
      body: { ...ME, role: 'admin', otp: { ...OTP, policy: 'required', enrolled: true, confirmed: true } },
    });
    backend.on('GET', '/auth/actors', { body: { items: [] } });
    backend.on('POST', '/auth/enrolment-codes', {
      status: 201,
      body: {
        code: 'AAAA-BBBB-CCCC-DDDD',
        actor: 'grafana:1:44',
        name: 'nina',
        expiresAt: '2026-12-07T13:00:00Z',
      },
    });
    renderPage(<SecondFactorPage />, { backend, at: 'second-factor', route: 'admin' });
    await user.type(await screen.findByRole('textbox', { name: /^Identity/ }), 'grafana:1:44');
    await user.type(screen.getByRole('textbox', { name: /^Who it is for/ }), 'nina');
    await user.click(screen.getByRole('button', { name: 'Issue enrolment code' }));
    expect(await screen.findByTestId('issued-code-value')).toHaveTextContent('AAAA-BBBB-CCCC-DDDD');
    expect(backend.callsTo('POST', '/auth/enrolment-codes')[0]!.body).toEqual({
      actor: 'grafana:1:44',
      name: 'nina',
    });
  });
});
