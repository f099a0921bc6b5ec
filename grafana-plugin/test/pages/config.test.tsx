/** The configuration page: URL checks, write-only tokens, the per-route connection test. */
import { setBackendSrv, type BackendSrv } from '@grafana/runtime';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import type { AppPluginMeta, PluginConfigPageProps } from '@grafana/data';
import { AppConfig, normaliseExporterUrl, validateExporterUrl } from '../../src/config/AppConfig';
import { checkRoutes, judgeWhoAmI } from '../../src/config/ConnectionTest';
import type { AppJsonData } from '../../src/settings';
import { fakeBackend } from '../support/fakeBackend';

function meta(secure: Record<string, boolean>): PluginConfigPageProps<AppPluginMeta<AppJsonData>> {
  return {
    plugin: {
      meta: {
        id: 'hyperion-app',
        enabled: true,
        jsonData: { exporterUrl: 'http://old:8470' },
        secureJsonFields: secure,
      },
    },
    query: {},
  } as unknown as PluginConfigPageProps<AppPluginMeta<AppJsonData>>;
}

describe('configuration page', () => {
  it('normalises and checks the exporter URL', () => {
    expect(normaliseExporterUrl(' http://exporter:8470/api/v1/ ')).toBe('http://exporter:8470');
    expect(validateExporterUrl('')).toMatch(/required/);
    expect(validateExporterUrl('ftp://x')).toMatch(/http/);
    expect(validateExporterUrl('exporter:8470')).toBeDefined();
    expect(validateExporterUrl('http://exporter:8470')).toBeUndefined();
  });

  it('saves the URL and only the tokens that were typed, keeping the others as Grafana stores them', async () => {
    const user = userEvent.setup();
    const backend = fakeBackend();
    backend.on('POST', '/api/plugins/hyperion-app/settings', { body: { message: 'ok' } });
    backend.on('GET', '/auth/whoami', {
      body: {
        actor: 'admin',
        role: 'admin',
        token: 't',
        viaGrafana: true,
        otp: { policy: 'required', enrolled: true, confirmed: true },
      },
    });
    setBackendSrv({ fetch: backend.fetch } as unknown as BackendSrv);
    render(<AppConfig {...meta({ viewerToken: true, operatorToken: true, adminToken: false })} />);
    const url = screen.getByRole('textbox', { name: /Exporter URL/ });
    await user.clear(url);
    await user.type(url, 'http://exporter:8470/');
    await user.type(screen.getByPlaceholderText('token with the admin role'), 'secret-admin');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText(/Saved/)).toBeInTheDocument();
    const body = backend.callsTo('POST', '/api/plugins/hyperion-app/settings')[0]!.body as Record<
      string,
      unknown
    >;
    expect(body.jsonData).toEqual({ exporterUrl: 'http://exporter:8470', prometheusUid: '' });
    expect(body.secureJsonData).toEqual({ adminToken: 'secret-admin' });
  });

  it('judges each route by the role and Grafana flag of its token', async () => {
    const backend = fakeBackend();
    const who = (role: string, viaGrafana: boolean) => ({
      actor: 'x',
      role,
      token: `tok-${role}`,
      viaGrafana,
      otp: { policy: 'disabled', enrolled: false, confirmed: false },
    });
    backend.on('GET', '/auth/whoami', (call) =>
      call.route === 'viewer'
        ? { body: who('viewer', true) }
        : call.route === 'operator'
          ? { body: who('admin', true) }
          : {
              status: 401,
              body: {
                type: 'urn:hyperion:problem:unauthenticated',
                title: 'x',
                status: 401,
                detail: 'the API token is unknown or revoked',
              },
            },
    );
    const checks = await checkRoutes(backend.fetch);
    expect(checks.map((c) => [c.route, c.ok])).toEqual([
      ['viewer', true],
      ['operator', false],
      ['admin', false],
    ]);
    expect(checks[1]!.message).toMatch(/admin role, not operator/);
    expect(checks[2]!.message).toMatch(/unknown or revoked/);
    expect(judgeWhoAmI('viewer', { ...who('viewer', false) } as never)).toMatch(/--grafana/);
  });
});
