/**
 * --web.config.file: the web configuration file every Prometheus exporter built on Prometheus'
 * exporter-toolkit takes (node_exporter, blackbox_exporter…), so one file — and the habits and
 * tooling around it — serves Hyperion too:
 *
 *   tls_server_config:      TLS, and client certificates
 *   http_server_config:     security headers added to every answer
 *   basic_auth_users:       user → bcrypt hash
 *
 * Read once here, validated whole (an unknown key, a file that cannot be read, a key that does
 * not match its certificate all fail with a message naming the key), and turned into what
 * node:tls and the request gate need. A key that exporter-toolkit knows but Node cannot honour
 * the same way is refused with a message saying so, never silently ignored.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import tls from 'node:tls';
import { z } from 'zod';

/** exporter-toolkit's names for the client-certificate policies (Go's tls.ClientAuthType). */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'RequireClientCert', // exporter-toolkit's older name for RequireAnyClientCert
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;

/** What the TLS listener does with client certificates. */
export type ClientAuthPolicy =
  | 'none' // never asked for
  | 'request' // asked for, neither required nor verified
  | 'require-any' // required, not verified against client_ca
  | 'verify-if-given' // optional, but one that is sent must verify
  | 'require-and-verify'; // required and verified

const POLICIES: Record<(typeof CLIENT_AUTH_TYPES)[number], ClientAuthPolicy> = {
  NoClientCert: 'none',
  RequestClientCert: 'request',
  RequireAnyClientCert: 'require-any',
  RequireClientCert: 'require-any',
  VerifyClientCertIfGiven: 'verify-if-given',
  RequireAndVerifyClientCert: 'require-and-verify',
};

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

/**
 * The cipher suites exporter-toolkit accepts (Go's tls.CipherSuites(), its secure list), by their
 * IANA names, with OpenSSL's names for them. TLS 1.3 suites have the same name in both.
 */
const CIPHER_SUITES: Record<string, string> = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};
const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

/** exporter-toolkit's curve names → OpenSSL's. */
const CURVES: Record<string, string> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/**
 * The response headers exporter-toolkit lets a web configuration set, with the values allowed
 * where the header is an enumeration. Only these: the list is the same across the ecosystem.
 */
const SECURITY_HEADERS: Record<string, readonly string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

/** Keys of newer exporter-toolkit versions that Hyperion does not implement: refused by name. */
const NOT_SUPPORTED: Record<string, string> = {
  rate_limit:
    'rate_limit is not supported by Hyperion (limit scrapes in front of the exporter, or drop the key)',
  'tls_server_config.client_allowed_sans':
    'client_allowed_sans is not supported by Hyperion: issue client certificates from a CA used only for scraping (client_ca_file) instead',
};

/** A bcrypt hash as Go's bcrypt, htpasswd -B and Python's bcrypt write it: $2a$, $2b$ or $2y$. */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const tlsVersion = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]]);

const fileSchema = z
  .object({
    tls_server_config: z
      .object({
        cert_file: z.string().optional(),
        key_file: z.string().optional(),
        /** The certificate and key inline (PEM), as newer exporter-toolkit versions accept. */
        cert: z.string().optional(),
        key: z.string().optional(),
        client_auth_type: z.enum(CLIENT_AUTH_TYPES).optional(),
        client_ca_file: z.string().optional(),
        client_ca: z.string().optional(),
        min_version: tlsVersion.optional(),
        max_version: tlsVersion.optional(),
        cipher_suites: z.array(z.string()).nullish(),
        curve_preferences: z.array(z.string()).nullish(),
        prefer_server_cipher_suites: z.boolean().optional(),
      })
      .strict()
      .nullish(),
    http_server_config: z
      .object({
        /** Accepted for compatibility: Node serves HTTP/1.1 here whatever it says. */
        http2: z.boolean().optional(),
        headers: z.record(z.string(), z.string()).nullish(),
      })
      .strict()
      .nullish(),
    basic_auth_users: z.record(z.string(), z.string()).nullish(),
  })
  .strict();

type WebConfigFile = z.infer<typeof fileSchema>;

