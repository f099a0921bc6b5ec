/**
 * What a cron expression means, as the exporter's own scheduler reads it: the next run times,
 * or the exporter's explanation of what is wrong — asked as the user types (debounced).
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import React from 'react';
import { useApi } from '../../api/ApiContext';
import type { CronPreview as Preview } from '../../api/types';
import { useDebounced } from '../../hooks/useDebounced';
import { useResource } from '../../hooks/useResource';
import { formatRelative, formatTime } from '../../utils/format';

export function CronPreview({ schedule, timezone }: { schedule: string; timezone: string }) {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const s = useDebounced(schedule.trim(), 400);
  const tz = useDebounced(timezone.trim(), 400);
  const preview = useResource(
    (signal) =>
      s === ''
        ? Promise.resolve(undefined)
        : api.get<Preview>('/cron/next-runs', { schedule: s, timezone: tz, count: 5 }, signal),
    [api, s, tz],
  );
  if (s === '') return null;
  return (
    <div className={styles.box} data-testid="cron-preview" aria-live="polite">
      {preview.error ? (
        <span className={styles.bad}>{preview.error.message}</span>
      ) : !preview.data ? (
        <span>Checking…</span>
      ) : (
        <>
          <span>Next runs ({preview.data.timezone}):</span>
          <ol className={styles.list}>
            {preview.data.nextRuns.map((t) => (
              <li key={t}>
                {formatTime(t)} <span className={styles.rel}>({formatRelative(t)})</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({
    fontSize: theme.typography.bodySmall.fontSize,
    marginTop: theme.spacing(-1),
    marginBottom: theme.spacing(2),
  }),
  list: css({ margin: theme.spacing(0.5, 0, 0, 2.5) }),
  rel: css({ color: theme.colors.text.secondary }),
  bad: css({ color: theme.colors.error.text }),
});
