/** Read-only: what the host already schedules by itself (cron tables, systemd timers). */
import { Stack } from '@grafana/ui';
import React from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { HostSchedules as Schedules } from '../../api/types';
import { ResourceView } from '../../components/States';
import { useResource } from '../../hooks/useResource';
import { formatRelative } from '../../utils/format';

export function HostSchedules({ host }: { host: string }) {
  const api = useApi();
  const schedules = useResource(
    (signal) => api.get<Schedules>(apiPath('hosts', host, 'schedules'), undefined, signal),
    [api, host],
  );
  return (
    <ResourceView resource={schedules}>
      {(s) => (
        <Stack direction="column" gap={1}>
          {s.crontabs.length === 0 && <div>No cron tables.</div>}
          {s.crontabs.map((c) => (
            <details key={c.path}>
              <summary>
                <code>{c.path}</code> — {c.entries.length} entries{c.error ? ` (${c.error})` : ''}
                {c.ignoredByCron ? ` (cron ignores it: ${c.ignoredByCron})` : ''}
              </summary>
              <pre>{c.entries.map((e) => `${e.schedule}  ${e.user ?? ''}  ${e.command}`).join('\n')}</pre>
            </details>
          ))}
          {s.systemdTimers.available ? (
            <details>
              <summary>{s.systemdTimers.timers.length} systemd timers</summary>
              <pre>
                {s.systemdTimers.timers
                  .map((t) => `${t.unit} → ${t.activates ?? '?'}  next ${formatRelative(t.next)}`)
                  .join('\n')}
              </pre>
            </details>
          ) : (
            <div>systemd timers: {s.systemdTimers.reason}</div>
          )}
        </Stack>
      )}
    </ResourceView>
  );
}
