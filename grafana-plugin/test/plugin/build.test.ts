/**
 * @jest-environment node
 *
 * What Grafana's plugin validator would check, done here because it cannot run offline: the
 * real production build (webpack, into a temporary directory), plugin.json against Grafana's
 * schema, the proxy routes and their roles, version equality, the files Grafana and the
 * catalogue expect, and the size of module.js.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import { PAGES } from '../../src/constants';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const LIMIT = 500 * 1024;

interface Route {
  path: string;
  method?: string;
  url?: string;
  reqRole?: string;
  headers?: { name: string; content: string }[];
}
interface Include {
  type: string;
  name: string;
  path?: string;
  role?: string;
  addToNav?: boolean;
  defaultNav?: boolean;
}
interface PluginJson {
  id: string;
  type: string;
  info: { version: string; updated: string; logos: { small: string; large: string } };
  includes: Include[];
  routes: Route[];
  dependencies: { grafanaDependency: string };
}

const source = JSON.parse(readFileSync(path.join(ROOT, 'src/plugin.json'), 'utf8')) as PluginJson;
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const schema = JSON.parse(
  readFileSync(path.join(ROOT, 'test/fixtures/plugin.schema.json'), 'utf8'),
) as object;

let out: string;
let built: PluginJson;
let buildLog: string;

beforeAll(async () => {
  out = mkdtempSync(path.join(os.tmpdir(), 'hyperion-plugin-build-'));
  const webpack = path.join(ROOT, 'node_modules/.bin/webpack');
  const bin = existsSync(webpack) ? webpack : path.join(ROOT, '../node_modules/.bin/webpack');
  const result = await run(bin, ['--mode', 'production', '--output-path', out], {
    cwd: ROOT,
    timeout: 240_000,
  });
  buildLog = result.stdout;
  built = JSON.parse(readFileSync(path.join(out, 'plugin.json'), 'utf8')) as PluginJson;
}, 300_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

function validate(document: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, unicodeRegExp: false });
  const check = ajv.compile(schema);
  return check(document) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('plugin.json', () => {
  it('is valid against Grafana’s plugin.json schema, as written and as shipped', () => {
    expect(validate(source)).toEqual([]);
    expect(validate(built)).toEqual([]);
  });

  it('the schema fixture really rejects what Grafana rejects', () => {
    expect(validate({ ...source, id: 'Hyperion' })).not.toEqual([]);
    expect(validate({ ...source, routes: [{ path: 'x', reqRole: 'Owner' }] })).not.toEqual([]);
    expect(validate({ ...source, includes: [{ type: 'page', name: 'x', role: 'Root' }] })).not.toEqual([]);
    const { dependencies: _dependencies, ...withoutDependencies } = source;
    expect(validate(withoutDependencies)).not.toEqual([]);
  });

  it('ships the package version and a real date', () => {
    expect(built.info.version).toBe(pkg.version);
    expect(built.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(readFileSync(path.join(out, 'plugin.json'), 'utf8')).not.toMatch(/%VERSION%|%TODAY%/);
  });

  it('is an app for Grafana 12.3 and later', () => {
    expect(source.id).toBe('hyperion-app');
    expect(source.type).toBe('app');
    expect(source.dependencies.grafanaDependency).toBe('>=12.3.0');
  });

  it('has one proxy route per role, each adding its own token to the exporter URL from jsonData', () => {
    const expected = [
      { path: 'viewer/*', reqRole: 'Viewer', token: 'viewerToken' },
      { path: 'operator/*', reqRole: 'Editor', token: 'operatorToken' },
      { path: 'admin/*', reqRole: 'Admin', token: 'adminToken' },
    ];
    expect(source.routes.map((r) => r.path)).toEqual(expected.map((e) => e.path));
    for (const [i, e] of expected.entries()) {
      const route = source.routes[i]!;
      expect(route.reqRole).toBe(e.reqRole);
      expect(route.method).toBe('*');
      expect(route.url).toBe('{{ .JsonData.exporterUrl }}/api/v1');
      expect(route.headers).toEqual([
        { name: 'Authorization', content: `Bearer {{ .SecureJsonData.${e.token} }}` },
      ]);
    }
    // No token may ever sit in plugin.json or jsonData.
    expect(JSON.stringify(source)).not.toMatch(/\{\{ \.JsonData\.\w*[Tt]oken/);
  });

  it('includes every page of the app, under /a/hyperion-app/, and nothing the app does not route', () => {
    // Page includes with "d/<uid>" link a shipped dashboard into the app's navigation.
    const pages = source.includes.filter((i) => i.type === 'page' && !i.path?.startsWith('d/'));
    const paths = pages.map((p) => p.path);
    expect(paths.sort()).toEqual(
      Object.values(PAGES)
        .map((p) => `/a/hyperion-app/${p}`)
        .sort(),
    );
    expect(pages.filter((p) => p.defaultNav)).toHaveLength(1);
    for (const p of pages) expect(['Viewer', 'Editor', 'Admin']).toContain(p.role);
    expect(pages.find((p) => p.path?.endsWith('/audit'))?.role).toBe('Editor');
  });

  it('every included dashboard exists in the build and parses, and every dashboard link names one', () => {
    const dashboards = source.includes.filter((i) => i.type === 'dashboard');
    const uids = new Set<string>();
    for (const d of dashboards) {
      expect(d.path).toMatch(/^dashboards\/[\w.-]+\.json$/);
      const file = path.join(out, d.path ?? '');
      expect(existsSync(file)).toBe(true);
      const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
        title?: unknown;
        uid?: unknown;
        revision?: unknown;
        panels?: unknown;
      };
      expect(typeof dashboard.title).toBe('string');
      // Grafana replaces an imported copy only when the plugin version and this revision change.
      expect(Number.isInteger(dashboard.revision) && (dashboard.revision as number) >= 1).toBe(true);
      expect(typeof dashboard.uid).toBe('string');
      expect(Array.isArray(dashboard.panels)).toBe(true);
      uids.add(dashboard.uid as string);
    }
    expect(uids.size).toBe(dashboards.length);
    for (const link of source.includes.filter((i) => i.type === 'page' && i.path?.startsWith('d/'))) {
      expect(uids).toContain(link.path!.slice(2));
    }
    // Every dashboard file the build ships is included (none forgotten in src/dashboards).
    const shipped = existsSync(path.join(out, 'dashboards')) ? readdirSync(path.join(out, 'dashboards')) : [];
    expect(shipped.map((f) => `dashboards/${f}`).sort()).toEqual(dashboards.map((d) => d.path).sort());
  });
});

describe('the build', () => {
  it('has module.js, plugin.json, README, CHANGELOG, LICENSE and the logos', () => {
    for (const file of [
      'module.js',
      'plugin.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      built.info.logos.small,
      built.info.logos.large,
    ]) {
      expect(existsSync(path.join(out, file))).toBe(true);
    }
    expect(readFileSync(path.join(out, 'README.md'), 'utf8').length).toBeGreaterThan(200);
  });

  it('is an AMD module leaving Grafana’s packages external', () => {
    const js = readFileSync(path.join(out, 'module.js'), 'utf8');
    const header = /define\((\[[^\]]*\])/.exec(js);
    expect(header).not.toBeNull();
    const deps = JSON.parse(header![1]!) as string[];
    for (const external of [
      'react',
      'react/jsx-runtime',
      '@grafana/ui',
      '@grafana/runtime',
      '@grafana/data',
      'rxjs',
    ]) {
      expect(deps).toContain(external);
    }
    // react-router-dom is bundled (v6, on top of the react-router Grafana provides).
    expect(deps).not.toContain('react-router-dom');
    // A second React inside the bundle would break hooks in Grafana.
    expect(js).not.toMatch(/react\.production\.min\.js|__SECRET_INTERNALS_DO_NOT_USE/);
    // Development JSX calls need react/jsx-dev-runtime, which Grafana does not share.
    expect(js).not.toMatch(/jsxDEV/);
  });

  it(`keeps module.js within ${LIMIT / 1024} KiB`, () => {
    const bytes = statSync(path.join(out, 'module.js')).size;
    console.log(`module.js: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB of ${LIMIT / 1024} KiB)`);
    expect(buildLog).toContain(`module.js: ${bytes} bytes`);
    expect(bytes).toBeLessThanOrEqual(LIMIT);
  });
});
