/** Which host a page shows: every host the exporter knows, the local one first. */
import { Combobox, InlineField, type ComboboxOption } from '@grafana/ui';
import React, { useMemo } from 'react';
import { useApi } from '../api/ApiContext';
import type { HostSummary, Items } from '../api/types';
import { useResource } from '../hooks/useResource';

interface Props {
  value: string;
  onChange(host: string): void;
}

/**
 * Memoized: Grafana's Combobox measures its options and positions its (closed) menu on every
 * render, and the pages around it re-render with every answer.
 */
export const HostPicker = React.memo(function HostPicker({ value, onChange }: Props) {
  const api = useApi();
  const hosts = useResource((signal) => api.get<Items<HostSummary>>('/hosts', undefined, signal), [api]);
  const options = useMemo<Array<ComboboxOption<string>>>(() => {
    const known = hosts.data?.items ?? [];
    const list = known.map((h) => ({
      label: h.name,
      value: h.name,
      description: h.kind === 'local' ? 'this exporter' : 'over SSH',
    }));
    // A host from the URL that the exporter does not (or no longer) knows still shows as chosen.
    if (!list.some((o) => o.value === value))
      list.unshift({ label: value, value, description: 'unknown host' });
    return list;
  }, [hosts.data, value]);
  return (
    <div data-testid="host-picker">
      <InlineField label="Host" htmlFor="hyperion-host" style={{ marginBottom: 0 }}>
        <Combobox
          id="hyperion-host"
          options={options}
          value={value}
          width={24}
          loading={hosts.loading}
          onChange={(option) => onChange(option.value)}
        />
      </InlineField>
    </div>
  );
});
