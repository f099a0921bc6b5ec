/**
 * The elevation a valid code opened: shown on every page while it lasts, with its time left and
 * a button to end it now (leaving the desk). Nothing is fetched here: the client learns of the
 * elevation whenever it sends a code, and this only counts down what it learnt.
 */
import { Button, Icon, Stack } from '@grafana/ui';
import React, { useEffect, useReducer, useState } from 'react';
import { useApi } from '../api/ApiContext';
import { toApiError } from '../api/errors';

/** "4:05" for 245 seconds; "1:02:03" past an hour. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

export function ElevationStatus() {
  const api = useApi();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => api.subscribe(rerender), [api]);
  const elevation = api.elevation;
  useEffect(() => {
    if (!elevation) return;
    const timer = setInterval(rerender, 1000);
    return () => clearInterval(timer);
  }, [elevation]);
  if (!elevation) return null;
  const left = (elevation.endsAt - Date.now()) / 1000;
  const drop = () => {
    setBusy(true);
    setError(null);
    api
      .dropElevation()
      .catch((e: unknown) => setError(toApiError(e).message))
      .finally(() => setBusy(false));
  };
  return (
    <div data-testid="elevation" role="status" aria-live="polite">
      <Stack alignItems="center" gap={1}>
        <Icon name="unlock" />
        <span title="A valid code lets you act without another one until this runs out">
          No code needed for <strong data-testid="elevation-left">{formatCountdown(left)}</strong>
        </span>
        <Button size="sm" variant="secondary" fill="outline" onClick={drop} disabled={busy}>
          Ask for codes again
        </Button>
        {error && <span role="alert">{error}</span>}
      </Stack>
    </div>
  );
}
