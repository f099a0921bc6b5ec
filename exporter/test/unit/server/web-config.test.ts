/**
 * The web configuration parser: what exporter-toolkit's format means here, and every way a file
 * is refused at start-up with a message naming the key. Certificates are real (openssl, made
 * now) and hashes come from python3-bcrypt, not from the library the exporter verifies with.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { loadWebConfig, parseWebConfig } from '../../../src/server/web-config.js';
import { bcryptHash } from '../../support/bcrypt.js';
import { makePki, type CertFiles, type Pki } from '../../support/certs.js';

let pki: Pki;
let server: CertFiles;
let other: CertFiles;
let file: string;

before(() => {
  pki = makePki();
  server = pki.server('exporter');
  other = pki.server('other');
  file = path.join(pki.dir, 'web.yml');
});
after(() => pki.remove());

const parse = (text: string) => parseWebConfig(text, file);
const refused = (text: string, pattern: RegExp) => assert.throws(() => parse(text), pattern);

describe('parseWebConfig: what it accepts', () => {
  it('an empty file is plain HTTP without users or headers', () => {
    for (const text of ['', '{}\n', 'tls_server_config:\nbasic_auth_users:\nhttp_server_config:\n']) {
      const c = parse(text);
      assert.equal(c.tls, undefined, text);
      assert.equal(c.users.size, 0);
      assert.deepEqual(c.headers, []);
    }
  });

  it('reads certificate, key and client CA from files named relative to the configuration', () => {
    const c = parse(
      'tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\n' +
        '  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n',
    );
    assert.ok(c.tls);
    assert.equal(c.tls.policy, 'require-and-verify');
    assert.match(String(c.tls.context.cert), /BEGIN CERTIFICATE/);
    assert.match(String(c.tls.context.key), /PRIVATE KEY/);
    assert.match(String(c.tls.context.ca), /BEGIN CERTIFICATE/);
    // The files to watch for a renewal, as absolute paths.
    assert.deepEqual(c.files, [file, server.cert, server.key, pki.ca]);
    assert.equal(c.tls.context.minVersion, 'TLSv1.2', 'exporter-toolkit’s default minimum');
    assert.equal(c.tls.context.maxVersion, 'TLSv1.3');
  });

  it('takes inline PEM (cert, key, client_ca) as newer exporter-toolkit versions do', async () => {
    const { readFileSync } = await import('node:fs');
    const indent = (f: string) => readFileSync(f, 'utf8').trimEnd().replace(/^/gm, '    ');
    const c = parse(
      `tls_server_config:\n  cert: |\n${indent(server.cert)}\n  key: |\n${indent(server.key)}\n` +
        `  client_auth_type: VerifyClientCertIfGiven\n  client_ca: |\n${indent(pki.ca)}\n`,
    );
    assert.equal(c.tls?.policy, 'verify-if-given');
    assert.deepEqual(c.files, [file], 'nothing but the configuration itself to watch');
  });

  it('maps every client_auth_type to its policy', () => {
    const policies: Record<string, string> = {
      NoClientCert: 'none',
      RequestClientCert: 'request',
      RequireAnyClientCert: 'require-any',
      RequireClientCert: 'require-any',
      VerifyClientCertIfGiven: 'verify-if-given',
      RequireAndVerifyClientCert: 'require-and-verify',
    };
    for (const [type, policy] of Object.entries(policies)) {
      const c = parse(
        `tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\n  client_auth_type: ${type}\n`,
      );
      assert.equal(c.tls?.policy, policy, type);
    }
  });

  it('maps versions, cipher suites (IANA names to OpenSSL’s) and curves for node:tls', () => {
    const c = parse(
      'tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\n  min_version: TLS13\n' +
        '  max_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]\n' +
        '  curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\n',
    );
    const context = c.tls!.context;
    assert.equal(context.minVersion, 'TLSv1.3');
    assert.equal(context.maxVersion, 'TLSv1.3');
    // A list of TLS 1.2 suites leaves TLS 1.3's defaults in place, as Go does.
    assert.equal(
      context.ciphers,
      'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:' +
        'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305',
    );
    assert.equal(context.ecdhCurve, 'X25519:P-256');
    assert.equal(context.honorCipherOrder, false);
    // What it produced is something OpenSSL takes.
    tls.createSecureContext(context);
  });

  it('keeps a section with only versions or suites on plain HTTP, as exporter-toolkit does', () => {
    assert.equal(parse('tls_server_config:\n  min_version: TLS13\n').tls, undefined);
  });

  it('takes the five security headers with their allowed values', () => {
    const c = parse(
      'http_server_config:\n  http2: true\n  headers:\n    X-Frame-Options: sameorigin\n    X-Content-Type-Options: nosniff\n' +
        "    Strict-Transport-Security: max-age=31536000\n    X-XSS-Protection: '1; mode=block'\n" +
        '    Content-Security-Policy: "default-src \'self\'"\n',
    );
    assert.deepEqual(c.headers, [
      ['X-Frame-Options', 'sameorigin'],
      ['X-Content-Type-Options', 'nosniff'],
      ['Strict-Transport-Security', 'max-age=31536000'],
      ['X-XSS-Protection', '1; mode=block'],
      ['Content-Security-Policy', "default-src 'self'"],
    ]);
  });

  it('takes bcrypt hashes in every marker, $2y$ (htpasswd) normalised to $2b$', () => {
    const hash = bcryptHash('pw');
    assert.match(hash, /^\$2b\$04\$/);
    const y = hash.replace('$2b$', '$2y$');
    const a = hash.replace('$2b$', '$2a$');
    const c = parse(`basic_auth_users:\n  alice: '${y}'\n  bob: '${a}'\n  carol: '${hash}'\n`);
    assert.equal(c.users.get('alice'), hash);
    assert.equal(c.users.get('bob'), a);
    assert.equal(c.users.get('carol'), hash);
  });
});

describe('parseWebConfig: what it refuses, naming the key', () => {
  const tlsBase = 'tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\n';

  it('unknown keys at any level', () => {
    refused('tls_config:\n  cert_file: x\n', /Unrecognized key: "tls_config"/);
    refused(`${tlsBase}  certfile: x\n`, /Unrecognized key: "certfile"[\s\S]*tls_server_config/);
    refused('http_server_config:\n  header: {}\n', /Unrecognized key: "header"[\s\S]*http_server_config/);
  });

  it('keys of newer exporter-toolkit versions that Hyperion does not implement, saying so', () => {
    refused('rate_limit:\n  burst: 10\n', /: rate_limit: rate_limit is not supported by Hyperion/);
    refused(
      `${tlsBase}  client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: [a]\n`,
      /tls_server_config\.client_allowed_sans: client_allowed_sans is not supported/,
    );
  });

  it('wrong values for enumerations', () => {
    refused(`${tlsBase}  client_auth_type: Always\n`, /client_auth_type/);
    refused(`${tlsBase}  min_version: TLS14\n`, /min_version/);
    refused(
      `${tlsBase}  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\n`,
      /tls_server_config\.cipher_suites: unknown or insecure cipher suite "TLS_RSA_WITH_AES_128_CBC_SHA"/,
    );
    refused(`${tlsBase}  curve_preferences: [P256]\n`, /curve_preferences: unknown curve "P256"/);
  });

  it('a certificate without its key, or a key that is not the certificate’s', () => {
    refused(
      'tls_server_config:\n  cert_file: exporter.crt\n',
      /tls_server_config: missing one of key_file or key/,
    );
    refused('tls_server_config:\n  key_file: exporter.key\n', /missing one of cert_file or cert/);
    refused(
      'tls_server_config:\n  cert_file: exporter.crt\n  key_file: other.key\n',
      /tls_server_config: cannot set up TLS with it: .*key values mismatch/,
    );
    assert.ok(other.key);
  });

  it('a file that cannot be read, naming it', () => {
    refused(
      'tls_server_config:\n  cert_file: missing.crt\n  key_file: exporter.key\n',
      new RegExp(`tls_server_config\\.cert_file: cannot read ${path.join(pki.dir, 'missing.crt')}: ENOENT`),
    );
  });

  it('a client CA without a policy that asks for client certificates, or without a certificate in it', () => {
    refused(
      `${tlsBase}  client_ca_file: ca.crt\n`,
      /client_ca_file: a client CA is set but client_auth_type does not ask/,
    );
    refused(
      `${tlsBase}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: exporter.key\n`,
      /client_ca_file: no PEM certificate in it/,
    );
  });

  it('headers outside the five, and enumerated headers with another value', () => {
    refused(
      'http_server_config:\n  headers:\n    Server: hyperion\n',
      /http_server_config\.headers\.Server: this header cannot be configured/,
    );
    refused(
      'http_server_config:\n  headers:\n    X-Frame-Options: allow-from x\n',
      /headers\.X-Frame-Options: expected one of deny, sameorigin/,
    );
  });

  it('user entries that are not bcrypt hashes, naming the user', () => {
    refused('basic_auth_users:\n  alice: secret\n', /basic_auth_users\.alice: not a bcrypt hash/);
    // A truncated hash, and the old $2x$ marker of a buggy implementation.
    const hash = bcryptHash('pw');
    refused(`basic_auth_users:\n  bob: '${hash.slice(0, 50)}'\n`, /basic_auth_users\.bob: not a bcrypt hash/);
    refused(`basic_auth_users:\n  bob: '${hash.replace('$2b$', '$2x$')}'\n`, /basic_auth_users\.bob/);
  });

  it('text that is not YAML, or duplicate keys', () => {
    refused('basic_auth_users: [unclosed\n', /not valid YAML/);
    refused('basic_auth_users:\n  a: x\n  a: y\n', /not valid YAML/);
  });

  it('loadWebConfig names a file that cannot be read', () => {
    assert.throws(
      () => loadWebConfig(path.join(pki.dir, 'nope.yml')),
      /--web\.config\.file: cannot read .*nope\.yml/,
    );
    writeFileSync(file, 'basic_auth_users:\n  alice: nope\n');
    assert.throws(() => loadWebConfig(file), new RegExp(`^Error: ${file}: basic_auth_users\\.alice`));
  });
});
