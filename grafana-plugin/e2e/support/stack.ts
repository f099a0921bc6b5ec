/**
 * Everything the browser tests run against, all real except Grafana's server (mocked by the
 * harness): one hyperion-exporter running inside
 *   - a PID + mount namespace whose PID 1 is a real systemd (services to stop and start, and
 *     processes the test starts there to kill), and
 *   - a network namespace of the test's own (so its nftables blocks never touch the host),
 * reached from the host through a Unix-socket bridge; a real Prometheus scraping it every
 * second with the recording rules of alerting/ (the Overview reads them); the harness server
 * proxying to both with real Grafana tokens; and headless Chromium driven by playwright-core.
 *
 * Everything started is stopped in reverse order by stop(), also after a failure half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import webpack, { type Configuration } from 'webpack';
import {
  ADDR,
  Agent,
  createNetnsPair,
  inNamespace,
  type NetnsPair,
} from '../../../exporter/test/support/netns.js';
import {
  generateKey,
  startSshd,
  type KeyPair,
  type RunningSshd,
} from '../../../exporter/test/support/sshd.js';
import { TEST_USER, testUser } from '../../../exporter/test/support/exporter.js';
import {
  scrapeJob,
  startPrometheus,
  type RunningPrometheus,
} from '../../../exporter/test/support/prometheus.js';
import {
  startSystemdNamespace,
  type SystemdNamespace,
} from '../../../exporter/test/support/systemd-namespace.js';
import { buildHarness, DEFAULT_BUNDLE_DIR, PLUGIN_ROOT } from '../../harness/build';
import { EXPORTER_DIR, startRealExporter, type RunningExporter } from '../../harness/exporter';
import { LOADER_COOKIE, grafanaContext, startHarness, type Harness } from '../../harness/server';
import pluginConfig from '../../webpack.config.js';
import { formatUser, THEME_COOKIE, USER_COOKIE, type HarnessUser } from '../../harness/session';
import { Authenticator } from './totp';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const TEST_UNIT = 'hyperion-ui-test.service';
/** Its description holds what search boxes used to mangle: . - / [ and non-ASCII letters. */
export const TEST_UNIT_DESCRIPTION = 'Hyperion UI test: serves /srv/ui.v2-beta [ünïcode]';
/** The test's peer: a second namespace holding TCP connections to the exporter's. */
export const PEER_ADDRESS = ADDR.b;

/** What went wrong on a page besides what its test checks: script errors and 5xx answers. */
export interface PageProblems {
  errors: string[];
  serverErrors: string[];
}
const REPO_ROOT = path.resolve(EXPORTER_DIR, '..');

export interface SshHost {
  address: string;
  port: number;
  fingerprint: string;
  keyFile: string;
  systemd: SystemdNamespace;
  /** Starts a program on that machine (inside its PID namespace). */
  spawnInside(argv: string[]): ChildProcess;
}