export interface TlsSettings {
  policy: ClientAuthPolicy;
  /** For tls.createSecureContext() and Server#setSecureContext(). */
  context: tls.SecureContextOptions;
}

/** A web configuration, validated and with every file it names already read. */
export interface WebConfig {
  /** Where it came from (shown in logs). */
  source: string;
  /** Absent: plain HTTP. */
  tls: TlsSettings | undefined;
  /** User name → bcrypt hash (normalised to $2b$); empty: no basic authentication. */
  users: ReadonlyMap<string, string>;
  /** Header name → value, set on every answer. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** The files it was read from: a change to any of them means reading it again. */
  files: readonly string[];
}

/** No TLS, no users, no headers: what the exporter does without --web.config.file. */
export const PLAIN_HTTP: WebConfig = {
  source: 'none',
  tls: undefined,
  users: new Map(),
  headers: [],
  files: [],
};

/** The YAML parser is loaded only when there is a file to parse (as config/load.ts does). */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

class WebConfigError extends Error {}

function fail(source: string, key: string, message: string): never {
  throw new WebConfigError(`${source}: ${key}: ${message}`);
}

function refuseUnsupported(raw: unknown, source: string): void {
  if (typeof raw !== 'object' || raw === null) return;
  const doc = raw as Record<string, unknown>;
  const tlsSection = doc.tls_server_config;
  for (const [key, message] of Object.entries(NOT_SUPPORTED)) {
    const [section, field] = key.split('.');
    const present =
      field === undefined
        ? section! in doc
        : typeof tlsSection === 'object' && tlsSection !== null && field in tlsSection;
    if (present) fail(source, key, message);
  }
}

function readFile(source: string, key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return fail(source, key, `cannot read ${file}: ${(error as Error).message}`);
  }
}

function tlsSettings(
  section: NonNullable<WebConfigFile['tls_server_config']>,
  source: string,
  dir: string,
  files: string[],
): TlsSettings | undefined {
  const s = section;
  // As exporter-toolkit decides: TLS is on as soon as a certificate, key, client CA or client
  // policy is named; a section with only versions or suites in it leaves plain HTTP.
  const enabled = [
    s.cert_file,
    s.cert,
    s.key_file,
    s.key,
    s.client_ca_file,
    s.client_ca,
    s.client_auth_type,
  ].some((v) => v !== undefined && v !== '');
  if (!enabled) return undefined;
  const resolve = (file: string) => path.resolve(dir, file);
  const pem = (
    fileKey: 'cert_file' | 'key_file' | 'client_ca_file',
    inlineKey: 'cert' | 'key' | 'client_ca',
  ) => {
    const file = s[fileKey];
    const inline = s[inlineKey];
    if (file && inline)
      fail(source, `tls_server_config.${fileKey}`, `give ${fileKey} or ${inlineKey}, not both`);
    if (file) {
      files.push(resolve(file));
      return readFile(source, `tls_server_config.${fileKey}`, resolve(file));
    }
    return inline || undefined;
  };
  const cert = pem('cert_file', 'cert');
  const key = pem('key_file', 'key');
  const ca = pem('client_ca_file', 'client_ca');
  if (cert === undefined) fail(source, 'tls_server_config', 'missing one of cert_file or cert');
  if (key === undefined) fail(source, 'tls_server_config', 'missing one of key_file or key');

  const policy = POLICIES[s.client_auth_type ?? 'NoClientCert'];
  if (ca !== undefined && policy === 'none') {
    fail(
      source,
      'tls_server_config.client_ca_file',
      'a client CA is set but client_auth_type does not ask for client certificates (RequireAndVerifyClientCert?)',
    );
  }
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    fail(source, 'tls_server_config.client_ca_file', 'no PEM certificate in it');
  }

  const minVersion = TLS_VERSIONS[s.min_version ?? 'TLS12'];
  const maxVersion = TLS_VERSIONS[s.max_version ?? 'TLS13'];
  const context: tls.SecureContextOptions = {
    cert,
    key,
    minVersion,
    maxVersion,
    // Go's default, and exporter-toolkit's: the server's order of suites wins.
    honorCipherOrder: s.prefer_server_cipher_suites ?? true,
  };
  if (ca !== undefined) context.ca = ca;
  if (s.cipher_suites && s.cipher_suites.length > 0) {
    const names = s.cipher_suites.map((name) => {
      const openssl = CIPHER_SUITES[name];
      if (openssl === undefined) {
        fail(
          source,
          'tls_server_config.cipher_suites',
          `unknown or insecure cipher suite ${JSON.stringify(name)}`,
        );
      }
      return openssl;
    });
    // Go does not let TLS 1.3 suites be configured; a list of TLS 1.2 suites therefore leaves
    // TLS 1.3 with its defaults here too. TLS 1.3 names in the list do restrict TLS 1.3.
    const has13 = names.some((n) => n.startsWith('TLS_'));
    context.ciphers = [...(has13 ? [] : TLS13_SUITES), ...names].join(':');
  }
  if (s.curve_preferences && s.curve_preferences.length > 0) {
    context.ecdhCurve = s.curve_preferences
      .map(
        (name) =>
          CURVES[name] ??
          fail(source, 'tls_server_config.curve_preferences', `unknown curve ${JSON.stringify(name)}`),
      )
      .join(':');
  }
  try {
    // Proves now, not at the first handshake, that key and certificate match, that the PEM
    // parses and that the suite and version choices leave something to negotiate.
    tls.createSecureContext(context);
  } catch (error) {
    fail(source, 'tls_server_config', `cannot set up TLS with it: ${(error as Error).message}`);
  }
  return { policy, context };
}

