/** The elevation on every page: its time left counting down, and ending it on request. */
import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { useApi } from '../../src/api/ApiContext';
import { formatCountdown } from '../../src/components/Elevation';
import { Page } from '../../src/components/Page';
import { elevatingBackend } from '../support/fakeBackend';
import { renderPage } from '../support/render';

function Acting() {
  const api = useApi();
  return (
    <Page id="acting">
      <button onClick={() => void api.send('POST', '/x', {}, 'Do X').catch(() => undefined)}>act</button>
    </Page>
  );
}

describe('elevation status', () => {
  it('formats the time left', () => {
    expect(formatCountdown(245)).toBe('4:05');
    expect(formatCountdown(59.2)).toBe('1:00');
    expect(formatCountdown(3723)).toBe('1:02:03');
    expect(formatCountdown(-3)).toBe('0:00');
  });

  it('appears after a code, counts down, and “Ask for codes again” drops it', async () => {
    const user = userEvent.setup();
    const backend = elevatingBackend(300);
    renderPage(<Acting />, { backend, at: 'acting' });
    expect(screen.queryByTestId('elevation')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'act' }));
    const prompt = await screen.findByTestId('otp-prompt');
    expect(prompt).toHaveTextContent('without another one for 5 minutes');
    await user.type(screen.getByPlaceholderText('123456'), '123456');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    const left = await screen.findByTestId('elevation-left');
    expect(left.textContent).toMatch(/^(5:00|4:59)$/);
    const first = left.textContent;
    await act(() => new Promise((r) => setTimeout(r, 2100)));
    expect(screen.getByTestId('elevation-left').textContent).not.toBe(first);
    await user.click(screen.getByRole('button', { name: 'Ask for codes again' }));
    await waitFor(() => expect(screen.queryByTestId('elevation')).not.toBeInTheDocument());
    expect(backend.callsTo('POST', '/auth/elevation/drop')).toHaveLength(1);
  });
});
