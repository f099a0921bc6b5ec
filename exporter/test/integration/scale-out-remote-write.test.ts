/**
 * remote_write from the shipped configuration, for real: the local stack's Prometheus
 * configuration (provisioning/prometheus/prometheus.yml as scripts/stack.sh renders it) with
 * one of the shipped provisioning/scale-out/prometheus-remote-write-*.yml snippets merged in —
 * only its URL filled in, its secret files where the stack keeps secrets — scraping a real
 * exporter and writing to a real receiver: a second Prometheus with its remote-write receiver
 * on. The receiver enforces what it can of the snippet's security, with a web configuration of
 * its own: basic auth for the Mimir and VictoriaMetrics snippets (so the password file is
 * shown to be sent), TLS with the test CA for the Thanos one (so its ca_file is shown to be
 * used; its bearer token is sent but a Prometheus receiver does not check tokens).
 *
 * On the receiver, a query returns Hyperion's series and recording rules with the site's
 * external label, while the sender's own Prometheus series — scraped, but not in the snippet's
 * keep list — never arrive.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { startApi, type ApiFixture } from '../support/api.js';
import { bcryptHash } from '../support/bcrypt.js';
import { makePki, type Pki } from '../support/certs.js';
import { startDaemon, startDaemonOnFreePort, type Daemon } from '../support/daemon.js';
import { basicAuth, request } from '../support/https-client.js';
import { freePort } from '../support/ports.js';
import { PROMETHEUS_BIN } from '../support/prometheus.js';
import { renderStack, SCALE_OUT, type Yaml } from './provisioning-support.js';

interface Snippet {
  file: string;
  /** The snippet's example URL, replaced by the receiver's. */
  url: string;
  /** What the receiver checks. */
  receiver: { basicAuth?: { user: string; passwordFile: string } } | { tls: true };
}

const SNIPPETS: Snippet[] = [
  {
    file: 'prometheus-remote-write-mimir.yml',
    url: 'https://mimir.example.com/api/v1/push',
    receiver: { basicAuth: { user: 'site-a', passwordFile: 'mimir-password' } },
  },
  {
    file: 'prometheus-remote-write-victoriametrics.yml',
    url: 'https://vminsert.example.com/insert/0/prometheus/api/v1/write',
    receiver: { basicAuth: { user: 'site-a', passwordFile: 'victoriametrics-password' } },
  },
  {
    file: 'prometheus-remote-write-thanos.yml',
    url: 'https://thanos-receive.example.com/api/v1/receive',
    receiver: { tls: true },
  },
];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-remote-write-'));
let pki: Pki;
let api: ApiFixture;

