/**
 * The harness server: a MOCK OF GRAFANA'S OWN SERVER (the one part that cannot run here), and
 * nothing more. It serves the harness page and bundle, keeps the app's settings in memory
 * (Grafana's plugin settings API), and plays Grafana's plugin proxy by reading plugin.json:
 *
 *   /api/plugin-proxy/hyperion-app/<route>/<rest>  →  <route.url with jsonData><rest>
 *
 * with the route chosen by plugin.json's path and method, refused with Grafana's own 403 when
 * the signed-in user's role is below its reqRole, Cookie/Origin/Referer removed, the client
 * appended to X-Forwarded-For, X-Grafana-Context set to the signed-in user, and the route's
 * headers (templated from secureJsonData) applied last. Everything behind it is real: the
 * exporter, its tokens, its second factor.
 */
import { existsSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_USER,
  THEME_COOKIE,
  USER_COOKIE,
  parseCookies,
  parseUser,
  roleIncludes,
  userId,
  type HarnessUser,
} from './session';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PLUGIN_ROOT = path.resolve(HERE, '..');
/** Grafana serves @grafana/ui's icons at public/build/img/icons/; the package ships them. */
const ICONS_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.resolve('@grafana/ui'))),
  '..',
  'public',
  'img',
  'icons',
);

/**
 * Grafana serves its fonts at public/fonts/ (Inter and Roboto Mono, the files @grafana/ui's
 * global styles name). Grafana's server package is not here; the same typefaces come from the
 * @fontsource packages, installed with the plugin's development dependencies: no network.
 */
function fontFile(pkg: string, file: string): string {
  return path.join(path.dirname(fileURLToPath(import.meta.resolve(`${pkg}/package.json`))), 'files', file);
}
const FONTS: Record<string, string> = {
  'inter/Inter-Regular.woff2': fontFile('@fontsource/inter', 'inter-latin-400-normal.woff2'),
  'inter/Inter-Medium.woff2': fontFile('@fontsource/inter', 'inter-latin-500-normal.woff2'),
  'inter/Inter-Italic.woff2': fontFile('@fontsource/inter', 'inter-latin-400-italic.woff2'),
  'inter/Inter-MediumItalic.woff2': fontFile('@fontsource/inter', 'inter-latin-500-italic.woff2'),
  'roboto/L0xTDF4xlVMF-BfR8bXMIhJHg45mwgGEFl0_3vrtSM1J-gEPT5Ese6hmHSh0mQ.woff2': fontFile(
    '@fontsource/roboto-mono',
    'roboto-mono-latin-400-normal.woff2',
  ),
};

/** Which bundle renders the page: the harness build, or the shipped dist/module.js through an AMD loader. */
export const LOADER_COOKIE = 'hyperion_harness_loader';

interface PluginRoute {
  path: string;
  method?: string;
  url?: string;
  reqRole?: string;
  headers?: { name: string; content: string }[];
}

interface PluginJson {
  id: string;
  routes: PluginRoute[];
}

