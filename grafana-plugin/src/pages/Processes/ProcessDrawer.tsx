/**
 * One process in detail: what the listing is too costly to read for every process (command
 * line, executable, working directory, cgroup and unit, open files), its CPU and memory over the
 * last live refreshes, and — where they can succeed — signal and renice.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Drawer, Stack, useStyles2 } from '@grafana/ui';
import React from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { ProcessDetail } from '../../api/types';
import { ResourceView } from '../../components/States';
import { Sparkline } from '../../components/Sparkline';
import { useResource } from '../../hooks/useResource';
import { formatBytes, formatFullTime, formatPercent, plural } from '../../utils/format';
import { STATE_NAMES, whyNoActions, type ProcessSample } from './processRows';

interface Props {
  host: string;
  pid: number;
  history: readonly ProcessSample[];
  canAct: boolean;
  onSignal(process: ProcessDetail): void;
  onRenice(process: ProcessDetail): void;
  onClose(): void;
}

export function ProcessDrawer({ host, pid, history, canAct, onSignal, onRenice, onClose }: Props) {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const detail = useResource(
    (signal) => api.get<ProcessDetail>(apiPath('hosts', host, 'processes', pid), undefined, signal),
    [api, host, pid],
  );
  return (
    <Drawer title={`Process ${pid}`} subtitle={`on ${host}`} onClose={onClose} size="md">
      <ResourceView resource={detail}>
        {(p) => {
          const refusal = whyNoActions(p, p.exporterPid);
          const rows: [string, React.ReactNode][] = [
            ['Command line', <code key="c">{p.command}</code>],
            ['Executable', p.executable ?? 'not readable'],
            ['Working directory', p.cwd ?? 'not readable'],
            ['User', `${p.user} (uid ${p.uid})`],
            ['State', `${p.state} · ${STATE_NAMES[p.state] ?? 'unknown'}`],
            ['Parent', p.ppid],
            ['Unit', p.userUnit ? `${p.unit ?? '?'} → ${p.userUnit}` : (p.unit ?? '–')],
            ['Cgroup', p.cgroup ?? '–'],
            ['Open files', p.openFiles === null ? 'not readable' : p.openFiles],
            ['Threads', p.threads],
            ['Nice', p.nice],
            ['Started', formatFullTime(p.startTime)],
          ];
          return (
            <div data-testid="process-detail">
              <Stack direction="column" gap={2}>
                <dl className={styles.list}>
                  {rows.map(([k, v]) => (
                    <React.Fragment key={k}>
                      <dt>{k}</dt>
                      <dd>{v}</dd>
                    </React.Fragment>
                  ))}
                </dl>
                <div className={styles.charts}>
                  <div>
                    <div>CPU {formatPercent(p.cpuPercent)}</div>
                    <Sparkline
                      label={`CPU of ${p.pid} over ${plural(history.length, 'refresh', 'refreshes')}`}
                      points={history.map((s) => ({ t: s.t, v: s.cpu }))}
                      min={0}
                      width={200}
                      color="green"
                      testId="process-cpu-history"
                    />
                  </div>
                  <div>
                    <div>Memory {formatBytes(p.rssBytes)}</div>
                    <Sparkline
                      label={`Memory of ${p.pid} over ${plural(history.length, 'refresh', 'refreshes')}`}
                      points={history.map((s) => ({ t: s.t, v: s.rss }))}
                      min={0}
                      width={200}
                      color="blue"
                      testId="process-memory-history"
                    />
                  </div>
                </div>
                {refusal ? (
                  <Alert severity="info" title="No signal or renice here">
                    {refusal}.
                  </Alert>
                ) : canAct ? (
                  <Stack gap={1}>
                    <Button icon="times-circle" variant="destructive" onClick={() => onSignal(p)}>
                      Signal…
                    </Button>
                    <Button icon="sliders-v-alt" variant="secondary" onClick={() => onRenice(p)}>
                      Renice…
                    </Button>
                  </Stack>
                ) : null}
              </Stack>
            </div>
          );
        }}
      </ResourceView>
    </Drawer>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  list: css({
    display: 'grid',
    gridTemplateColumns: 'max-content minmax(0, 1fr)',
    gap: theme.spacing(0.5, 2),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0, overflowWrap: 'anywhere' },
  }),
  charts: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(3) }),
});
