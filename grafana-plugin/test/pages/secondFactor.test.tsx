/** Second factor: enrolment with the QR code and one confirming code; viewers need none. */
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { SecondFactorPage } from '../../src/pages/SecondFactor/SecondFactorPage';
import { fakeBackend, problem } from '../support/fakeBackend';
import { renderPage } from '../support/render';

const ME = { actor: 'dave', role: 'operator', token: 'grafana-operator', viaGrafana: true };

describe('Second factor page', () => {
  it('enrols: shows the QR code and secret, confirms with a code, then shows it active', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    let confirmed = false;
    backend.on('GET', '/auth/whoami', () => ({
      body: { ...ME, otp: { policy: 'required', enrolled: confirmed, confirmed } },
    }));
    backend.on('POST', '/auth/otp/enrol', {
      body: {
        otpauthUri: 'otpauth://totp/Hyperion:dave?secret=JBSWY3DPEHPK3PXP',
        qrCode: 'data:image/png;base64,AAAA',
        secret: 'JBSWY3DPEHPK3PXP',
      },
    });
    backend.on('POST', '/auth/otp/confirm', (call) => {
      if ((call.body as { code: string }).code !== '123456') return problem('otp-invalid', 403, 'wrong');
      confirmed = true;
      return { body: { policy: 'required', enrolled: true, confirmed: true } };
    });
    renderPage(<SecondFactorPage />, { backend, at: 'second-factor' });
    expect(await screen.findByText('Not enrolled')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Enrol a second factor' }));
    expect(await screen.findByRole('img', { name: 'QR code of the otpauth URI' })).toHaveAttribute(
      'src',
      'data:image/png;base64,AAAA',
    );
    expect(screen.getByTestId('otp-secret')).toHaveTextContent('JBSWY3DPEHPK3PXP');
    await user.type(screen.getByRole('textbox', { name: /Code from the app/ }), '123456');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('Second factor active')).toBeInTheDocument();
    expect(backend.callsTo('POST', '/auth/otp/confirm')[0]!.body).toEqual({ code: '123456' });
    // Enrolment and confirmation need no code themselves: no prompt was opened.
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

  it('lets an admin reset someone else’s second factor', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', {
      body: { ...ME, role: 'admin', otp: { policy: 'disabled', enrolled: false, confirmed: false } },
    });
    backend.on('POST', '/auth/otp/reset', { body: { reset: 'erin' } });
    renderPage(<SecondFactorPage />, { backend, at: 'second-factor', route: 'admin' });
    await user.type(await screen.findByRole('textbox', { name: /^User/ }), 'erin');
    await user.click(screen.getByRole('button', { name: 'Reset second factor' }));
    await waitFor(() => expect(backend.callsTo('POST', '/auth/otp/reset')).toHaveLength(1));
    expect(backend.callsTo('POST', '/auth/otp/reset')[0]!.body).toEqual({ actor: 'erin', grafana: true });
  });
});
