/**
 * The tests run the shipped alertmanager.yml, not a copy of it: this module derives the test's
 * configuration from the shipped file by changing only what a test must change — timings (30 s
 * of group_wait would make every test wait), where the receivers are (local stand-ins), where
 * the secret files are (the test's temporary files), and STARTTLS (the local SMTP server has no
 * certificate). ALLOWED_CHANGES lists those paths; a test fails on any other difference, so the
 * routing, grouping, inhibition, receivers and templates the tests prove are the shipped ones.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ALERTING_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHIPPED_CONFIG = path.join(ALERTING_DIR, 'alertmanager.yml');

export interface TestEndpoints {
  /** Files holding the secrets, written by the test. */
  slackUrlFile: string;
  smtpPasswordFile: string;
  webhookTokenFile: string;
  /** host:port of the local SMTP server. */
  smtpSmarthost: string;
  /** URL of the local stand-in for the generic webhook. */
  webhookUrl: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

/** Every path the derivation may change, as regular expressions over "a.b[0].c" paths. */
export const ALLOWED_CHANGES: readonly RegExp[] = [
  /^global\.(slack_api_url_file|smtp_auth_password_file|smtp_smarthost|smtp_require_tls)$/,
  // The derived file lives in a temporary directory, so the template glob becomes absolute.
  /^templates\[\d+\]$/,
  /^route(\.routes\[\d+\])*\.(group_wait|group_interval|repeat_interval)$/,
  /^receivers\[\d+\]\.webhook_configs\[\d+\]\.(url|http_config\.authorization\.credentials_file)$/,
];

type Yaml = Record<string, unknown>;
const isMap = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function readShippedConfig(): Yaml {
  const doc: unknown = parse(readFileSync(SHIPPED_CONFIG, 'utf8'));
  if (!isMap(doc)) throw new Error(`${SHIPPED_CONFIG} is not a YAML mapping`);
  return doc;
}

function retime(route: Yaml, e: TestEndpoints): void {
  // Only where the shipped file sets a timing: a route that inherits keeps inheriting.
  if ('group_wait' in route) route.group_wait = e.groupWait;
  if ('group_interval' in route) route.group_interval = e.groupInterval;
  if ('repeat_interval' in route) route.repeat_interval = e.repeatInterval;
  for (const child of list(route.routes)) if (isMap(child)) retime(child, e);
}

export function deriveTestConfig(shipped: Yaml, e: TestEndpoints): Yaml {
  const config = structuredClone(shipped);
  const global = isMap(config.global) ? config.global : {};
  global.slack_api_url_file = e.slackUrlFile;
  global.smtp_auth_password_file = e.smtpPasswordFile;
  global.smtp_smarthost = e.smtpSmarthost;
  global.smtp_require_tls = false;
  config.templates = list(config.templates).map((t) => path.resolve(ALERTING_DIR, String(t)));
  if (isMap(config.route)) retime(config.route, e);
  for (const receiver of list(config.receivers)) {
    if (!isMap(receiver)) continue;
    for (const hook of list(receiver.webhook_configs)) {
      if (!isMap(hook)) continue;
      hook.url = e.webhookUrl;
      const auth =
        isMap(hook.http_config) && isMap(hook.http_config.authorization)
          ? hook.http_config.authorization
          : undefined;
      if (auth && 'credentials_file' in auth) auth.credentials_file = e.webhookTokenFile;
    }
  }
  return config;
}

/** The paths ("route.routes[4].group_wait") at which two YAML values differ, leaves only. */
export function differingPaths(a: unknown, b: unknown, at = ''): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      out.push(...differingPaths(a[i], b[i], `${at}[${i}]`));
    return out;
  }
  if (isMap(a) && isMap(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differingPaths(a[k], b[k], at === '' ? k : `${at}.${k}`));
  }
  return Object.is(a, b) ? [] : [at];
}

/** Every URL or host:port in the configuration, so a test can prove they are all on loopback. */
export function endpointsIn(value: unknown, at = ''): { path: string; host: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => endpointsIn(v, `${at}[${i}]`));
  if (isMap(value))
    return Object.entries(value).flatMap(([k, v]) => endpointsIn(v, at === '' ? k : `${at}.${k}`));
  if (typeof value !== 'string') return [];
  if (/^https?:\/\//.test(value)) return [{ path: at, host: new URL(value).hostname }];
  if (/smarthost$/.test(at)) return [{ path: at, host: value.replace(/:\d+$/, '') }];
  return [];
}
