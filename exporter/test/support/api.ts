/**
 * A real exporter with its control API, and clients holding real tokens. Tokens are created in
 * the data directory with the exporter's own TokenStore before it starts (as the CLI would),
 * and TOTP codes are computed from the secret the enrolment answer returned.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { Registry } from 'prom-client';
import { SecondFactor } from '../../src/security/second-factor.js';
import { TokenStore } from '../../src/security/tokens.js';
import type { Role } from '../../src/security/roles.js';
import { DataDir } from '../../src/storage/data-dir.js';
import { startExporter, type RunningExporter, type StartOptions } from './exporter.js';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as the raw body instead of JSON.stringify(body). */
  rawBody?: string;
  otp?: string;
  headers?: Record<string, string>;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined,
  ) {}

  async call<T = Record<string, unknown>>(
    method: string,
    apiPath: string,
    options: CallOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.otp !== undefined) headers['x-hyperion-otp'] = options.otp;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}/api/v1${apiPath}`, {
      method: method.toUpperCase(),
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }
}

/**
 * Hands out TOTP codes for an enrolled actor. Each code is accepted once and only codes of a
 * later 30 s step than the last one used are accepted, so: use the step of "now - 30 s", then
 * "now", then "now + 30 s" (all within the accepted window), then wait for the clock.
 */
/** How long a code must stay valid after it is made (see Authenticator.next). */
const EXPIRY_MARGIN_MS = 8000;

export class Authenticator {
  private lastStep: number | undefined;

  constructor(readonly secret: string) {}

  async next(): Promise<string> {
    const deadline = Date.now() + 70_000;
    for (;;) {
      const now = Math.floor(Date.now() / 1000 / 30);
      // The exporter accepts the previous, current and next step. The previous one is used up
      // first, unless it expires within a few seconds (a loaded machine may take that long to
      // deliver the request).
      const earliest = Math.floor((Date.now() + EXPIRY_MARGIN_MS) / 1000 / 30) - 1;
      const step = Math.max(earliest, this.lastStep === undefined ? earliest : this.lastStep + 1);
      if (step <= now + 1) {
        this.lastStep = step;
        return await generate({ secret: this.secret, epoch: step * 30 });
      }
      if (Date.now() > deadline) throw new Error('no fresh TOTP step within 70 s');
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** A syntactically valid code that is wrong for this secret now. */
  async wrong(): Promise<string> {
    const step = Math.floor(Date.now() / 1000 / 30);
    const valid = new Set(
      await Promise.all([-1, 0, 1, 2].map((d) => generate({ secret: this.secret, epoch: (step + d) * 30 }))),
    );
    for (let n = 0; n < 1_000_000; n += 1) {
      const candidate = String(n).padStart(6, '0');
      if (!valid.has(candidate)) return candidate;
    }
    throw new Error('unreachable');
  }
}

export interface ApiFixture {
  exporter: RunningExporter;
  admin: ApiClient;
  operator: ApiClient;
  viewer: ApiClient;
  anonymous: ApiClient;
  /** Creates another token (before or after start) and returns its client. */
  client(name: string, role: Role, grafana?: boolean): ApiClient;
  /**
   * Enrols the client's actor (with an enrolment code issued on the exporter's host when it needs
   * one) and returns its authenticator (the first code is spent on confirmation).
   */
  enrol(client: ApiClient, headers?: Record<string, string>): Promise<Authenticator>;
  /** An enrolment code for an actor key, issued as the CLI does on the exporter's host. */
  issueEnrolmentCode(key: string, name?: string): string;
  /** The audit log as the exporter wrote it. */
  auditLines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface ApiFixtureOptions extends StartOptions {
  /** YAML written to hyperion.yml in the data directory before start. */
  config?: string;
}

export async function startApi(options: ApiFixtureOptions = {}): Promise<ApiFixture> {
  const storagePath = options.storagePath ?? mkdtempSync(path.join(os.tmpdir(), 'hyperion-api-'));
  const dir = new DataDir(storagePath);
  if (options.config !== undefined) writeFileSync(dir.path('hyperion.yml'), options.config);
  const tokens = new TokenStore(dir);
  const secrets = new Map<string, string>();
  const make = (name: string, role: Role, grafana = false) => {
    const { secret } = tokens.create(name, role, grafana);
    secrets.set(name, secret);
    return secret;
  };
  const adminSecret = make('test-admin', 'admin');
  const operatorSecret = make('test-operator', 'operator');
  const viewerSecret = make('test-viewer', 'viewer');
  const exporter = await startExporter({ ...options, storagePath });
  const url = exporter.url;
  const issueEnrolmentCode = (key: string, name = key): string => {
    // As `hyperion-exporter otp code` does on the exporter's host: the running exporter reads
    // the changed file on its next request.
    const factor = new SecondFactor(
      dir,
      { policy: 'required', issuer: 'Hyperion', elevationSeconds: 0, enrolmentCodeTtlSeconds: 3600 },
      new Registry(),
    );
    return factor.issueEnrolmentCode(key, name, 'test').code;
  };
  return {
    exporter,
    admin: new ApiClient(url, adminSecret),
    operator: new ApiClient(url, operatorSecret),
    viewer: new ApiClient(url, viewerSecret),
    anonymous: new ApiClient(url, undefined),
    client: (name, role, grafana = false) => new ApiClient(url, make(name, role, grafana)),
    issueEnrolmentCode,
    async enrol(client, headers = {}) {
      const who = await client.call<{ key: string; otp: { enrolmentCodeRequired: boolean } }>(
        'get',
        '/auth/whoami',
        { headers },
      );
      if (who.status !== 200) throw new Error(`whoami failed: ${who.status} ${who.text}`);
      const body = who.body.otp.enrolmentCodeRequired
        ? { enrolmentCode: issueEnrolmentCode(who.body.key) }
        : undefined;
      const started = await client.call<{ secret: string }>('post', '/auth/otp/enrol', {
        headers,
        ...(body ? { body } : {}),
      });
      if (started.status !== 200) throw new Error(`enrol failed: ${started.status} ${started.text}`);
      const auth = new Authenticator(started.body.secret);
      const confirmed = await client.call('post', '/auth/otp/confirm', {
        body: { code: await auth.next() },
        headers,
      });
      if (confirmed.status !== 200) throw new Error(`confirm failed: ${confirmed.status} ${confirmed.text}`);
      return auth;
    },
    auditLines() {
      return readFileSync(dir.path('audit.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async stop() {
      await exporter.stop();
      // startExporter only removes directories it made; this one is ours.
      if (options.storagePath === undefined) rmSync(storagePath, { recursive: true, force: true });
    },
  };
}
