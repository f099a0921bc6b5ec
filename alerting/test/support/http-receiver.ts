/**
 * A local HTTP server that records every request it gets. In the tests it stands in for Slack's
 * incoming-webhook endpoint — the one boundary no machine here can reach — and for the generic
 * webhook receiver; it answers as Slack does ("ok", 200).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from './wait.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON (every sender here posts JSON). */
  body: unknown;
  receivedAt: number;
}

export interface HttpReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT; any path below it is accepted. */
  url: string;
  requests: ReceivedRequest[];
  /** Waits for the first request (by arrival) that `match` accepts. */
  waitFor(what: string, match: (r: ReceivedRequest) => boolean, timeoutMs: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** Bodies larger than this are refused, so a runaway sender cannot fill the test's memory. */
const MAX_BODY = 1 << 20;

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the assertion that expected JSON will say so
      }
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        receivedAt: Date.now(),
      });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor: (what, match, timeoutMs) => waitUntil(what, () => requests.find(match), timeoutMs),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
