/**
 * The app's configuration page (Grafana admins): where the exporter is, the three tokens the
 * proxy routes add (write-only: Grafana encrypts them and only says whether each is set), a
 * connection test through each route, and the admin's own second-factor enrolment.
 */
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { ApiProvider } from '../api/ApiContext';
import { toApiError } from '../api/errors';
import { PLUGIN_ID } from '../constants';
import { OtpEnrolment } from '../pages/SecondFactor/OtpEnrolment';
import { TOKEN_FIELDS, type AppJsonData, type AppSecureJsonData } from '../settings';
import { ConnectionTest } from './ConnectionTest';

type Props = PluginConfigPageProps<AppPluginMeta<AppJsonData>>;
type TokenKey = keyof AppSecureJsonData;

/** "http://host:8470/" and "http://host:8470/api/v1" both mean http://host:8470: routes add /api/v1. */
export function normaliseExporterUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/, '');
}

export function validateExporterUrl(url: string): string | undefined {
  if (url.trim() === '') return 'The exporter URL is required';
  try {
    const parsed = new URL(normaliseExporterUrl(url));
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'Use an http:// or https:// URL';
  } catch {
    return 'Not a URL, e.g. http://hyperion-exporter:8470';
  }
  return undefined;
}

export function AppConfig({ plugin }: Props) {
  const styles = useStyles2(getStyles);
  const meta = plugin.meta;
  const [exporterUrl, setExporterUrl] = useState(meta.jsonData?.exporterUrl ?? '');
  const [prometheusUid, setPrometheusUid] = useState(meta.jsonData?.prometheusUid ?? '');
  const [secrets, setSecrets] = useState<AppSecureJsonData>({});
  const [configured, setConfigured] = useState<Record<TokenKey, boolean>>({
    viewerToken: Boolean(meta.secureJsonFields?.viewerToken),
    operatorToken: Boolean(meta.secureJsonFields?.operatorToken),
    adminToken: Boolean(meta.secureJsonFields?.adminToken),
  });
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  const urlProblem = validateExporterUrl(exporterUrl);

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    if (urlProblem) return;
    setSaving(true);
    setSaveError(undefined);
    // Only tokens typed in (or reset) are sent: the others stay as Grafana keeps them.
    const secureJsonData: AppSecureJsonData = {};
    for (const { key } of TOKEN_FIELDS) {
      const typed = secrets[key];
      if (typed !== undefined) secureJsonData[key] = typed;
      else if (!configured[key]) secureJsonData[key] = '';
    }
    try {
      await lastValueFrom(
        getBackendSrv().fetch({
          url: `api/plugins/${PLUGIN_ID}/settings`,
          method: 'POST',
          data: {
            enabled: true,
            pinned: true,
            jsonData: { ...meta.jsonData, exporterUrl: normaliseExporterUrl(exporterUrl), prometheusUid },
            secureJsonData,
          },
          showErrorAlert: false,
        }),
      );
      setConfigured((c) => {
        const next = { ...c };
        for (const { key } of TOKEN_FIELDS) if (secrets[key]) next[key] = true;
        return next;
      });
      setSecrets({});
      setSaved(true);
    } catch (error) {
      setSaveError(toApiError(error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className={styles.page} data-testid="app-config">
      <form onSubmit={save}>
        <FieldSet label="Exporter">
          <Field
            label="Exporter URL"
            description="As Grafana's server reaches it (not the browser): the proxy routes add /api/v1."
            invalid={exporterUrl !== '' && urlProblem !== undefined}
            error={exporterUrl !== '' ? urlProblem : undefined}
          >
            <Input
              id="hyperion-exporter-url"
              value={exporterUrl}
              placeholder="http://hyperion-exporter:8470"

              onChange={(e) => {
                setExporterUrl(e.currentTarget.value);
                setSaved(false);
              }}
            />
          </Field>
          <Field
            label="Prometheus data source UID"
            description="Used by the Overview page (forecasts, alerts)."
          >
            <Input
              id="hyperion-prometheus-uid"
              value={prometheusUid}
              placeholder="prometheus"

              onChange={(e) => setPrometheusUid(e.currentTarget.value)}
            />
          </Field>
        </FieldSet>
        <FieldSet label="Tokens">
          <p className={styles.help}>
            One exporter token per Grafana role, created with{' '}
            <code>hyperion-exporter token create --name grafana-viewer --role viewer --grafana</code> (and
            operator, admin). A Grafana Viewer can only ever use the viewer token.
          </p>
          {TOKEN_FIELDS.map(({ key, role, grafanaRole }) => (
            <Field key={key} label={`${grafanaRole} → ${role} token`}>
              <SecretInput
                id={`hyperion-${key}`}
                isConfigured={configured[key]}
                value={secrets[key] ?? ''}
                placeholder={`token with the ${role} role`}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  setSecrets((s) => ({ ...s, [key]: value }));
                  setSaved(false);
                }}
                onReset={() => {
                  setConfigured((c) => ({ ...c, [key]: false }));
                  setSecrets((s) => ({ ...s, [key]: '' }));
                }}
              />
            </Field>
          ))}
        </FieldSet>
        {saveError && (
          <Alert severity="error" title="Not saved">
            {saveError}
          </Alert>
        )}
        {saved && <Alert severity="success" title="Saved. Test the connection below." />}
        <Button type="submit" disabled={saving || urlProblem !== undefined}>
          {saving ? 'Saving…' : 'Save settings'}
        </Button>
      </form>
      <FieldSet label="Connection test">
        <ConnectionTest />
      </FieldSet>
      <FieldSet label="Your second factor">
        <ApiProvider>
          <OtpEnrolment />
        </ApiProvider>
      </FieldSet>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(3), maxWidth: 640, minWidth: 0 }),
  help: css({
    color: theme.colors.text.secondary,
    marginBottom: theme.spacing(2),
    code: { whiteSpace: 'normal', overflowWrap: 'anywhere' },
  }),
});
