/** The HTTP server: landing page, /metrics, and (from later modules) /probe and /api/v1. */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Express, type Request, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CollectorRegistry } from '../collectors/registry.js';
import type { Host } from '../hosts/host.js';
import { VERSION } from '../version.js';
import { CONTENT_TYPE, render } from './exposition.js';
import { errorHandler, notFoundHandler } from './problem.js';

export interface AppDeps {
  log: Logger;
  host: Host;
  collectors: CollectorRegistry;
  selfMetrics: Registry;
  telemetryPath: string;
  /** The control API, mounted at /api/v1 when present. */
  api?: Router;
  /** GET /probe?target=NAME: the collectors against an SSH host (server/probe.ts). */
  probe?: RequestHandler;
  /** API routes also served outside /api/v1 (POST /-/reload). */
  apiAliases?: Router;
}

/** node_exporter's filter: `collect[]=cpu&collect[]=meminfo`. */
function collectFilter(req: Request): string[] {
  const raw = req.query['collect[]'];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

function landingPage(deps: AppDeps): string {
  const collectors = deps.collectors
    .enabledNames()
    .map((n) => `<li><code>${n}</code></li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hyperion exporter</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{background:#eee;padding:0 .2em}</style>
</head><body>
<h1>Hyperion exporter</h1>
<p>Version ${VERSION}. Host metrics in the Prometheus format and a control API.</p>
<ul>
<li><a href="${deps.telemetryPath}">${deps.telemetryPath}</a> — metrics of this host</li>
<li><code>/probe?target=NAME</code> — metrics of an SSH host of the inventory</li>
<li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a> — the control API (OpenAPI 3.1)</li>
</ul>
<h2>Enabled collectors</h2><ul>${collectors}</ul>
</body></html>
`;
}

/** The families of one scrape as exposition text. */
async function scrapeText(deps: AppDeps, filter: readonly string[]): Promise<string> {
  return render(await deps.collectors.collect(deps.host, filter), deps.selfMetrics);
}

/**
 * The server's request listener: GET /metrics is answered on node:http directly, everything
 * else (and a /metrics request that is not a plain successful scrape) goes through express.
 * Why: express' router, request and response decorations cost about 0.3 ms per request, a
 * tenth of a scrape, and Prometheus scrapes every host every 15 s. The express route for the
 * same path stays the single place for HEAD, errors (an unknown collect[] name answers 400
 * there) and anything unusual, so both paths cannot drift apart in what they accept.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  const app = createApp(deps);
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.method === 'GET' ? new URL(req.url ?? '/', 'http://x') : undefined;
    if (url?.pathname !== deps.telemetryPath) {
      app(req, res);
      return;
    }
    const filter = url.searchParams.getAll('collect[]');
    try {
      deps.collectors.select(filter); // throws on an unknown name: express answers that
    } catch {
      app(req, res);
      return;
    }
    scrapeText(deps, filter).then(
      (body) => {
        res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      },
      () => app(req, res), // a failed render: express logs it and answers with a problem
    );
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/', (_req, res) => {
    res.type('html').send(landingPage(deps));
  });

  app.get(deps.telemetryPath, async (req, res) => {
    res.type(CONTENT_TYPE).send(await scrapeText(deps, collectFilter(req)));
  });

  if (deps.probe) app.get('/probe', deps.probe);
  if (deps.api) app.use('/api/v1', deps.api);
  if (deps.apiAliases) app.use(deps.apiAliases);

  app.use(notFoundHandler());
  app.use(errorHandler(deps.log));
  return app;
}
