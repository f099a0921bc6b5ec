/**
 * The listeners and the request gate in-process, over real sockets on loopback, with real
 * certificates (openssl) and hashes made by python3-bcrypt: every client-certificate policy
 * against every kind of client, what basic authentication guards and what it leaves to the
 * control API, the security headers, a re-read configuration (new certificate, new policy, new
 * users) taking effect for the connections that follow, and attempts to slip past the gate.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Listeners } from '../../src/server/listeners.js';
import { parseWebConfig, PLAIN_HTTP, type WebConfig } from '../../src/server/web-config.js';
import { basicAuthUser, isControlApiRequest, WebGate } from '../../src/server/web-gate.js';
import { bcryptHash } from '../support/bcrypt.js';
import { makePki, type CertFiles, type Pki } from '../support/certs.js';
import { basicAuth, request as send, type RequestOptions } from '../support/https-client.js';

const log = pino({ level: 'silent' });
let pki: Pki;
let server: CertFiles;
let renewed: CertFiles;
const clients: Record<string, CertFiles | undefined> = {};
const running: Listeners[] = [];

before(() => {
  pki = makePki();
  server = pki.server('exporter');
  renewed = pki.server('exporter-renewed');
  clients.none = undefined;
  clients.signed = pki.client('prometheus');
  clients.foreign = pki.foreignClient('intruder');
  clients.selfSigned = pki.selfSignedClient('self-made');
});
after(async () => {
  for (const l of running) await l.close();
  pki.remove();
});

function webConfig(text: string): WebConfig {
  const file = path.join(pki.dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  return parseWebConfig(text, file);
}

const tlsSection = (policy: string, certName = 'exporter') =>
  `tls_server_config:\n  cert_file: ${certName}.crt\n  key_file: ${certName}.key\n  client_auth_type: ${policy}\n` +
  (policy === 'NoClientCert' || policy === 'RequireAnyClientCert' || policy === 'RequestClientCert'
    ? ''
    : '  client_ca_file: ca.crt\n');

/** The handler behind the gate: says who it was and what the TLS layer saw. */
const echo: RequestListener = (req, res) => {
  const socket = req.socket as TLSSocket;
  const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ path: req.url, user: basicAuthUser(req) ?? null, client: cert?.subject?.CN ?? null }),
  );
};

async function listen(web: WebConfig, addresses = ['127.0.0.1:0']) {
  const gate = new WebGate(log, web);
  const listeners = await Listeners.start({
    addresses,
    handler: gate.wrap(echo),
    web,
    log,
    requestTimeoutMs: 10_000,
  });
  running.push(listeners);
  return { gate, listeners, port: listeners.addresses()[0]!.port };
}

/** One request on a connection of its own, trusting the test CA. */
const request = (port: number, options: RequestOptions = {}) => send(port, { ca: pki.ca, ...options });
const basic = basicAuth;

describe('client certificate policies (tls_server_config.client_auth_type)', () => {
  // Which kinds of client each policy lets through; the others must fail to get an answer.
  const table: Record<string, string[]> = {
    NoClientCert: ['none', 'signed', 'foreign', 'selfSigned'],
    RequestClientCert: ['none', 'signed', 'foreign', 'selfSigned'],
    RequireAnyClientCert: ['signed', 'foreign', 'selfSigned'],
    VerifyClientCertIfGiven: ['none', 'signed'],
    RequireAndVerifyClientCert: ['signed'],
  };
  for (const [policy, allowed] of Object.entries(table)) {
    it(`${policy} lets through ${allowed.join(', ')} and nobody else`, async () => {
      const { port } = await listen(webConfig(tlsSection(policy)));
      for (const [kind, client] of Object.entries(clients)) {
        const outcome = await request(port, { client }).then(
          (a) => `status ${a.status}`,
          (e: Error) => `refused (${e.message})`,
        );
        if (allowed.includes(kind)) assert.equal(outcome, 'status 200', `${policy}, client ${kind}`);
        else assert.match(outcome, /^refused/, `${policy}, client ${kind}`);
      }
    });
  }

  it('the handler sees the verified client certificate', async () => {
    const { port } = await listen(webConfig(tlsSection('RequireAndVerifyClientCert')));
    const answer = await request(port, { client: clients.signed });
    assert.equal(JSON.parse(answer.body).client, 'prometheus');
  });
});