export interface Stack {
  harness: Harness;
  exporter: RunningExporter;
  /** The exporter's API as the host sees it (through the bridge). */
  apiUrl: string;
  systemd: SystemdNamespace;
  prometheus: RunningPrometheus;
  netns: string;
  /** The writable file root "share" on disk, owned by the exporter's user. */
  shareDir: string;
  /**
   * Puts a file (with `content`) or a folder (without) at `relative` in the share, owned by the
   * exporter's user as its other files are: what the tests find there, made as an operator would.
   */
  placeInShare(relative: string, content?: string): string;
  browser: Browser;
  /** Enrols a Grafana user's second factor through the API, as that user; returns their authenticator. */
  enrol(user: HarnessUser): Promise<Authenticator>;
  /** Calls the exporter directly as a Grafana user would arrive through the proxy. */
  api<T>(
    user: HarnessUser,
    method: string,
    apiPath: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /**
   * A browser page signed in as `user`, in the user's locale (en-GB unless given). Every page
   * error and every 5xx answer is recorded: problemsOf(page) has them.
   */
  page(
    user: HarnessUser,
    options?: { theme?: 'dark' | 'light'; width?: number; height?: number; locale?: string; loader?: 'amd' },
  ): Promise<Page>;
  problemsOf(page: Page): PageProblems;
  /** Holds `count` TCP connections from the peer namespace to a listener in the exporter's. */
  holdPeerConnections(count: number): Promise<void>;
  /** The built plugin (dist/), as Grafana would install it. */
  distDir: string;
  /**
   * A second machine, started on first use: a real sshd in the peer namespace (the exporter
   * reaches it at PEER_ADDRESS) inside a systemd namespace of its own, which runs TEST_UNIT too.
   * Not yet in the exporter's inventory: adding it is the test's business.
   */
  sshHost(): Promise<SshHost>;
  /** Starts a program inside the systemd namespace (processes the tests kill). */
  spawnInside(argv: string[]): ChildProcess;
  nft(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The real uid of the exporter's Node process (not of nsenter around it), found by the data
 * directory on its command line.
 */
function exporterUid(storagePath: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv.includes(`--storage.path=${storagePath}`) || !argv.some((a) => a.endsWith('main.ts')))
        continue;
      if (path.basename(argv[0] ?? '') === 'nsenter') continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    } catch {
      // ended meanwhile
    }
  }
  return undefined;
}

function testUnit(): string {
  return [
    '[Unit]',
    `Description=${TEST_UNIT_DESCRIPTION}`,
    'DefaultDependencies=no',
    '[Service]',
    'ExecStart=/bin/sleep infinity',
    '[Install]',
    'WantedBy=hyperion-test.target',
    '',
  ].join('\n');
}

/** The production build (webpack --mode production), as `npm run build` makes it. */
function buildPlugin(): Promise<void> {
  const config = (pluginConfig as (env: unknown, argv: { mode?: string }) => Configuration)(undefined, {
    mode: 'production',
  });
  return new Promise((resolve, reject) => {
    webpack({ ...config, infrastructureLogging: { level: 'warn' } }, (error, stats) => {
      if (error) return reject(error);
      if (!stats || stats.hasErrors())
        return reject(new Error(stats?.toString('errors-only') ?? 'webpack failed'));
      resolve();
    });
  });
}

function tokenFor(exporter: RunningExporter, user: HarnessUser): string {
  if (user.role === 'Admin') return exporter.tokens.adminToken;
  if (user.role === 'Editor') return exporter.tokens.operatorToken;
  return exporter.tokens.viewerToken;
}

