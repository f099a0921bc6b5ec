/** Refresh now, or every few seconds: Grafana's own picker, so it looks like the rest of Grafana. */
import { RefreshPicker } from '@grafana/ui';
import React from 'react';

export const REFRESH_INTERVALS = ['2s', '5s', '10s', '30s', '1m'];

/** "5s" → 5000, "1m" → 60000, anything else (off) → 0. */
export function intervalMs(interval: string): number {
  const match = /^(\d+)(s|m)$/.exec(interval);
  if (!match) return 0;
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : 1000);
}

interface Props {
  interval: string;
  onIntervalChange(interval: string): void;
  onRefresh(): void;
  refreshing?: boolean;
}

/** Memoized: the pages around it re-render with every answer, the picker's props rarely change. */
export const RefreshControl = React.memo(function RefreshControl({
  interval,
  onIntervalChange,
  onRefresh,
  refreshing,
}: Props) {
  return (
    <RefreshPicker
      value={interval}
      intervals={REFRESH_INTERVALS}
      onIntervalChanged={onIntervalChange}
      onRefresh={onRefresh}
      isLoading={refreshing}
      tooltip="Refresh now"
      noIntervalPicker={false}
    />
  );
});