describe('TLS versions and suites are honoured', () => {
  it('min_version TLS13 refuses a TLS 1.2 client', async () => {
    const { port } = await listen(webConfig(`${tlsSection('NoClientCert')}  min_version: TLS13\n`));
    assert.equal((await request(port)).status, 200);
    await assert.rejects(request(port, { tlsOptions: { maxVersion: 'TLSv1.2' } }), /protocol|version|alert/i);
  });

  it('cipher_suites limits TLS 1.2 to the listed suites', async () => {
    const { port } = await listen(
      webConfig(
        `${tlsSection('NoClientCert')}  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n`,
      ),
    );
    const ok = await request(port, { tlsOptions: { ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' } });
    assert.equal(ok.status, 200);
    await assert.rejects(
      request(port, { tlsOptions: { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } }),
      /handshake|cipher|alert/i,
    );
  });
});

describe('basic authentication and headers (the request gate)', () => {
  let port: number;
  let gate: WebGate;
  const password = `pw-${process.pid}`;

  before(async () => {
    const text =
      `basic_auth_users:\n  prometheus: '${bcryptHash(password)}'\n  htpasswd-user: '${bcryptHash('other').replace('$2b$', '$2y$')}'\n` +
      // Cost 11 (about 130 ms a check here): a burst of 40 connections arrives well within the
      // time 16 checks take, however loaded the machine; at cost 4 the line drained as fast as
      // a loaded machine accepted connections and no guess was ever turned away.
      `  slow: '${bcryptHash('slow', 11)}'\n` +
      'http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Content-Security-Policy: "default-src \'none\'"\n';
    ({ port, gate } = await listen(webConfig(text)));
  });

  it('guards the landing page, /metrics and /probe: 401 with a challenge without or with wrong credentials', async () => {
    for (const p of ['/', '/metrics', '/probe?target=web-1', '/metrics?collect[]=cpu', '/nothing-here']) {
      for (const auth of [
        undefined,
        basic('prometheus', 'wrong'),
        basic('nobody', password),
        'Bearer abc',
        'Basic !!!',
      ]) {
        const a = await request(port, { tls: false, path: p, auth });
        assert.equal(a.status, 401, `${p} with ${auth}`);
        assert.match(String(a.headers['www-authenticate']), /^Basic realm=/);
        assert.equal(a.headers['content-type'], 'application/problem+json');
        assert.equal(JSON.parse(a.body).type, 'urn:hyperion:problem:unauthenticated');
      }
    }
  });

  it('lets the right credentials through and tells the handler who they were', async () => {
    for (const p of ['/', '/metrics', '/probe?target=web-1']) {
      const a = await request(port, { tls: false, path: p, auth: basic('prometheus', password) });
      assert.equal(a.status, 200, p);
      assert.equal(JSON.parse(a.body).user, 'prometheus');
    }
    // A hash written by htpasswd ($2y$) works as well.
    const y = await request(port, { tls: false, auth: basic('htpasswd-user', 'other') });
    assert.equal(y.status, 200);
  });

  it('leaves the control API to its own tokens: /api/v1 passes the gate without basic credentials', async () => {
    for (const p of ['/api/v1', '/api/v1/hosts', '/api/v1/openapi.json']) {
      const a = await request(port, { tls: false, path: p, auth: 'Bearer some-api-token' });
      assert.equal(a.status, 200, p);
      assert.equal(JSON.parse(a.body).user, null, 'not authenticated by basic auth');
    }
  });

  it('does not let a path that means /metrics to someone pass as the control API', async () => {
    for (const p of [
      '/api/v1/../metrics',
      '/api/v1/%2e%2e/metrics',
      '/api/v1/./../probe?target=x',
      '/API/V1/hosts',
      '/api/v10',
    ]) {
      assert.equal(isControlApiRequest(p), false, p);
      const a = await request(port, { tls: false, path: p });
      assert.equal(a.status, 401, p);
    }
    assert.equal(isControlApiRequest('/api/v1/hosts?x=/../../metrics'), true);
  });

  it('sets the configured headers on every answer, refused, authenticated or API', async () => {
    for (const [p, auth] of [
      ['/metrics', undefined],
      ['/metrics', basic('prometheus', password)],
      ['/api/v1/hosts', undefined],
    ] as const) {
      const a = await request(port, { tls: false, path: p, auth });
      assert.equal(a.headers['x-frame-options'], 'deny', p);
      assert.equal(a.headers['content-security-policy'], "default-src 'none'", p);
    }
  });

  it('answers a burst of password guesses beyond the bcrypt line at once with 429', async () => {
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => request(port, { tls: false, auth: basic('slow', `guess-${i}`) })),
    );
    const statuses = guesses.map((g) => g.status);
    assert.ok(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(','),
    );
    assert.ok(statuses.includes(429), 'some guesses were turned away without running bcrypt');
    assert.ok(statuses.filter((s) => s === 401).length >= 16, 'the line itself was served');
    // The right password still gets in afterwards.
    assert.equal((await request(port, { tls: false, auth: basic('slow', 'slow') })).status, 200);
  });

  it('takes new users for the requests that follow', async () => {
    gate.apply(webConfig(`basic_auth_users:\n  grafana-agent: '${bcryptHash('new')}'\n`));
    assert.equal((await request(port, { tls: false, auth: basic('prometheus', password) })).status, 401);
    assert.equal((await request(port, { tls: false, auth: basic('grafana-agent', 'new') })).status, 200);
  });
});

describe('a re-read configuration applies to the connections that follow', () => {
  it('serves a renewed certificate, and a stricter client policy, without a restart', async () => {
    const { listeners, port } = await listen(webConfig(tlsSection('NoClientCert')));
    const before = await request(port);
    assert.equal(before.fingerprint, pki.fingerprint(server.cert));
    listeners.apply(webConfig(tlsSection('RequireAndVerifyClientCert', 'exporter-renewed')));
    const after = await request(port, { client: clients.signed });
    assert.equal(after.status, 200);
    assert.equal(after.fingerprint, pki.fingerprint(renewed.cert), 'the renewed certificate is served');
    await assert.rejects(request(port), 'a client without a certificate is now refused');
    await assert.rejects(request(port, { client: clients.foreign }));
  });

  it('refuses to switch between HTTP and HTTPS (a restart does that) and keeps what it has', async () => {
    const { listeners, port } = await listen(PLAIN_HTTP);
    assert.throws(
      () => listeners.apply(webConfig(tlsSection('NoClientCert'))),
      /turning TLS on needs a restart/,
    );
    assert.equal((await request(port, { tls: false })).status, 200);
    const tls = await listen(webConfig(tlsSection('NoClientCert')));
    assert.throws(
      () => tls.listeners.apply(webConfig('basic_auth_users: {}\n')),
      /turning TLS off needs a restart/,
    );
    assert.equal((await request(tls.port)).status, 200);
  });
});

describe('several listen addresses', () => {
  it('serves the same handler and TLS on each address', async () => {
    const { listeners } = await listen(webConfig(tlsSection('RequireAndVerifyClientCert')), [
      '127.0.0.1:0',
      '[::1]:0',
    ]);
    const [v4, v6] = listeners.addresses();
    assert.equal(v4!.address, '127.0.0.1');
    assert.equal(v6!.address, '::1');
    assert.equal((await request(v4!.port, { client: clients.signed })).status, 200);
    assert.equal((await request(v6!.port, { client: clients.signed, host: '::1' })).status, 200);
    await assert.rejects(request(v6!.port, { host: '::1' }), 'the policy holds on every address');
  });

  it('fails as a whole, closing what it bound, when one address cannot be bound', async () => {
    const { port } = await listen(PLAIN_HTTP);
    await assert.rejects(
      Listeners.start({
        addresses: ['127.0.0.1:0', `127.0.0.1:${port}`],
        handler: echo,
        web: PLAIN_HTTP,
        log,
        requestTimeoutMs: 1000,
      }),
      new RegExp(`--web.listen-address=127.0.0.1:${port}: .*EADDRINUSE`),
    );
  });
});
