/**
 * The harness page shell: the app rendered outside Grafana. The server has already set
 * window.grafanaBootData (before this bundle, as Grafana's index.html does, because
 * @grafana/runtime reads it at import). Here: Grafana's backend service over fetch(), a
 * PluginPage that shows the page title like Grafana's, the theme, and a router whose basename
 * is the app's mount point. Grafana's own server is mocked by harness/server.ts.
 *
 * Two bundles use it: harness.tsx (the app's sources, built with the harness) and amd-host.tsx
 * (the shipped dist/module.js, loaded as Grafana loads it).
 */
import { css } from '@emotion/css';
import { createTheme, type AppPluginMeta, type GrafanaTheme2, type KeyValue } from '@grafana/data';
import { setBackendSrv, type PluginPageProps } from '@grafana/runtime';
import { Button, GlobalStyles, RadioButtonGroup, ThemeContext, useStyles2 } from '@grafana/ui';
import React from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, NavLink, useLocation } from 'react-router-dom';
import { setPluginPage } from 'hyperion-harness/plugin-page';
import type { AppPlugin } from '@grafana/data';
import pluginJson from '../src/plugin.json';
import { harnessBackendSrv } from './backendSrv';
import { THEME_COOKIE, USER_COOKIE, type HarnessUser } from './session';

interface HarnessBoot {
  user: HarnessUser;
  theme: 'dark' | 'light';
  jsonData: KeyValue;
  secureJsonFields: Record<string, boolean>;
}

const boot = (window as unknown as { __HYPERION_HARNESS__: HarnessBoot }).__HYPERION_HARNESS__;
const BASE = `/a/${pluginJson.id}`;
// Dashboard links ("d/<uid>") need Grafana's dashboards: not in the harness.
const pages = pluginJson.includes.filter((i) => i.type === 'page' && i.path.startsWith('/a/'));

setBackendSrv(harnessBackendSrv);

/** Grafana's PluginPage shows the nav title (the include's name) above the page; so does this one. */
function HarnessPluginPage({ children, subTitle, actions }: PluginPageProps) {
  const location = useLocation();
  const styles = useStyles2(getStyles);
  const page = pages.find((p) => `${BASE}${location.pathname}`.startsWith(p.path));
  return (
    <div className={styles.page}>
      <div className={styles.title}>
        <h1>{page?.name ?? pluginJson.name}</h1>
        {actions}
      </div>
      {subTitle && <div className={styles.sub}>{subTitle}</div>}
      {children}
    </div>
  );
}
setPluginPage(HarnessPluginPage);

function setCookie(name: string, value: string) {
  document.cookie = `${name}=${encodeURIComponent(value)}; path=/; SameSite=Strict`;
  window.location.reload();
}

/** The harness' own bar: the app's navigation (Grafana's side menu) and who is signed in. */
function Chrome({ children, inApp }: { children: React.ReactNode; inApp: boolean }) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.shell}>
      <nav className={styles.nav} aria-label="Hyperion pages">
        <strong>Hyperion</strong>
        {pages.map((p) =>
          inApp ? (
            <NavLink key={p.path} to={p.path.slice(BASE.length)} className={styles.link}>
              {p.name}
            </NavLink>
          ) : (
            <a key={p.path} href={p.path} className={styles.link}>
              {p.name}
            </a>
          ),
        )}
        <a href={`/plugins/${pluginJson.id}`} className={styles.link}>
          Configuration
        </a>
        <span className={styles.who} data-testid="harness-user">
          {boot.user.login}
          <RadioButtonGroup
            size="sm"
            aria-label="Harness role"
            options={['Viewer', 'Editor', 'Admin'].map((r) => ({ label: r, value: r }))}
            value={boot.user.role}
            onChange={(role) => setCookie(USER_COOKIE, `${role}:${boot.user.login}`)}
          />
          <Button
            size="sm"
            variant="secondary"
            fill="outline"
            onClick={() => setCookie(THEME_COOKIE, boot.theme === 'dark' ? 'light' : 'dark')}
          >
            {boot.theme === 'dark' ? 'Light' : 'Dark'} theme
          </Button>
        </span>
      </nav>
      <main className={styles.main}>{children}</main>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  shell: css({ minHeight: '100vh', background: theme.colors.background.canvas }),
  nav: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1.5),
    padding: theme.spacing(1, 2),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    background: theme.colors.background.primary,
  }),
  link: css({
    color: theme.colors.text.secondary,
    '&.active': { color: theme.colors.text.primary, fontWeight: theme.typography.fontWeightMedium },
  }),
  who: css({ marginLeft: 'auto', display: 'inline-flex', gap: theme.spacing(1), alignItems: 'center' }),
  main: css({ padding: theme.spacing(2, 3), [theme.breakpoints.down('sm')]: { padding: theme.spacing(1) } }),
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  title: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
    h1: { margin: 0 },
  }),
  sub: css({ color: theme.colors.text.secondary }),
});

export function renderHarness(plugin: AppPlugin<KeyValue>): void {
  const meta = {
    id: pluginJson.id,
    name: pluginJson.name,
    type: 'app',
    enabled: true,
    pinned: true,
    info: pluginJson.info,
    module: '',
    baseUrl: `public/plugins/${pluginJson.id}`,
    jsonData: boot.jsonData,
    secureJsonFields: boot.secureJsonFields,
  } as unknown as AppPluginMeta<KeyValue>;
  plugin.meta = meta;

  // The browser tests compare computed colours with what Grafana's createTheme() says.
  (window as unknown as { __grafanaCreateTheme: typeof createTheme }).__grafanaCreateTheme = createTheme;

  function Harness() {
    const theme = createTheme({ colors: { mode: boot.theme } });
    const Root = plugin.root;
    const ConfigPage = plugin.configPages?.[0]?.body;
    const onConfig = window.location.pathname.startsWith(`/plugins/${pluginJson.id}`);
    return (
      <ThemeContext.Provider value={theme}>
        <GlobalStyles />
        {onConfig ? (
          <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Chrome inApp={false}>{ConfigPage && <ConfigPage plugin={plugin} query={{}} />}</Chrome>
          </BrowserRouter>
        ) : (
          <BrowserRouter basename={BASE} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Chrome inApp>
              {Root && (
                <Root meta={meta} query={{}} path={BASE} basename={BASE} onNavChanged={() => undefined} />
              )}
            </Chrome>
          </BrowserRouter>
        )}
      </ThemeContext.Provider>
    );
  }

  createRoot(document.getElementById('root')!).render(<Harness />);
}
