/**
 * What a web configuration asks of every request, before the exporter's own handler sees it:
 * its security headers on every answer, and its basic authentication.
 *
 * Basic authentication guards every path — the landing page, /metrics and /probe — as
 * exporter-toolkit does, except the control API under /api/v1 (and its /-/reload): that has its own bearer tokens,
 * roles and audit log, and an HTTP request carries one Authorization header, not two. (Grafana's
 * plugin proxy sends its token there; basic credentials would have nowhere to go.)
 *
 * The configuration can be swapped while requests are in flight (a re-read file): each request
 * is judged by the configuration in force when it arrived.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HyperionError } from '../util/errors.js';
import { BasicAuthVerifier, type BasicAuthResult } from './basic-auth.js';
import { writeProblem } from './problem.js';
import type { WebConfig } from './web-config.js';

/** The control API's prefix: its own authentication, never basic auth. */
export const CONTROL_API_PREFIX = '/api/v1';

/**
 * Prometheus' lifecycle path for a configuration reload: a control-API route served at the
 * root (an admin's bearer token, audited), so exempt from basic auth like the rest of the API.
 */
export const RELOAD_PATH = '/-/reload';

function inControlApi(pathname: string): boolean {
  return (
    pathname === CONTROL_API_PREFIX ||
    pathname.startsWith(`${CONTROL_API_PREFIX}/`) ||
    pathname === RELOAD_PATH
  );
}

/**
 * Whether a request is for the control API under every reading of its path: the raw one
 * (express routes on it) and the normalised one (the /metrics fast path reads
 * `new URL(req.url)`, which resolves dot segments, percent-encoded ones too). A path such as
 * /api/v1/../metrics is the control API for one and /metrics for the other: it is not exempt.
 */
export function isControlApiRequest(url: string | undefined): boolean {
  const raw = (url ?? '/').split('?', 1)[0]!;
  let normalised: string;
  try {
    normalised = new URL(url ?? '/', 'http://x').pathname;
  } catch {
    return false;
  }
  return inControlApi(raw) && inControlApi(normalised);
}

const authenticatedUsers = new WeakMap<IncomingMessage, string>();

/**
 * The user a request authenticated as with the web configuration's basic authentication, if
 * it did. A handler that asks for credentials of its own (the /probe token) can accept this
 * instead: Prometheus sends one Authorization header per scrape.
 */
export function basicAuthUser(req: IncomingMessage): string | undefined {
  return authenticatedUsers.get(req);
}

interface GateState {
  headers: ReadonlyArray<readonly [string, string]>;
  verifier: BasicAuthVerifier;
}

export class WebGate {
  private state: GateState;

  constructor(
    private readonly log: Logger,
    config: WebConfig,
  ) {
    this.state = WebGate.stateOf(config);
  }

  private static stateOf(config: WebConfig): GateState {
    return { headers: config.headers, verifier: new BasicAuthVerifier(config.users) };
  }

  /** Takes a new configuration for the requests that arrive from now on. */
  apply(config: WebConfig): void {
    this.state = WebGate.stateOf(config);
  }

  wrap(next: RequestListener): RequestListener {
    return (req, res) => {
      const { headers, verifier } = this.state;
      for (const [name, value] of headers) res.setHeader(name, value);
      if (!verifier.enabled || isControlApiRequest(req.url)) {
        next(req, res);
        return;
      }
      const result = verifier.check(req.headers.authorization);
      if (!(result instanceof Promise)) {
        this.decide(result, req, res, next);
        return;
      }
      result.then(
        (r) => this.decide(r, req, res, next),
        (error: unknown) => {
          this.log.error({ err: error }, 'basic authentication failed to run');
          writeProblem(
            res,
            new HyperionError('internal', 'internal error; the exporter log has the details'),
          );
        },
      );
    };
  }

  private decide(
    result: BasicAuthResult,
    req: IncomingMessage,
    res: ServerResponse,
    next: RequestListener,
  ): void {
    if (result.ok) {
      authenticatedUsers.set(req, result.user);
      next(req, res);
      return;
    }
    if (result.reason === 'busy') {
      writeProblem(
        res,
        new HyperionError('rate-limited', 'too many password checks in progress; retry shortly', {
          extra: { retryAfterSeconds: 1 },
        }),
      );
      return;
    }
    // Drained, so a keep-alive connection stays usable for the retry with credentials.
    req.resume();
    writeProblem(
      res,
      new HyperionError(
        'unauthenticated',
        result.reason === 'wrong' ? 'wrong user name or password' : 'basic authentication required',
      ),
      { 'WWW-Authenticate': 'Basic realm="hyperion-exporter", charset="UTF-8"' },
    );
  }
}
