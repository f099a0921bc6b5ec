/**
 * A small line chart of one series, drawn as SVG: Scenes panels do not render outside a
 * dashboard, and a table cell needs no axes. An optional second series is drawn dashed (a
 * forecast next to the trend it comes from).
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import React from 'react';

export interface Point {
  /** Seconds (or any increasing number). */
  t: number;
  v: number;
}

interface Props {
  points: readonly Point[];
  /** Drawn dashed after the last point, on the same scales. */
  projection?: readonly Point[];
  width?: number;
  height?: number;
  /** Fixed value range (e.g. 0–1 for a ratio); the data's own range otherwise. */
  min?: number;
  max?: number;
  /** Colour name from the theme's visualization palette ("green", "blue"…). */
  color?: string;
  /** What the line shows, for screen readers and the tooltip. */
  label: string;
  testId?: string;
}

export function Sparkline({
  points,
  projection = [],
  width = 120,
  height = 28,
  min,
  max,
  color = 'blue',
  label,
  testId,
}: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const all = [...points, ...projection].filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t));
  if (all.length < 2) {
    return (
      <span className={styles.empty} data-testid={testId} data-points={0} aria-label={`${label}: no history`}>
        no history
      </span>
    );
  }
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const lo = min ?? Math.min(...all.map((p) => p.v));
  const hi = max ?? Math.max(...all.map((p) => p.v));
  const span = hi - lo || 1;
  const x = (t: number) => (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * (width - 2) + 1);
  const y = (v: number) => height - 1 - ((Math.min(hi, Math.max(lo, v)) - lo) / span) * (height - 2);
  const path = (ps: readonly Point[]) => ps.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const stroke = theme.visualization.getColorByName(color);
  const last = points[points.length - 1];
  return (
    <svg
      width={width}
      height={height}
      role="img"
      aria-label={label}
      className={styles.svg}
      data-testid={testId}
      data-points={points.length}
      data-last={last?.v}
    >
      <title>{label}</title>
      <polyline points={path(points)} fill="none" stroke={stroke} strokeWidth={1.5} />
      {projection.length > 0 && last && (
        <polyline
          points={path([last, ...projection])}
          fill="none"
          stroke={stroke}
          strokeWidth={1.5}
          strokeDasharray="3 3"
          data-testid={testId ? `${testId}-projection` : undefined}
        />
      )}
    </svg>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  svg: css({ display: 'block', overflow: 'visible' }),
  empty: css({ color: theme.colors.text.disabled, fontSize: theme.typography.bodySmall.fontSize }),
});
