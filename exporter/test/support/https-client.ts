/**
 * One HTTP(S) request on a connection of its own (no keep-alive agent), so every request goes
 * through a TLS handshake and meets the server's client-certificate policy of that moment.
 * fetch() cannot present client certificates or trust a test CA, hence node:https.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { CertFiles } from './certs.js';

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  /** The server certificate's SHA-256 fingerprint, for TLS answers. */
  fingerprint?: string;
}

export interface RequestOptions {
  host?: string;
  /** GET unless given. */
  method?: string;
  path?: string;
  /** false: plain HTTP. */
  tls?: boolean;
  /** CA file the server certificate must chain to. */
  ca?: string;
  /** A client certificate to present. */
  client?: CertFiles;
  /** The Authorization header. */
  auth?: string;
  headers?: Record<string, string>;
  /** Extra node:tls options (versions, suites). */
  tlsOptions?: https.RequestOptions;
  timeoutMs?: number;
}

export const basicAuth = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export function request(port: number, options: RequestOptions = {}): Promise<Answer> {
  const tls = options.tls ?? true;
  const headers = { ...options.headers, ...(options.auth ? { authorization: options.auth } : {}) };
  return new Promise((resolve, reject) => {
    const base = {
      host: options.host ?? '127.0.0.1',
      port,
      path: options.path ?? '/metrics',
      method: options.method ?? 'GET',
      headers,
      agent: false,
    };
    const onResponse = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const socket = res.socket as TLSSocket | null;
        const peer =
          tls && socket && typeof socket.getPeerCertificate === 'function'
            ? socket.getPeerCertificate()
            : undefined;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          fingerprint: peer?.fingerprint256,
        });
      });
    };
    const req = tls
      ? https.request(
          {
            ...base,
            ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
            servername: 'localhost',
            ...(options.client
              ? { cert: readFileSync(options.client.cert), key: readFileSync(options.client.key) }
              : {}),
            ...options.tlsOptions,
          },
          onResponse,
        )
      : http.request(base, onResponse);
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
