/**
 * The one way the app talks to the exporter: through Grafana's plugin proxy, on the route of
 * the signed-in user's Grafana role (plugin.json: viewer/operator/admin, each adding its own
 * token server-side — the browser never holds one).
 *
 * The second factor is handled here once for every page: an action the exporter refuses with
 * `otp-required` opens the code prompt and is retried ONCE with the code. A second refusal is
 * final and shown as it is: retrying again would spend more codes and walk into the lockout.
 * The exceptions are a wrong code and a code already spent on an earlier action: the prompt stays
 * open with the exporter's reason and asks again, a few times at most (each wrong code counts
 * toward the lockout, which is final).
 *
 * After a valid code the exporter elevates the actor on this token for a while: no code is asked
 * in that window. The client keeps what it last learnt of it (`elevation`), refreshes it after
 * every code it sent, and tells its subscribers, so every page can show the time left.
 */
import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { lastValueFrom, type Observable } from 'rxjs';
import { PROXY_BASE } from '../constants';
import { ApiError, toApiError } from './errors';
import type { WhoAmI } from './types';

export type ProxyRoute = 'viewer' | 'operator' | 'admin';

/** Grafana organisation role → the plugin.json route whose reqRole it satisfies (highest first). */
export function routeForOrgRole(orgRole: string | undefined): ProxyRoute | null {
  switch (orgRole) {
    case 'Admin':
      return 'admin';
    case 'Editor':
      return 'operator';
    case 'Viewer':
      return 'viewer';
    default:
      return null;
  }
}

export const OTP_HEADER = 'X-Hyperion-OTP';

/** getBackendSrv().fetch, injectable so tests and the harness can provide their own. */
export type FetchFn = <T>(options: BackendSrvRequest) => Observable<FetchResponse<T>>;

export interface CodeRequest {
  /** What the code is for, in words ("Send KILL to process 4242"). */
  action: string;
  /** Why a code is asked for again: the exporter's reason for refusing the last one. */
  hint?: string;
  /** Whether the last code was already spent (the next one will do) or wrong. */
  retry?: 'spent' | 'wrong';
  /** How long a valid code spares further codes (0: every action asks). */
  elevationSeconds?: number;
}

/** How many codes one action asks for when an entered code is wrong or already spent. */
const MAX_CODE_ASKS = 3;

/** The elevation as the client knows it: when it ends on this browser's clock. */
export interface ElevationState {
  endsAt: number;
  /** The window a code opens, in seconds. */
  seconds: number;
}

