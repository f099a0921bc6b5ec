/**
 * A scraper that behaves like Prometheus towards a target: one keep-alive connection per target,
 * Prometheus 2.x's headers, and a latency that ends when the last byte of the body arrived.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';

/** What Prometheus 2.42 (Debian's) sends with its default scrape settings. */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface ScrapeResult {
  status: number;
  /** Milliseconds from sending the request to the last byte of the body. */
  ms: number;
  contentType: string;
  body: Buffer;
  gzipped: boolean;
  /** False when the request had to open a new connection. */
  reusedConnection: boolean;
}

export interface ScraperOptions {
  /** Also send Prometheus' `Accept-Encoding: gzip` (the target then spends CPU compressing). */
  gzip: boolean;
  timeoutMs: number;
  /** More headers, e.g. the bearer token /probe asks for. */
  headers?: Record<string, string>;
}

export class Scraper {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly headers: Record<string, string>;
  connectionsOpened = 0;

  constructor(
    private readonly url: URL,
    private readonly options: ScraperOptions,
  ) {
    this.headers = {
      accept: PROMETHEUS_ACCEPT,
      'user-agent': 'Prometheus/2.42.0',
      'x-prometheus-scrape-timeout-seconds': String(options.timeoutMs / 1000),
      ...options.headers,
      ...(options.gzip ? { 'accept-encoding': 'gzip' } : {}),
    };
  }

  scrape(): Promise<ScrapeResult> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const req = http.get(this.url, { agent: this.agent, headers: this.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const ms = performance.now() - start;
          resolve({
            status: res.statusCode ?? 0,
            ms,
            contentType: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks),
            gzipped: res.headers['content-encoding'] === 'gzip',
            reusedConnection: req.reusedSocket,
          });
        });
      });
      req.on('socket', () => {
        if (!req.reusedSocket) this.connectionsOpened += 1;
      });
      req.setTimeout(this.options.timeoutMs, () =>
        req.destroy(new Error(`${this.url.href}: no answer within ${this.options.timeoutMs} ms`)),
      );
      req.on('error', reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The text of a scrape, uncompressed: done after the clock stopped, as it is the scraper's work. */
export function bodyText(result: ScrapeResult): string {
  return (result.gzipped ? gunzipSync(result.body) : result.body).toString('utf8');
}

/** Series in a text exposition: every line that is neither blank nor a comment (# HELP, # TYPE, # EOF). */
export function seriesCount(text: string): number {
  let count = 0;
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#')) count += 1;
  return count;
}
