/** Uploads in progress and their outcome, one line per file with a progress bar. */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, IconButton, useStyles2 } from '@grafana/ui';
import React from 'react';
import { formatBytes } from '../../utils/format';

export interface UploadState {
  id: number;
  name: string;
  target: string;
  loaded: number;
  total: number;
  status: 'waiting' | 'uploading' | 'done' | 'failed';
  error?: string;
}

export function UploadList({ uploads, onClear }: { uploads: UploadState[]; onClear(): void }) {
  const styles = useStyles2(getStyles);
  if (uploads.length === 0) return null;
  return (
    <div className={styles.box} data-testid="uploads">
      <div className={styles.head}>
        <span>Uploads</span>
        {uploads.every((u) => u.status === 'done' || u.status === 'failed') && (
          <IconButton name="times" aria-label="Clear uploads" onClick={onClear} />
        )}
      </div>
      {uploads.map((u) => {
        const percent = u.total > 0 ? Math.round((u.loaded / u.total) * 100) : u.status === 'done' ? 100 : 0;
        return (
          <div key={u.id} className={styles.line} data-testid={`upload-${u.name}`} data-status={u.status}>
            <span className={styles.name} title={u.target}>
              {u.status === 'done' && <Icon name="check" className={styles.ok} />}
              {u.status === 'failed' && <Icon name="exclamation-triangle" className={styles.bad} />} {u.name}
            </span>
            <div
              className={styles.bar}
              role="progressbar"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              aria-label={`Upload of ${u.name}`}
            >
              <div className={styles.fill} style={{ width: `${percent}%` }} />
            </div>
            <span className={styles.size}>
              {u.status === 'failed' ? u.error : `${formatBytes(u.loaded)} / ${formatBytes(u.total)}`}
            </span>
          </div>
        );
      })}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1),
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
  }),
  head: css({
    display: 'flex',
    justifyContent: 'space-between',
    fontWeight: theme.typography.fontWeightMedium,
  }),
  line: css({
    display: 'grid',
    gridTemplateColumns: 'minmax(100px, 1fr) minmax(80px, 2fr) auto',
    gap: theme.spacing(1),
    alignItems: 'center',
  }),
  name: css({ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
  bar: css({ height: 6, background: theme.colors.background.secondary, borderRadius: 3, overflow: 'hidden' }),
  fill: css({ height: '100%', background: theme.colors.primary.main, transition: 'width 0.2s' }),
  size: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  ok: css({ color: theme.colors.success.text }),
  bad: css({ color: theme.colors.error.text }),
});