/** Asks the person for a one-time code; resolves null when they cancel. */
export type CodePrompt = (request: CodeRequest) => Promise<string | null>;

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is (text files); excludes `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Shown in the code prompt when the exporter asks for a second factor. */
  action?: string;
  signal?: AbortSignal;
}

export interface ApiResult<T> {
  data: T;
  status: number;
  headers: Headers;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadOptions {
  query?: Query;
  headers?: Record<string, string>;
  action?: string;
  onProgress?: (progress: UploadProgress) => void;
}

/** What an upload needs from XMLHttpRequest (fetch cannot report upload progress). */
export type XhrFactory = () => XMLHttpRequest;

export interface ClientDeps {
  fetch: FetchFn;
  route: ProxyRoute | null;
  prompt: CodePrompt;
  xhr?: XhrFactory;
}

/** Encodes a query string; undefined/null/'' values are left out. */
export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** A path below /api/v1 from segments, each encoded (file names may hold anything but "/"). */
export function apiPath(...segments: (string | number)[]): string {
  return segments
    .flatMap((s) => String(s).split('/'))
    .filter((s) => s !== '')
    .map((s) => encodeURIComponent(s))
    .reduce((acc, s) => `${acc}/${s}`, '');
}

export class HyperionClient {
  private me: Promise<WhoAmI> | undefined;
  private elevationState: ElevationState | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: ClientDeps) {}

  /** The elevation last reported by the exporter, or null (none, or it ended). */
  get elevation(): ElevationState | null {
    const e = this.elevationState;
    return e && e.endsAt > Date.now() ? e : null;
  }

  /** Called whenever what the client knows of the elevation changes; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the elevation now: the next action asks for a code again. */
  async dropElevation(): Promise<void> {
    await this.once('/auth/elevation/drop', { method: 'POST' });
    await this.whoami(true);
  }

  get route(): ProxyRoute | null {
    return this.deps.route;
  }

  /** The underlying fetch, for Grafana's own APIs (data source queries on the Overview). */
  get fetcher(): FetchFn {
    return this.deps.fetch;
  }

  /** The proxy URL of an API path; relative, so it resolves below Grafana's sub-path (<base href>). */
  url(path: string, query?: Query): string {
    if (this.deps.route === null) throw this.noRoute();
    // A "." or ".." segment would be resolved away by the browser's URL parser (encoded too:
    // %2E counts as a dot), walking the request to another route of the exporter. Identifiers
    // from the address (?unit=, ?path=…) must never do that; no real name is "." or "..".
    const dots = path.split('/').find((segment) => segment === '.' || segment === '..');
    if (dots !== undefined)
      throw new ApiError(
        'validation',
        0,
        `"${dots}" is not a name the exporter could have: nothing was asked.`,
      );
    return `${PROXY_BASE}/${this.deps.route}${path}${queryString(query)}`;
  }

  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return (await this.request<T>(path, { query, ...(signal ? { signal } : {}) })).data;
  }

  /** POST/PUT/DELETE with a JSON body; the answer's body. */
  async send<T>(
    method: 'POST' | 'PUT' | 'DELETE' | 'PATCH',
    path: string,
    body: unknown,
    action: string,
    query?: Query,
  ): Promise<T> {
    return (await this.request<T>(path, { method, body, action, query })).data;
  }

  /** Who the exporter thinks we are (cached; `fresh` asks again). */
  whoami(fresh = false): Promise<WhoAmI> {
    if (fresh || !this.me) {
      const asked = this.get<WhoAmI>('/auth/whoami');
      this.me = asked;
      asked.then(
        (me) => this.learnElevation(me),
        () => {
          if (this.me === asked) this.me = undefined;
        },
      );
    }
    return this.me;
  }

  private learnElevation(me: WhoAmI): void {
    // secondsLeft, not expiresAt: the browser's clock may differ from the exporter's.
    const next =
      me.elevation && me.elevation.secondsLeft > 0
        ? { endsAt: Date.now() + me.elevation.secondsLeft * 1000, seconds: me.elevationSeconds }
        : null;
    const changed =
      (next === null) !== (this.elevationState === null) ||
      (next !== null && Math.abs(next.endsAt - this.elevationState!.endsAt) > 1500);
    this.elevationState = next;
    if (changed) for (const listener of this.listeners) listener();
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
    try {
      return await this.once<T>(path, options);
    } catch (error) {
      const failure = toApiError(error);
      // Enrolling without an enrolment code is refused as otp-required too; no TOTP code helps there.
      if (failure.kind !== 'otp-required' || failure.problem?.reason === 'enrolment-code') throw failure;
      return this.withCode(options.action ?? `${options.method ?? 'GET'} ${path}`, (code) =>
        this.once<T>(path, { ...options, headers: { ...options.headers, [OTP_HEADER]: code } }),
      );
    }
  }

  /**
   * Uploads a file as the raw request body with progress. The exporter refuses an upload without
   * a code before reading its body and closes the connection, which a browser may report as a
   * network error rather than the 403: so the code is asked for up front when one will be needed.
   */
  async upload<T>(path: string, file: Blob, options: UploadOptions = {}): Promise<ApiResult<T>> {
    const action = options.action ?? `Upload to ${path}`;
    const me = await this.whoami(true);
    const needsCode =
      (me.otp.policy === 'required' || (me.otp.policy === 'optional' && me.otp.confirmed)) &&
      // An elevation about to end may end before the body has arrived: ask then.
      !(me.elevation && me.elevation.secondsLeft > 30);
    const send = (code?: string) =>
      this.xhrUpload<T>(path, file, {
        ...options,
        headers: code === undefined ? { ...options.headers } : { ...options.headers, [OTP_HEADER]: code },
      });
    if (needsCode) return this.withCode(action, send, me);
    try {
      return await send();
    } catch (error) {
      const failure = toApiError(error);
      if (failure.kind !== 'otp-required') throw failure;
      // The policy changed since whoami was cached: ask, and retry with the code.
      return this.withCode(action, send);
    }
  }

  /**
   * Runs `attempt` with a code from the prompt: once, whatever it answers — unless the code
   * was already spent, when the prompt asks for the next one (MAX_CODE_ASKS codes at most).
   */
  private async withCode<T>(
    action: string,
    attempt: (code: string) => Promise<T>,
    known?: WhoAmI,
  ): Promise<T> {
    let retry: Pick<CodeRequest, 'hint' | 'retry'> = {};
    for (let asked = 1; ; asked += 1) {
      const code = await this.askCode(action, known, retry);
      try {
        const result = await attempt(code);
        // The code opened an elevation: learn it, so the pages show it and skip the next prompt.
        this.whoami(true).catch(() => undefined);
        return result;
      } catch (error) {
        const refused = toApiError(error);
        if (refused.kind !== 'otp-invalid' || asked >= MAX_CODE_ASKS) throw refused;
        retry = { hint: refused.message, retry: refused.codeAlreadySpent ? 'spent' : 'wrong' };
      }
    }
  }

  private async askCode(
    action: string,
    known: WhoAmI | undefined,
    retry: Pick<CodeRequest, 'hint' | 'retry'>,
  ): Promise<string> {
    const me = known ?? (await this.whoami(true));
    if (!me.otp.confirmed) {
      throw new ApiError(
        'otp-not-enrolled',
        403,
        `This action needs a second factor, and ${me.actor} has not enrolled one yet. Open “Second factor” in the Hyperion menu to set it up.`,
      );
    }
    const code = await this.deps.prompt({ action, ...retry, elevationSeconds: me.elevationSeconds ?? 0 });
    if (code === null)
      throw new ApiError('cancelled', 0, 'Cancelled: no code was entered, nothing was changed.');
    return code;
  }

  private noRoute(): ApiError {
    return new ApiError(
      'no-route',
      403,
      'Your Grafana organisation role gives no access to Hyperion (Viewer, Editor or Admin is needed).',
    );
  }

  private async once<T>(path: string, options: RequestOptions): Promise<ApiResult<T>> {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { ...options.headers };
    let data: unknown;
    if (options.raw !== undefined) {
      data = options.raw;
      headers['Content-Type'] ??= 'application/octet-stream';
    } else if (options.body !== undefined) {
      data = options.body;
      headers['Content-Type'] ??= 'application/json';
    }
    const request: BackendSrvRequest = {
      url: this.url(path, options.query),
      method,
      headers,
      ...(data === undefined ? {} : { data }),
      // The pages render the problem's detail themselves; Grafana's toasts would repeat it.
      showErrorAlert: false,
      showSuccessAlert: false,
      ...(options.signal ? { abortSignal: options.signal } : {}),
    };
    const response = await lastValueFrom(this.deps.fetch<T>(request));
    return { data: response.data, status: response.status, headers: response.headers };
  }

  private xhrUpload<T>(path: string, file: Blob, options: UploadOptions): Promise<ApiResult<T>> {
    const url = this.url(path, options.query);
    const factory = this.deps.xhr ?? (() => new XMLHttpRequest());
    return new Promise((resolve, reject) => {
      const xhr = factory();
      xhr.open('PUT', url);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      for (const [name, value] of Object.entries(options.headers ?? {})) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => {
        options.onProgress?.({
          loaded: event.loaded,
          total: event.lengthComputable ? event.total : file.size,
        });
      };
      xhr.onerror = () => reject(toApiError({ status: 0, data: undefined }));
      xhr.onload = () => {
        let body: unknown = xhr.responseText;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // not JSON: keep the text
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve({
            data: body as T,
            status: xhr.status,
            headers: parseHeaders(xhr.getAllResponseHeaders()),
          });
        } else {
          reject(toApiError({ status: xhr.status, data: body, statusText: xhr.statusText }));
        }
      };
      xhr.send(file);
    });
  }
}

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}