before(async () => {
  pki = makePki();
  api = await startApi({ config: 'security:\n  otp: disabled\n' });
});
after(async () => {
  await api?.stop();
  pki?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

interface Receiver {
  daemon: Daemon;
  /** Instant query on the receiver, through its TLS and basic auth. */
  query(expr: string): Promise<{ metric: Record<string, string> }[]>;
  /** GET a path without credentials: the receiver's own refusal, to show it checks them. */
  anonymous(pathname: string): Promise<number>;
  /** The status of a plain-HTTP request (400 from a TLS-only server). */
  plainHttp(): Promise<number>;
}

async function startReceiver(
  dir: string,
  snippet: Snippet,
  password: string,
): Promise<Receiver & { url: string }> {
  const tls = 'tls' in snippet.receiver;
  const user = 'basicAuth' in snippet.receiver ? snippet.receiver.basicAuth?.user : undefined;
  const server = tls ? pki.server(`receiver-${path.basename(dir)}`) : undefined;
  const web = [
    ...(server ? ['tls_server_config:', `  cert_file: ${server.cert}`, `  key_file: ${server.key}`] : []),
    ...(user ? ['basic_auth_users:', `  ${user}: '${bcryptHash(password, 4)}'`] : []),
  ].join('\n');
  writeFileSync(path.join(dir, 'web.yml'), web);
  writeFileSync(path.join(dir, 'receiver.yml'), 'global: {}\n');
  const auth = user ? basicAuth(user, password) : undefined;
  const get = (port: number, p: string, withAuth = true) =>
    request(port, { tls, ca: pki.ca, path: p, auth: withAuth ? auth : undefined, timeoutMs: 5000 });
  const daemon = await startDaemonOnFreePort((port) => ({
    name: 'receiver prometheus',
    binary: PROMETHEUS_BIN,
    args: [
      `--config.file=${path.join(dir, 'receiver.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'receiver-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.config.file=${path.join(dir, 'web.yml')}`,
      '--web.enable-remote-write-receiver',
    ],
    readyUrl: `http://127.0.0.1:${port}/-/ready`,
    ready: async () => (await get(port, '/-/ready')).status === 200,
    timeoutMs: 30_000,
  }));
  const port = daemon.port;
  return {
    daemon,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/api/v1/write`,
    async query(expr) {
      const a = await get(port, `/api/v1/query?query=${encodeURIComponent(expr)}`);
      assert.equal(a.status, 200, a.body);
      return (JSON.parse(a.body) as { data: { result: { metric: Record<string, string> }[] } }).data.result;
    },
    anonymous: async (p) => (await get(port, p, false)).status,
    plainHttp: async () => (await request(port, { tls: false, path: '/-/ready' })).status,
  };
}

/** Polls a query until it returns something (bounded). */
async function until(receiver: Receiver, expr: string, ms = 40_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await receiver.query(expr);
    if (r.length > 0) return r;
    if (Date.now() > deadline) throw new Error(`the receiver has no ${expr} after ${ms} ms`);
    await delay(500);
  }
}

describe('remote_write from the shipped configuration to a real receiver', () => {
  for (const snippet of SNIPPETS) {
    it(`${snippet.file}: Hyperion's series and rules arrive, labelled with the site, and nothing else`, async () => {
      const dir = path.join(tmp, snippet.file.replace(/\.yml$/, ''));
      const secrets = path.join(dir, 'secrets');
      mkdirSync(path.join(secrets, 'prometheus'), { recursive: true });
      const password = `rw-${process.pid}-${Date.now()}`;
      const receiver = await startReceiver(dir, snippet, password);
      try {
        // The sender: the stack's configuration, as scripts/stack.sh renders it.
        const senderPort = await freePort();
        writeFileSync(path.join(secrets, 'prometheus/hyperion-token'), api.viewer.token!);
        const rendered = renderStack(path.join(dir, 'state'), secrets, [
          '--interval',
          '1s',
          '--prometheus-port',
          String(senderPort),
          '--alertmanager-port',
          String(await freePort()),
          '--',
          `--web.listen-address=127.0.0.1:${api.exporter.port}`,
        ]);
        // The snippet with its URL filled in and its secrets where the stack keeps them.
        let text = readFileSync(path.join(SCALE_OUT, snippet.file), 'utf8');
        assert.ok(text.includes(snippet.url), `${snippet.file} names ${snippet.url}`);
        text = text.split(snippet.url).join(receiver.url);
        text = text.split('/etc/prometheus/secrets/').join(`${secrets}/prometheus/`);
        const rw = parse(text) as Yaml;
        for (const [, name] of text.matchAll(new RegExp(`${secrets}/prometheus/([\\w.-]+)`, 'g'))) {
          const file = path.join(secrets, 'prometheus', name!);
          if (name === 'thanos-ca.crt') writeFileSync(file, readFileSync(pki.ca));
          else if (name!.endsWith('-password')) writeFileSync(file, password);
          else writeFileSync(file, `token-${process.pid}`);
        }
        const config = parse(readFileSync(rendered.prometheusYml, 'utf8')) as Yaml;
        config.global = { ...(config.global as Yaml), ...(rw.global as Yaml) };
        config.remote_write = rw.remote_write;
        const configFile = path.join(dir, 'sender.yml');
        writeFileSync(configFile, stringify(config));
        const sender = await startDaemon({
          name: 'sender prometheus',
          binary: PROMETHEUS_BIN,
          args: [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${path.join(dir, 'sender-data')}`,
            `--web.listen-address=127.0.0.1:${senderPort}`,
          ],
          readyUrl: `http://127.0.0.1:${senderPort}/-/ready`,
          timeoutMs: 30_000,
        });
        try {
          const site = ((rw.global as Yaml).external_labels as Record<string, string>).cluster!;
          const cpu = await until(receiver, `hyperion_cpu_seconds_total{job="hyperion",cluster="${site}"}`);
          assert.ok(cpu.length > 0);
          assert.equal(cpu[0]!.metric.instance, `127.0.0.1:${api.exporter.port}`);
          // Recording rules are written too, and scrape health.
          await until(receiver, `hyperion:memory_available:ratio{cluster="${site}"}`);
          await until(receiver, `up{job="hyperion",cluster="${site}"}`);
          // The sender scrapes itself, but its own series stay home (write_relabel_configs).
          const own = await request(senderPort, {
            tls: false,
            path: `/api/v1/query?query=${encodeURIComponent('prometheus_build_info')}`,
          });
          assert.equal(JSON.parse(own.body).data.result.length, 1, 'the sender has its own build info');
          assert.deepEqual(await receiver.query('prometheus_build_info'), []);
          assert.deepEqual(await receiver.query('{__name__=~"go_.+|process_.+|prometheus_.+"}'), []);
          // The receiver did check what it was given to check.
          if ('basicAuth' in snippet.receiver)
            assert.equal(await receiver.anonymous('/api/v1/query?query=up'), 401);
          else assert.equal(await receiver.plainHttp(), 400, 'the receiver speaks only TLS');
        } finally {
          await sender.stop();
        }
      } finally {
        await receiver.daemon.stop();
      }
    });
  }
});
