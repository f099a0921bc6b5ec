/** A job's runs, newest first; one run's output on click. */
import { Badge, Drawer, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { RunDetail, RunPage, RunSummary } from '../../api/types';
import { ResourceView } from '../../components/States';
import { useResource } from '../../hooks/useResource';
import { formatDuration, formatTime } from '../../utils/format';
import { resultColor } from './jobState';

function RunOutput({ job, run }: { job: string; run: number }) {
  const api = useApi();
  const detail = useResource(
    (signal) => api.get<RunDetail>(apiPath('jobs', job, 'runs', run), undefined, signal),
    [api, job, run],
  );
  return (
    <ResourceView resource={detail}>
      {(d) =>
        d.state === 'running' ? (
          <div>Still running since {formatTime(d.startedAt)}.</div>
        ) : (
          <div data-testid="run-output">
            {d.error && <div>Error: {d.error}</div>}
            <h5>stdout{d.outputTruncated ? ' (last 64 KiB)' : ''}</h5>
            <pre>{d.stdout || '(nothing)'}</pre>
            <h5>stderr</h5>
            <pre>{d.stderr || '(nothing)'}</pre>
          </div>
        )
      }
    </ResourceView>
  );
}

export function runOutcome(r: RunSummary): string {
  if (r.result === 'success') return 'exit 0';
  if (r.signal) return `signal ${r.signal}`;
  if (r.exitCode !== null) return `exit ${r.exitCode}`;
  return r.error ?? r.result;
}

export function JobHistory({ job, onClose }: { job: string; onClose(): void }) {
  const api = useApi();
  const [open, setOpen] = useState<number | null>(null);
  const runs = useResource(
    (signal) => api.get<RunPage>(apiPath('jobs', job, 'runs'), { limit: 50 }, signal),
    [api, job],
    5000,
  );
  return (
    <Drawer title={`History of ${job}`} onClose={onClose} size="md">
      <ResourceView
        resource={runs}
        isEmpty={(p) => p.items.length === 0}
        emptyMessage="This job has not run yet."
      >
        {(page) => (
          <Stack direction="column" gap={1}>
            <div>{page.total} runs kept</div>
            {page.items.map((r) => (
              <div key={r.id} data-testid={`run-${r.id}`}>
                <button
                  type="button"
                  onClick={() => setOpen(open === r.id ? null : r.id)}
                  style={{
                    background: 'none',
                    border: 'none',
                    padding: 0,
                    color: 'inherit',
                    cursor: 'pointer',
                    textAlign: 'left',
                  }}
                >
                  <Badge color={resultColor(r.result)} text={r.result} /> #{r.id} {formatTime(r.startedAt)} ·{' '}
                  {formatDuration(r.durationSeconds)} · {runOutcome(r)} · {r.trigger}
                  {r.actor ? ` by ${r.actor}` : ''}
                </button>
                {open === r.id && <RunOutput job={job} run={r.id} />}
              </div>
            ))}
          </Stack>
        )}
      </ResourceView>
    </Drawer>
  );
}
