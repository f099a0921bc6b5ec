/**
 * A stand-in for Grafana's backend service in unit tests: requests to the plugin proxy are
 * answered from a table of handlers, and every request is recorded (route, path, query,
 * headers, body) so a test can assert what the app sent. Errors are thrown the way
 * getBackendSrv().fetch throws them: { status, data, statusText }.
 */
import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { Observable } from 'rxjs';
import type { FetchFn } from '../../src/api/client';

export interface Call {
  method: string;
  route: string;
  /** Below /api/v1, decoded segments joined by "/" (e.g. "/hosts/local/processes"). */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  url: string;
  options: BackendSrvRequest;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (call: Call) => Reply | Promise<Reply> | undefined;

export function problem(
  kind: string,
  status: number,
  detail: string,
  extra: Record<string, unknown> = {},
): Reply {
  return {
    status,
    body: { type: `urn:hyperion:problem:${kind}`, title: kind, status, detail, ...extra },
    headers: { 'content-type': 'application/problem+json' },
  };
}

function parse(options: BackendSrvRequest): Call {
  const url = new URL(options.url, 'http://grafana.test/');
  for (const [k, v] of Object.entries(options.params ?? {})) url.searchParams.set(k, String(v));
  const match = /^\/api\/plugin-proxy\/hyperion-app\/([^/]+)(\/.*)?$/.exec(url.pathname);
  return {
    method: (options.method ?? 'GET').toUpperCase(),
    route: match?.[1] ?? '',
    path: match ? (match[2] ?? '').split('/').map(decodeURIComponent).join('/') : url.pathname,
    query: url.searchParams,
    headers: { ...(options.headers as Record<string, string> | undefined) },
    body: options.data,
    url: options.url,
    options,
  };
}

export interface FakeBackend {
  fetch: FetchFn;
  calls: Call[];
  /** Handlers are tried newest first; the first that answers wins. */
  on(method: string, path: string | RegExp, reply: Reply | ((call: Call) => Reply | Promise<Reply>)): void;
  callsTo(method: string, path: string | RegExp): Call[];
}

function matches(call: Call, method: string, path: string | RegExp): boolean {
  return call.method === method && (typeof path === 'string' ? call.path === path : path.test(call.path));
}

export function fakeBackend(): FakeBackend {
  const calls: Call[] = [];
  const handlers: Handler[] = [];
  const fetch: FetchFn = <T>(options: BackendSrvRequest) =>
    new Observable<FetchResponse<T>>((subscriber) => {
      const call = parse(options);
      calls.push(call);
      (async () => {
        for (const h of handlers) {
          const reply = await h(call);
          if (reply) return reply;
        }
        return problem('not-found', 404, `no handler for ${call.method} ${call.path}`);
      })().then((reply) => {
        const status = reply.status ?? 200;
        if (status >= 400) {
          subscriber.error({ status, data: reply.body, statusText: 'error', config: options });
          return;
        }
        subscriber.next({
          data: reply.body as T,
          status,
          statusText: 'OK',
          ok: true,
          headers: new Headers(reply.headers ?? {}),
          redirected: false,
          type: 'basic',
          url: options.url,
          config: options,
        });
        subscriber.complete();
      });
    });
  return {
    fetch,
    calls,
    on(method, path, reply) {
      handlers.unshift((call) =>
        matches(call, method, path) ? (typeof reply === 'function' ? reply(call) : reply) : undefined,
      );
    },
    callsTo: (method, path) => calls.filter((c) => matches(c, method, path)),
  };
}

export const ENROLLED = {
  actor: 'alice',
  key: 'grafana:1:7',
  role: 'operator',
  token: 'grafana-operator',
  viaGrafana: true,
  otp: {
    policy: 'required',
    enrolled: true,
    confirmed: true,
    recoveryCodesLeft: 10,
    enrolmentCodeRequired: false,
  },
  elevation: null,
  elevationSeconds: 0,
};

/**
 * An exporter with a 300 s elevation window, as far as the second factor goes: POST /x asks for
 * a code and, given one, opens the window (whoami then reports it with `secondsLeft`), and
 * POST /auth/elevation/drop closes it again.
 */
export function elevatingBackend(secondsLeft: number): FakeBackend {
  const backend = fakeBackend();
  let elevated = false;
  backend.on('GET', '/auth/whoami', () => ({
    body: {
      ...ENROLLED,
      elevationSeconds: 300,
      elevation: elevated ? { expiresAt: '2099-01-01T00:00:00Z', secondsLeft } : null,
    },
  }));
  backend.on('POST', '/x', (call) => {
    if (!call.headers['X-Hyperion-OTP']) return problem('otp-required', 403, 'needs a code');
    elevated = true;
    return { body: { done: true } };
  });
  backend.on('POST', '/auth/elevation/drop', () => {
    elevated = false;
    return { body: { dropped: true, elevation: null } };
  });
  return backend;
}