export async function startStack(log: (line: string) => void): Promise<Stack> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup: ${String(error)}`);
      }
    }
    cleanups.length = 0;
  };
  try {
    const started = Date.now();
    const step = (what: string) => log(`stack: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    // Both builds at once: each spends much of its time waiting on the other's I/O.
    const distDir = path.join(PLUGIN_ROOT, 'dist');
    await Promise.all([buildHarness(DEFAULT_BUNDLE_DIR), buildPlugin()]);
    step('harness bundle and plugin (dist/module.js) built');

    const systemd = await startSystemdNamespace(60_000);
    cleanups.push(() => systemd.stop());
    await systemd.installUnits({ [TEST_UNIT]: testUnit() });
    const start = await systemd.run(['systemctl', 'start', TEST_UNIT]);
    if (start.code !== 0) throw new Error(`systemctl start ${TEST_UNIT}: ${start.stderr}`);
    step('systemd namespace up');

    const pair: NetnsPair = await createNetnsPair('ui', { ipv6: false });
    cleanups.push(() => pair.destroy());
    const agent = await Agent.start(pair.a);
    cleanups.push(() => agent.stop());
    const peer = await Agent.start(pair.b);
    cleanups.push(() => peer.stop());
    step('network namespace up');

    // The exporter runs as it is deployed: started as root, it leaves root to its agent and
    // becomes an unprivileged user (the test user, made once per machine) — every action the
    // browser tests take goes through that split.
    const owner = testUser();
    const work = mkdtempSync(path.join(os.tmpdir(), 'hyperion-ui-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    chmodSync(work, 0o755);
    const shareDir = path.join(work, 'share');
    mkdirSync(shareDir);
    chownSync(shareDir, owner.uid, owner.gid);
    const placeInShare = (relative: string, content?: string): string => {
      const file = path.join(shareDir, relative);
      if (content === undefined) mkdirSync(file);
      else writeFileSync(file, content);
      chownSync(file, owner.uid, owner.gid);
      return file;
    };
    const exporter = await startRealExporter({
      user: TEST_USER,
      wrapper: [
        'nsenter',
        '-t',
        String(systemd.pid),
        '-m',
        '-p',
        `--net=/run/netns/${pair.a}`,
        `--wd=${EXPORTER_DIR}`,
        '--',
      ],
      config: [
        'security:',
        '  otp: required',
        // One code per action: the prompts the tests answer. Elevation has its own test.
        '  otpElevationSeconds: 0',
        'files:',
        '  roots:',
        '    - name: share',
        `      path: ${shareDir}`,
        '      writable: true',
        '      writeRole: admin',
        '',
      ].join('\n'),
      timeoutMs: 90_000,
    });
    cleanups.push(() => exporter.stop());
    const uid = exporterUid(exporter.storagePath);
    if (uid !== owner.uid)
      throw new Error(`the exporter runs as uid ${uid}, not as ${TEST_USER} (${owner.uid})`);
    const bridge = await agent.bridge('127.0.0.1', exporter.port);
    cleanups.push(() => bridge.close());
    step(`exporter up as ${TEST_USER} (${bridge.url})`);

    const prometheus = await startPrometheus({
      scrapeConfigs: [scrapeJob('hyperion', bridge.url, { scrapeInterval: '1s' })],
      ruleFiles: [path.join(REPO_ROOT, 'alerting', 'rules', 'hyperion-recording.rules.yml')],
      evaluationInterval: '1s',
    });
    cleanups.push(() => prometheus.stop());
    step(`prometheus up (${prometheus.url})`);

    const harness = await startHarness({
      bundleDir: DEFAULT_BUNDLE_DIR,
      settings: {
        jsonData: { exporterUrl: bridge.url, prometheusUid: 'prometheus' },
        secureJsonData: { ...exporter.tokens },
      },
      prometheusUrl: prometheus.url,
      distDir,
      log,
    });
    cleanups.push(() => harness.close());
    step(`harness up (${harness.url})`);

    // Chromium must start: a browser test that cannot run a browser has failed, not passed.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      timeout: 120_000,
    });
    cleanups.push(() => browser.close());
    step('chromium up');

    const contexts: BrowserContext[] = [];
    const problems = new WeakMap<Page, PageProblems>();
    let peerPort = 0;
    let sshHost: Promise<SshHost> | undefined;
    const startSshHost = async (): Promise<SshHost> => {
      const ns = await startSystemdNamespace(60_000);
      cleanups.push(() => ns.stop());
      await ns.installUnits({ [TEST_UNIT]: testUnit() });
      const started = await ns.run(['systemctl', 'start', TEST_UNIT]);
      if (started.code !== 0) throw new Error(`ssh host: systemctl start ${TEST_UNIT}: ${started.stderr}`);
      // The namespace's /run is its own: sshd's privilege separation directory goes there.
      mkdirSync(`/proc/${ns.pid}/root/run/sshd`, { recursive: true, mode: 0o755 });
      const key: KeyPair = generateKey('ed25519');
      cleanups.push(() => key.remove());
      // The exporter reads the key it is given as its own user, as it would in production.
      for (const p of [key.dir, key.privateKeyFile]) chownSync(p, owner.uid, owner.gid);
      const sshd: RunningSshd = await startSshd({
        authorizedKeys: [key.publicKey],
        netns: pair.b,
        listenAddress: ADDR.b,
        wrapper: ns.wrapper,
      });
      cleanups.push(() => sshd.stop());
      return {
        address: ADDR.b,
        port: sshd.port,
        fingerprint: sshd.fingerprint,
        keyFile: key.privateKeyFile,
        systemd: ns,
        spawnInside(argv) {
          const child = spawn('nsenter', ['-t', String(ns.pid), '-m', '-p', '--', ...argv], {
            stdio: 'ignore',
          });
          children.push(child);
          return child;
        },
      };
    };
    cleanups.push(async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
    });
    const children: ChildProcess[] = [];
    cleanups.push(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });

    const api: Stack['api'] = async (user, method, apiPath, body) => {
      const res = await fetch(`${bridge.url}/api/v1${apiPath}`, {
        method,
        headers: {
          authorization: `Bearer ${tokenFor(exporter, user)}`,
          // UTF-8 bytes, as Grafana writes the header (fetch wants each byte as one Latin-1 char).
          'x-grafana-context': Buffer.from(grafanaContext(user), 'utf8').toString('latin1'),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
    };

    return {
      harness,
      exporter,
      apiUrl: bridge.url,
      systemd,
      prometheus,
      netns: pair.a,
      shareDir,
      placeInShare,
      browser,
      api,
      async enrol(user) {
        // As a person enrols: an administrator issued their enrolment code (on the exporter's
        // host with the CLI), and they enrol with it.
        const who = await api<{ key: string; otp: { enrolmentCodeRequired: boolean } }>(
          user,
          'GET',
          '/auth/whoami',
        );
        if (who.status !== 200) throw new Error(`whoami ${user.login}: ${who.status}`);
        const body = who.body.otp.enrolmentCodeRequired
          ? { enrolmentCode: await exporter.issueEnrolmentCode(who.body.key, user.login) }
          : undefined;
        const enrolment = await api<{ secret: string }>(user, 'POST', '/auth/otp/enrol', body);
        if (enrolment.status !== 200) throw new Error(`enrol ${user.login}: ${enrolment.status}`);
        const auth = new Authenticator(enrolment.body.secret);
        const confirmed = await api(user, 'POST', '/auth/otp/confirm', { code: await auth.next() });
        if (confirmed.status !== 200) throw new Error(`confirm ${user.login}: ${confirmed.status}`);
        return auth;
      },
      distDir,
      async page(user, options = {}) {
        const context = await browser.newContext({
          viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
          locale: options.locale ?? 'en-GB',
          acceptDownloads: true,
        });
        contexts.push(context);
        await context.addCookies([
          { name: USER_COOKIE, value: encodeURIComponent(formatUser(user)), url: harness.url },
          { name: THEME_COOKIE, value: options.theme ?? 'dark', url: harness.url },
          ...(options.loader ? [{ name: LOADER_COOKIE, value: options.loader, url: harness.url }] : []),
        ]);
        const page = await context.newPage();
        page.setDefaultTimeout(30_000);
        const seen: PageProblems = { errors: [], serverErrors: [] };
        problems.set(page, seen);
        page.on('pageerror', (error) => {
          log(`page error (${user.login}): ${error.message}`);
          seen.errors.push(error.message);
        });
        page.on('response', (response) => {
          if (response.status() >= 500)
            seen.serverErrors.push(`${response.status()} ${response.request().method()} ${response.url()}`);
        });
        return page;
      },
      problemsOf: (page) => problems.get(page) ?? { errors: [], serverErrors: [] },
      sshHost: () => (sshHost ??= startSshHost()),
      async holdPeerConnections(count) {
        if (peerPort === 0) {
          peerPort = 20_000 + Math.floor(Math.random() * 20_000);
          await agent.request('listen', { host: ADDR.a, port: peerPort });
        }
        for (let i = 0; i < count; i += 1) {
          const c = await peer.connect(ADDR.a, peerPort, { hold: true });
          if (c.result !== 'ok') throw new Error(`peer connection ${i + 1}: ${c.result}`);
        }
      },
      spawnInside(argv) {
        const child = spawn('nsenter', ['-t', String(systemd.pid), '-m', '-p', '--', ...argv], {
          stdio: 'ignore',
        });
        children.push(child);
        return child;
      },
      async nft() {
        const r = await inNamespace(pair.a, ['nft', 'list', 'table', 'inet', 'hyperion']);
        return r.stdout;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