export interface HarnessSettings {
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

export interface HarnessOptions {
  /** Directory of the built harness bundle (harness.js). */
  bundleDir: string;
  settings: HarnessSettings;
  /** A Prometheus base URL for the Overview's data source queries, if any. */
  prometheusUrl?: string;
  /** 0: any free port. Always on 127.0.0.1. */
  port?: number;
  /** The built plugin (dist/): its module.js is what the AMD loader page loads, as Grafana does. */
  distDir?: string;
  log?: (line: string) => void;
}

export interface Harness {
  url: string;
  settings: HarnessSettings;
  close(): Promise<void>;
}

const PLUGIN = JSON.parse(readFileSync(path.join(PLUGIN_ROOT, 'src/plugin.json'), 'utf8')) as PluginJson;

/** Grafana's `{{ .JsonData.x }}` / `{{ .SecureJsonData.x }}` templating, for the fields plugin.json uses. */
export function interpolate(template: string, settings: HarnessSettings): string {
  return template.replace(
    /\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g,
    (_m, kind: string, key: string) => {
      const source = kind === 'JsonData' ? settings.jsonData : settings.secureJsonData;
      const value = source[key];
      return value === undefined || value === null ? '' : String(value);
    },
  );
}

/** Grafana's route match: "name/*" takes the rest of the path, anything else must match exactly. */
export function matchRoute(
  routes: readonly PluginRoute[],
  method: string,
  proxyPath: string,
): { route: PluginRoute; rest: string } | undefined {
  for (const route of routes) {
    if (route.method && route.method !== '*' && route.method.toUpperCase() !== method) continue;
    if (route.path.endsWith('/*')) {
      const prefix = route.path.slice(0, -1);
      if (proxyPath.startsWith(prefix)) return { route, rest: proxyPath.slice(prefix.length) };
      if (proxyPath === route.path.slice(0, -2)) return { route, rest: '' };
    } else if (proxyPath === route.path) {
      return { route, rest: '' };
    }
  }
  return undefined;
}

/** What Grafana marshals into X-Grafana-Context for a signed-in user (the fields the exporter reads, and a few more). */
export function grafanaContext(user: HarnessUser): string {
  return JSON.stringify({
    UserID: userId(user),
    OrgID: 1,
    OrgName: 'Main Org.',
    OrgRole: user.role,
    Login: user.login,
    Name: user.login,
    Email: `${user.login}@harness.invalid`,
    IsGrafanaAdmin: false,
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit = 1_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const DROPPED_HEADERS = new Set([
  'cookie',
  'origin',
  'referer',
  'host',
  'connection',
  'x-grafana-context',
  'x-grafana-user',
]);

/** Streams a request to `target` and its answer back, the way a reverse proxy does. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  headers: Record<string, string | string[]>,
  log: (line: string) => void,
): void {
  const client = target.protocol === 'https:' ? https : http;
  const upstream = client.request(target, { method: req.method, headers, timeout: 120_000 }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  let clientLeft = false;
  upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
  upstream.on('error', (error) => {
    // Hung up on because the browser left (a page navigated away): nobody to answer, no fault.
    if (clientLeft) return;
    log(`proxy ${req.method} ${target.pathname}: ${error.message}`);
    if (!res.headersSent) json(res, 502, { message: 'Bad Gateway', error: error.message });
    else res.destroy();
  });
  // A client that gives up (or an upload refused early) must not leave the upstream hanging.
  res.on('close', () => {
    if (res.writableFinished) return;
    clientLeft = true;
    upstream.destroy();
  });
  req.pipe(upstream);
}

/** The first language of an Accept-Language header ("en-GB,en;q=0.9" → "en-GB"), as Grafana takes it. */
export function acceptedLocale(header: string | undefined): string {
  const first = (header ?? '').split(',')[0]?.split(';')[0]?.trim() ?? '';
  return /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(first) ? first : 'en-US';
}

function pageHtml(
  user: HarnessUser,
  theme: 'dark' | 'light',
  settings: HarnessSettings,
  locale: string,
  bundle: string,
): string {
  const bootData = {
    settings: {
      appSubUrl: '',
      appUrl: '/',
      buildInfo: { version: '13.1.1', commit: 'harness', edition: 'Open Source', env: 'development' },
      featureToggles: {},
      datasources: {},
      panels: {},
      apps: {},
      theme2: { isDark: theme === 'dark' },
    },
    user: {
      id: userId(user),
      uid: 'harness',
      login: user.login,
      name: user.login,
      email: `${user.login}@harness.invalid`,
      orgId: 1,
      orgName: 'Main Org.',
      orgRole: user.role === 'None' ? '' : user.role,
      isSignedIn: true,
      isGrafanaAdmin: false,
      theme,
      lightTheme: theme === 'light',
      timezone: 'browser',
      weekStart: 'browser',
      locale,
      regionalFormat: locale,
      language: 'en-US',
      permissions: {},
    },
    navTree: [],
  };
  const harness = {
    user,
    theme,
    jsonData: settings.jsonData,
    secureJsonFields: Object.fromEntries(
      Object.entries(settings.secureJsonData).map(([k, v]) => [k, v !== '']),
    ),
  };
  // JSON inside <script>: "<" escaped so no value can close the element.
  const inline = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="/">
<title>Hyperion — harness</title>
<style>body { margin: 0; }</style>
<script>
window.grafanaBootData = ${inline(bootData)};
window.__HYPERION_HARNESS__ = ${inline(harness)};
</script>
</head>
<body class="theme-${theme}">
<div id="root"></div>
<script src="/harness-assets/${bundle}.js"></script>
</body>
</html>`;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.css': 'text/css',
};

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const settings: HarnessSettings = {
    jsonData: { ...options.settings.jsonData },
    secureJsonData: { ...options.settings.secureJsonData },
  };
  const log = options.log ?? (() => undefined);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://harness.invalid');
    const cookies = parseCookies(req.headers.cookie);
    const user = cookies[USER_COOKIE] ? parseUser(cookies[USER_COOKIE]) : DEFAULT_USER;
    const theme = cookies[THEME_COOKIE] === 'light' ? 'light' : 'dark';
    const method = (req.method ?? 'GET').toUpperCase();

    const proxyPrefix = `/api/plugin-proxy/${PLUGIN.id}/`;
    if (url.pathname.startsWith(proxyPrefix)) {
      const proxyPath = url.pathname.slice(proxyPrefix.length);
      const match = matchRoute(PLUGIN.routes, method, proxyPath);
      if (!match) return json(res, 404, { message: 'plugin route match not found' });
      if (match.route.reqRole && !roleIncludes(user.role, match.route.reqRole)) {
        return json(res, 403, { message: 'plugin proxy route access denied' });
      }
      const base = new URL(interpolate(match.route.url ?? '', settings));
      const target = new URL(base.toString());
      target.pathname = `${base.pathname.replace(/\/$/, '')}/${match.rest}`.replace(/\/{2,}/g, '/');
      target.search = url.search;
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !DROPPED_HEADERS.has(name)) headers[name] = value;
      }
      const client = req.socket.remoteAddress ?? '127.0.0.1';
      headers['x-forwarded-for'] = headers['x-forwarded-for']
        ? `${String(headers['x-forwarded-for'])}, ${client}`
        : client;
      // Grafana writes the header's JSON as UTF-8 bytes; Node would write the string as Latin-1.
      headers['x-grafana-context'] = Buffer.from(grafanaContext(user), 'utf8').toString('latin1');
      // Grafana renames a browser-sent Authorization; the route's own header then wins.
      if (headers.authorization) {
        headers['x-ds-authorization'] = headers.authorization;
        delete headers.authorization;
      }
      for (const h of match.route.headers ?? [])
        headers[h.name.toLowerCase()] = interpolate(h.content, settings);
      return forward(req, res, target, headers, log);
    }

    if (url.pathname === `/api/plugins/${PLUGIN.id}/settings`) {
      if (method === 'GET') {
        return json(res, 200, {
          id: PLUGIN.id,
          enabled: true,
          jsonData: settings.jsonData,
          secureJsonFields: Object.fromEntries(Object.keys(settings.secureJsonData).map((k) => [k, true])),
        });
      }
      if (method === 'POST') {
        if (user.role !== 'Admin') return json(res, 403, { message: 'Permission denied' });
        const body = JSON.parse(await readBody(req)) as {
          jsonData?: Record<string, unknown>;
          secureJsonData?: Record<string, string>;
        };
        if (body.jsonData) settings.jsonData = body.jsonData;
        for (const [key, value] of Object.entries(body.secureJsonData ?? {})) {
          if (value === '') delete settings.secureJsonData[key];
          else settings.secureJsonData[key] = value;
        }
        return json(res, 200, { message: 'Plugin settings updated' });
      }
    }

    const ds = /^\/api\/datasources\/proxy\/uid\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (ds) {
      if (!options.prometheusUrl || ds[1] !== settings.jsonData.prometheusUid) {
        return json(res, 404, { message: 'Data source not found' });
      }
      const target = new URL(`${options.prometheusUrl.replace(/\/$/, '')}${ds[2]}${url.search}`);
      return forward(req, res, target, { accept: 'application/json' }, log);
    }

    if (url.pathname.startsWith('/public/fonts/')) {
      const file = FONTS[url.pathname.slice('/public/fonts/'.length)];
      if (!file || !existsSync(file)) return json(res, 404, { message: 'Not found' });
      res.writeHead(200, { 'content-type': 'font/woff2', 'cache-control': 'max-age=3600' });
      return res.end(readFileSync(file));
    }

    const statics: [string, string][] = [
      ['/harness-assets/', options.bundleDir],
      ['/public/build/img/icons/', ICONS_DIR],
      // Grafana serves the installed plugin (dist/) here; without a build, the sources' assets.
      [`/public/plugins/${PLUGIN.id}/`, options.distDir ?? path.join(PLUGIN_ROOT, 'src')],
    ];
    for (const [prefix, dir] of statics) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = path.join(dir, path.normalize(decodeURIComponent(url.pathname.slice(prefix.length))));
      if (!file.startsWith(dir + path.sep) || !existsSync(file))
        return json(res, 404, { message: 'Not found' });
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      return res.end(readFileSync(file));
    }

    if (url.pathname === '/' || url.pathname === '/a/' || url.pathname === `/a/${PLUGIN.id}`) {
      res.writeHead(302, { location: `/a/${PLUGIN.id}/overview` });
      return res.end();
    }
    if (url.pathname.startsWith(`/a/${PLUGIN.id}/`) || url.pathname === `/plugins/${PLUGIN.id}`) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      const bundle = cookies[LOADER_COOKIE] === 'amd' ? 'amd-host' : 'harness';
      return res.end(pageHtml(user, theme, settings, acceptedLocale(req.headers['accept-language']), bundle));
    }
    return json(res, 404, { message: 'Not found' });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`harness: ${String(error)}`);
      if (!res.headersSent) json(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    settings,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
