/**
 * The frame of every page: Grafana's PluginPage (title and breadcrumbs come from plugin.json's
 * include), with the page's controls — host, refresh, page-specific buttons — as a toolbar.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { useStyles2 } from '@grafana/ui';
import React, { type ReactNode } from 'react';
import { ElevationStatus } from './Elevation';

interface Props {
  /** data-testid of the page, for tests: "page-processes"… */
  id: string;
  subTitle?: ReactNode;
  toolbar?: ReactNode;
  children: ReactNode;
}

export function Page({ id, subTitle, toolbar, children }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <PluginPage subTitle={subTitle}>
      <div data-testid={`page-${id}`} className={styles.page}>
        {toolbar && <div className={styles.toolbar}>{toolbar}</div>}
        <ElevationStatus />
        {children}
      </div>
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), minWidth: 0 }),
  toolbar: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
  }),
});
