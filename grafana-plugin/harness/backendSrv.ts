/**
 * Grafana's backend service, as far as the app uses it, over the browser's fetch(): the same
 * request options, the same answer shape, the same thrown error shape ({ status, data,
 * statusText }) — so the app runs unchanged. Relative URLs resolve against <base href>, as in
 * Grafana.
 */
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { Observable, lastValueFrom } from 'rxjs';

function urlOf(options: BackendSrvRequest): string {
  const params = Object.entries(options.params ?? {}).filter(([, v]) => v !== undefined && v !== null);
  if (params.length === 0) return options.url;
  const query = new URLSearchParams(params.map(([k, v]) => [k, String(v)])).toString();
  return `${options.url}${options.url.includes('?') ? '&' : '?'}${query}`;
}

function bodyOf(options: BackendSrvRequest): BodyInit | undefined {
  const data: unknown = options.data;
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string' || data instanceof Blob || data instanceof FormData) return data;
  return JSON.stringify(data);
}

export function harnessFetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable<FetchResponse<T>>((subscriber) => {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.abortSignal?.addEventListener('abort', onAbort);
    const headers = new Headers(options.headers ?? {});
    if (options.data !== undefined && typeof options.data === 'object' && !(options.data instanceof Blob)) {
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    }
    fetch(urlOf(options), {
      method: options.method ?? 'GET',
      headers,
      body: bodyOf(options),
      signal: controller.signal,
      credentials: 'same-origin',
    })
      .then(async (response) => {
        const text = await response.text();
        // For the render benchmark: when the answer was read, and when it was parsed.
        performance.mark(`harness:read ${response.url}`);
        let data: unknown = text;
        if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
          try {
            data = JSON.parse(text);
          } catch {
            // keep the text, as Grafana does for a body that is not the JSON it claims
          }
        }
        performance.mark(`harness:parsed ${response.url}`);
        if (!response.ok) {
          const error: FetchError = {
            status: response.status,
            statusText: response.statusText,
            data,
            config: options,
          };
          subscriber.error(error);
          return;
        }
        subscriber.next({
          data: data as T,
          status: response.status,
          statusText: response.statusText,
          ok: response.ok,
          headers: response.headers,
          redirected: response.redirected,
          type: response.type,
          url: response.url,
          config: options,
        });
        subscriber.complete();
      })
      .catch((error: unknown) => {
        const cancelled = controller.signal.aborted;
        const failure: FetchError = {
          status: 0,
          statusText: cancelled ? 'cancelled' : String(error),
          data: undefined,
          cancelled,
          config: options,
        };
        subscriber.error(failure);
      });
    return () => {
      options.abortSignal?.removeEventListener('abort', onAbort);
      controller.abort();
    };
  });
}

async function request<T>(options: BackendSrvRequest): Promise<T> {
  return (await lastValueFrom(harnessFetch<T>(options))).data;
}

/** The whole BackendSrv interface, every method in terms of fetch(). */
export const harnessBackendSrv: BackendSrv = {
  fetch: harnessFetch,
  get: (url, params, _requestId, options) => request({ ...options, url, params, method: 'GET' }),
  delete: (url, data, options) => request({ ...options, url, data, method: 'DELETE' }),
  post: (url, data, options) => request({ ...options, url, data, method: 'POST' }),
  patch: (url, data, options) => request({ ...options, url, data, method: 'PATCH' }),
  put: (url, data, options) => request({ ...options, url, data, method: 'PUT' }),
  request: (options) => request(options),
  datasourceRequest: (options) => lastValueFrom(harnessFetch(options)),
  chunked: () => {
    throw new Error('chunked requests are not used by the Hyperion app');
  },
};