function validateHeaders(headers: Record<string, string>, source: string): [string, string][] {
  return Object.entries(headers).map(([name, value]) => {
    if (!(name in SECURITY_HEADERS)) {
      fail(
        source,
        `http_server_config.headers.${name}`,
        `this header cannot be configured (only ${Object.keys(SECURITY_HEADERS).join(', ')})`,
      );
    }
    const allowed = SECURITY_HEADERS[name];
    if (allowed !== undefined && !allowed.includes(value)) {
      fail(
        source,
        `http_server_config.headers.${name}`,
        `expected one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`,
      );
    }
    return [name, value];
  });
}

function validateUsers(users: Record<string, string>, source: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const [user, hash] of Object.entries(users)) {
    if (user === '') fail(source, 'basic_auth_users', 'a user name is empty');
    if (!BCRYPT_HASH.test(hash)) {
      fail(
        source,
        `basic_auth_users.${user}`,
        'not a bcrypt hash ($2b$…, 60 characters; make one with htpasswd -nBC 10 "" or python3 -c "import bcrypt…")',
      );
    }
    // $2y$ (htpasswd, PHP) is the same algorithm as $2b$ under another marker; the bcrypt
    // library only knows $2a$ and $2b$.
    result.set(user, hash.replace(/^\$2y\$/, '$2b$'));
  }
  return result;
}

/** Validates the text of a web configuration file; relative paths resolve from `file`'s directory. */
export function parseWebConfig(text: string, file: string): WebConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new WebConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  refuseUnsupported(raw, file);
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new WebConfigError(`${file}: ${z.prettifyError(parsed.error)}`);
  const doc = parsed.data;
  const files = [file];
  return {
    source: file,
    tls: doc.tls_server_config
      ? tlsSettings(doc.tls_server_config, file, path.dirname(file), files)
      : undefined,
    users: validateUsers(doc.basic_auth_users ?? {}, file),
    headers: validateHeaders(doc.http_server_config?.headers ?? {}, file),
    files,
  };
}

/** Reads and validates the file; throws an Error naming the file and the key at fault. */
export function loadWebConfig(file: string): WebConfig {
  const absolute = path.resolve(file);
  return parseWebConfig(readFile(absolute, '--web.config.file', absolute), absolute);
}

/**
 * The `tls:` block of hyperion.yml, kept working: the same as a web configuration file with
 * only tls_server_config.cert_file and key_file.
 */
export function legacyTlsWebConfig(certFile: string, keyFile: string, source: string): WebConfig {
  const files: string[] = [];
  return {
    source,
    tls: tlsSettings({ cert_file: certFile, key_file: keyFile }, source, process.cwd(), files),
    users: new Map(),
    headers: [],
    files,
  };
}
