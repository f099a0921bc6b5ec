/**
 * The exporter's listening sockets: one HTTP or HTTPS server per --web.listen-address, all with
 * the same request handler, and the TLS side of the web configuration — certificate, versions,
 * suites and the client-certificate policy — which a re-read configuration replaces for the
 * connections that follow.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { parseListenAddress } from '../cli/flags.js';
import type { ClientAuthPolicy, TlsSettings, WebConfig } from './web-config.js';

export interface ListenerOptions {
  addresses: readonly string[];
  handler: http.RequestListener;
  web: WebConfig;
  log: Logger;
  /** The longest a request may run, in milliseconds (server.requestTimeout). */
  requestTimeoutMs: number;
}

type Server = http.Server | https.Server;

/** node:tls reads these two per connection from the server (the constructor's options). */
interface ClientCertSwitches {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

function switchesFor(policy: ClientAuthPolicy): ClientCertSwitches {
  return {
    requestCert: policy !== 'none',
    // Only the strict policy can be left to OpenSSL; the others are decided after the
    // handshake (checkClientCertificate), where a missing or unverified certificate is visible.
    rejectUnauthorized: policy === 'require-and-verify',
  };
}

/** Why a connection breaks the policy, or undefined when it may go on. */
export function clientCertificateRefusal(policy: ClientAuthPolicy, socket: TLSSocket): string | undefined {
  if (policy === 'none' || policy === 'request' || policy === 'require-and-verify') return undefined;
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  if (policy === 'require-any') return presented ? undefined : 'no client certificate';
  if (presented && !socket.authorized) {
    return `client certificate not verified: ${String(socket.authorizationError)}`;
  }
  return undefined;
}

export class Listeners {
  private tls: TlsSettings | undefined;

  private constructor(
    private readonly servers: Server[],
    private readonly log: Logger,
    web: WebConfig,
  ) {
    this.tls = web.tls;
  }

  /** Binds every address; rejects (closing what did bind) when one cannot be bound. */
  static async start(options: ListenerOptions): Promise<Listeners> {
    const { web, handler, log } = options;
    const servers: Server[] = [];
    const listeners = new Listeners(servers, log, web);
    for (const address of options.addresses) {
      const server = web.tls
        ? https.createServer({ ...web.tls.context, ...switchesFor(web.tls.policy) }, handler)
        : http.createServer(handler);
      // Slow or stalled clients must not hold sockets forever.
      server.headersTimeout = 15_000;
      // The client closes idle connections, not the server (Node's default closes them after 5 s):
      // a server closing one just as the client reuses it fails that request, and Grafana's proxy
      // (idle connections kept 90 s) retries only idempotent ones — an action would fail with a 502.
      // Prometheus keeps its scrape connection across intervals the same way.
      server.keepAliveTimeout = 95_000;
      server.requestTimeout = options.requestTimeoutMs;
      if (server instanceof https.Server) {
        server.on('secureConnection', (socket: TLSSocket) => listeners.enforce(socket));
      }
      servers.push(server);
      const { host, port } = parseListenAddress(address);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host ?? '::', () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        await listeners.close();
        throw new Error(`--web.listen-address=${address}: ${(error as Error).message}`);
      }
    }
    return listeners;
  }

  /** What each server bound, in the order of the flags. */
  addresses(): AddressInfo[] {
    return this.servers.map((s) => s.address() as AddressInfo);
  }

  /**
   * Takes a re-read configuration's TLS settings for the connections that follow. Switching
   * between HTTP and HTTPS needs a restart (the listening sockets speak one or the other):
   * refused with an error, the old settings stay.
   */
  apply(web: WebConfig): void {
    if ((web.tls === undefined) !== (this.tls === undefined)) {
      throw new Error(
        web.tls
          ? 'turning TLS on needs a restart of the exporter'
          : 'turning TLS off needs a restart of the exporter',
      );
    }
    if (!web.tls) return;
    for (const server of this.servers) {
      const s = server as https.Server & ClientCertSwitches;
      s.setSecureContext(web.tls.context);
      Object.assign(s, switchesFor(web.tls.policy));
    }
    this.tls = web.tls;
  }

  /** A reloaded configuration's request time limit, for the requests that arrive from now on. */
  setRequestTimeout(ms: number): void {
    for (const server of this.servers) server.requestTimeout = ms;
  }

  private enforce(socket: TLSSocket): void {
    const refusal = this.tls ? clientCertificateRefusal(this.tls.policy, socket) : undefined;
    if (refusal === undefined) return;
    this.log.debug({ remote: socket.remoteAddress, reason: refusal }, 'refused a TLS connection');
    socket.destroy();
  }

  closeAllConnections(): void {
    for (const s of this.servers) s.closeAllConnections();
  }

  /** Stops accepting connections; resolves when every server has closed. */
  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
      ),
    );
  }
}
