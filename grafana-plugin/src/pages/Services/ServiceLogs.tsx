/** A service's details and its latest log lines, in a drawer beside the list. */
import { Badge, Drawer, Stack } from '@grafana/ui';
import React from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { ServiceDetail } from '../../api/types';
import { ResourceView } from '../../components/States';
import { useResource } from '../../hooks/useResource';
import { formatBytes, formatTime } from '../../utils/format';
import { stateColor, stateText } from './serviceState';

interface Props {
  host: string;
  name: string;
  onClose(): void;
}

export function ServiceLogs({ host, name, onClose }: Props) {
  const api = useApi();
  const detail = useResource(
    (signal) => api.get<ServiceDetail>(apiPath('hosts', host, 'services', name), { lines: 200 }, signal),
    [api, host, name],
  );
  return (
    <Drawer title={name} onClose={onClose} size="md">
      <ResourceView resource={detail}>
        {(s) => (
          <div data-testid="service-logs">
            <Stack direction="column" gap={1}>
              <div>{s.description}</div>
              <Stack gap={1} wrap="wrap">
                <Badge color={stateColor(s)} text={stateText(s)} />
                {s.enabledState && <Badge color="blue" text={s.enabledState} />}
                {s.mainPid ? <span>PID {s.mainPid}</span> : null}
                {s.memoryBytes !== null && <span>{formatBytes(s.memoryBytes)}</span>}
              </Stack>
              {s.activeSince && <div>Active since {s.activeSince}</div>}
              {s.path && (
                <div>
                  Unit: <code>{s.path}</code>
                </div>
              )}
              <h4>Log{s.logs.source ? ` (${s.logs.source})` : ''}</h4>
              {!s.logs.available ? (
                <div>Logs are not available: {s.logs.reason ?? 'the service manager keeps none'}.</div>
              ) : s.logs.lines.length === 0 ? (
                <div>No log lines.</div>
              ) : (
                <pre style={{ maxHeight: '60vh', overflow: 'auto', whiteSpace: 'pre-wrap' }}>
                  {s.logs.lines
                    .map((l) => `${l.time ? formatTime(String(l.time)) : ''} ${String(l.message)}`.trim())
                    .join('\n')}
                </pre>
              )}
            </Stack>
          </div>
        )}
      </ResourceView>
    </Drawer>
  );
}
