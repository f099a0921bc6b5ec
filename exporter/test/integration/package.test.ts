/**
 * Issue 16: the Debian package (packaging/deb/build.sh), built from this checkout and run
 * through its whole life by the real dpkg and a real systemd (PID 1 of a namespace): install,
 * first start, upgrade to a rebuilt version, remove, purge.
 *
 * The namespace boots on an overlay of the host's file system with a private tmpfs upper layer
 * and has its own network (support/systemd-namespace.ts): dpkg's database, the `hyperion` user,
 * /etc/hyperion, /usr/lib/hyperion and /var/lib/hyperion change only there, and the service
 * listens on its default port 8470 without meeting anything of the host's. The last test checks
 * that the host's package database, users and files are as they were.
 *
 * The only local changes are what a namespace cannot give a systemd service (drop-ins written
 * before installing, as an administrator would): DefaultDependencies=no, so that starting a unit
 * does not boot sysinit.target, and PrivateDevices=no (see provisioning-systemd.test.ts). And
 * where the machine is a Docker-built image, its /usr/sbin/policy-rc.d (`exit 101`: never start
 * a service while installing) is removed inside the namespace, as a Debian host has none: the
 * postinst asks deb-systemd-invoke, which honours it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { parseConfig, defaultConfig } from '../../src/config/load.js';
import { startSystemdNamespace, type SystemdNamespace } from '../support/systemd-namespace.js';
import { REPO, which } from './provisioning-support.js';

const BUILD = path.join(REPO, 'packaging/deb/build.sh');
const CONFFILE = '/etc/hyperion/hyperion.yml';
const DATA = '/var/lib/hyperion';
const UNIT = 'hyperion-exporter.service';
const PORT = 8470;
const UPSTREAM = (
  JSON.parse(readFileSync(path.join(REPO, 'exporter/package.json'), 'utf8')) as { version: string }
).version;
const SUFFIX = `+t${process.pid}`;
const NEWER = `${UPSTREAM}${SUFFIX}`;
const STEP = { timeout: 300_000 };

/** Runs build.sh; resolves with the .deb's path (its last line of stdout). */
async function buildPackage(outDir: string, suffix?: string): Promise<string> {
  const args = ['--out-dir', outDir, ...(suffix ? ['--version-suffix', suffix] : [])];
  try {
    const { stdout } = await promisify(execFile)(BUILD, args, { timeout: 600_000, maxBuffer: 16 << 20 });
    return stdout.trim().split('\n').at(-1)!;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`build.sh ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/** What the host knows of the package and its user: the same before and after the tests. */
function hostState() {
  const query = (argv: string[]) =>
    promisify(execFile)(argv[0]!, argv.slice(1)).then(
      (r) => r.stdout,
      (e: { code?: number; stdout?: string }) => `exit ${e.code}: ${e.stdout ?? ''}`,
    );
  return Promise.all([
    query(['getent', 'passwd', 'hyperion']),
    query(['getent', 'group', 'hyperion']),
    query(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'hyperion-exporter']),
  ]).then(([passwd, group, dpkg]) => ({
    passwd,
    group,
    dpkg,
    dpkgInfo: existsSync('/var/lib/dpkg/info/hyperion-exporter.list'),
    files: [
      CONFFILE,
      '/usr/lib/hyperion',
      `/lib/systemd/system/${UNIT}`,
      DATA,
      '/usr/bin/hyperion-exporter',
    ].map((f) => `${f}: ${existsSync(f)}`),
  }));
}

/** A fetch from inside the namespace's network (node is the package's own dependency). */
const FETCH = `
const [url, token] = process.argv.slice(1);
try {
  const r = await fetch(url, token ? { headers: { authorization: 'Bearer ' + token } } : {});
  console.log(JSON.stringify({ status: r.status, body: await r.text() }));
} catch (e) {
  console.log(JSON.stringify({ status: 0, body: String(e.cause ?? e) }));
}`;

describe('the Debian package, installed, upgraded and removed by dpkg under a real systemd', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hyperion-package-'));
  const scratch = path.join(work, 'overlay');
  let hostBefore: Awaited<ReturnType<typeof hostState>>;
  let ns: SystemdNamespace;
  let firstDeb: string;
  let adminToken: string;
  let viewerToken: string;
  let firstPid: number;
  /** The socket units the package ships (the agent's, where there is one): started with it. */
  let sockets: string[] = [];
  /** The user the unit runs the exporter as (User=, root without it), read from the installed unit. */
  let serviceUser: string;

  const inside = (p: string) => `/proc/${ns.pid}/root${p}`;
  const sh = async (argv: string[], timeoutMs = 120_000) => {
    const r = await ns.run(argv, timeoutMs);
    assert.equal(r.code, 0, `${argv.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const get = async (urlPath: string, token?: string) => {
    const r = await ns.run([
      'node',
      '--input-type=module',
      '-e',
      FETCH,
      `http://127.0.0.1:${PORT}${urlPath}`,
      ...(token ? [token] : []),
    ]);
    return JSON.parse(r.stdout) as { status: number; body: string };
  };
  const journal = async () => (await ns.run(['journalctl', '-u', UNIT, '--no-pager', '-n', '40'])).stdout;
  const mainPid = async () => Number((await sh(['systemctl', 'show', '-P', 'MainPID', UNIT])).trim());
  const waitForMetrics = async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await get('/metrics');
      if (r.status === 200) return r.body;
      if (Date.now() > deadline) throw new Error(`/metrics never answered (${r.body}):\n${await journal()}`);
      await delay(500);
    }
  };
  /** Copies a .deb into the namespace and runs dpkg on it there. */
  const dpkg = async (args: string[], deb?: string) => {
    let argv = ['dpkg', ...args];
    if (deb) {
      mkdirSync(inside('/var/cache/hyperion-test'), { recursive: true });
      copyFileSync(deb, inside(`/var/cache/hyperion-test/${path.basename(deb)}`));
      argv = [...argv, `/var/cache/hyperion-test/${path.basename(deb)}`];
    }
    const r = await ns.run(argv, 180_000);
    assert.equal(
      r.code,
      0,
      `${argv.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}\n${await journal()}`,
    );
    return r.stdout + r.stderr;
  };
  const packageStatus = async () =>
    (await ns.run(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'hyperion-exporter'])).stdout;
  /** Runs the package's command as the service's user, as an administrator should (its files stay the service's). */
  const asServiceUser = (argv: string[]) =>
    serviceUser === 'root' ? sh(argv) : sh(['runuser', '-u', serviceUser, '--', ...argv]);

  before(
    async () => {
      for (const tool of ['dpkg-deb', 'dpkg', 'unshare', 'nsenter']) {
        assert.ok(which(tool), `${tool} is not installed`);
      }
      hostBefore = await hostState();
      firstDeb = await buildPackage(path.join(work, 'first'));
      mkdirSync(scratch);
      ns = await startSystemdNamespace(60_000, { overlayRoot: scratch, privateNetwork: true });
      await sh(['rm', '-f', '/usr/sbin/policy-rc.d']);
      // A machine without the package's user (the host may have one, e.g. from scripts/start.sh):
      // removed from the namespace's copy of /etc/passwd, so postinst has to make it.
      await ns.run(['userdel', 'hyperion']);
      await ns.run(['groupdel', 'hyperion']);
      assert.notEqual((await ns.run(['getent', 'passwd', 'hyperion'])).code, 0);
      assert.notEqual((await ns.run(['getent', 'group', 'hyperion'])).code, 0);
      // What a namespace cannot give a service, for every unit the package ships (templates too).
      const contents = await promisify(execFile)('dpkg-deb', ['-c', firstDeb]);
      const units = [
        ...contents.stdout.matchAll(/\.\/lib\/systemd\/system\/([^/\s]+\.(?:service|socket))$/gm),
      ].map((m) => m[1]!);
      assert.ok(units.includes(UNIT), `the package ships ${UNIT}: ${units.join(', ')}`);
      sockets = units.filter((u) => u.endsWith('.socket'));
      for (const unit of units) {
        const dir = inside(`/etc/systemd/system/${unit}.d`);
        mkdirSync(dir, { recursive: true });
        const service = unit.endsWith('.service') ? ['[Service]', 'PrivateDevices=no'] : [];
        writeFileSync(
          path.join(dir, 'namespace.conf'),
          ['[Unit]', 'DefaultDependencies=no', ...service, ''].join('\n'),
        );
      }
    },
    { timeout: 900_000 },
  );

  after(async () => {
    await ns?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'installs with dpkg -i, is enabled and serves /metrics as the version it was built as',
    STEP,
    async () => {
      const output = await dpkg(['-i'], firstDeb);
      assert.match(output, new RegExp(`${DATA}/admin-token`), 'postinst says where the first admin token is');
      assert.equal(await packageStatus(), `install ok installed ${UPSTREAM}`);
      // Every installed file as the package's md5sums say (silent when all match).
      assert.equal(await sh(['dpkg', '--verify', 'hyperion-exporter']), '');
      // The one native module (basic auth's bcrypt): the prebuild the package kept loads here.
      const bcrypt = `const b = require('/usr/lib/hyperion/node_modules/bcrypt');
        process.stdout.write(String(b.compareSync('pw', b.hashSync('pw', 4))))`;
      assert.equal(await sh(['node', '-e', bcrypt]), 'true');
      assert.equal((await sh(['systemctl', 'is-enabled', UNIT])).trim(), 'enabled');
      for (const socket of sockets) {
        assert.equal((await sh(['systemctl', 'is-active', socket])).trim(), 'active', socket);
      }
      const metrics = await waitForMetrics();
      assert.equal((await sh(['systemctl', 'is-active', UNIT])).trim(), 'active');
      assert.match(
        metrics,
        new RegExp(`^hyperion_exporter_build_info\\{[^}]*version="${UPSTREAM.replace(/\./g, '\\.')}"`, 'm'),
      );
      assert.match(metrics, /^hyperion_load1 /m, 'host metrics are collected');
      firstPid = await mainPid();
    },
  );

  it('runs as the user its unit names, from the package’s files, reading the conffile', STEP, async () => {
    // Who the exporter runs as: the unit's User=; under root, a version that drops privileges
    // itself after starting its root agent (--user, default hyperion) is that user.
    serviceUser = (await sh(['systemctl', 'show', '-P', 'User', UNIT])).trim() || 'root';
    if (serviceUser === 'root' && /^\s*--user\b/m.test(await sh(['hyperion-exporter', '--help']))) {
      const execStart = await sh(['systemctl', 'show', '-P', 'ExecStart', UNIT]);
      serviceUser = /--user[= ]([a-z_][a-z0-9_-]*)/.exec(execStart)?.[1] ?? 'hyperion';
    }
    // The system user postinst created, whatever the unit runs as.
    const passwd = (await sh(['getent', 'passwd', 'hyperion'])).trim().split(':');
    assert.match(passwd[4]!, /^Hyperion exporter/, 'the one postinst made');
    assert.equal(passwd[5], DATA, 'home');
    assert.equal(passwd[6], '/usr/sbin/nologin', 'shell');
    assert.ok(Number(passwd[2]) > 0 && Number(passwd[2]) < 1000, `a system uid: ${passwd[2]}`);
    const expectedUid = Number((await sh(['id', '-u', serviceUser])).trim());
    const status = readFileSync(inside(`/proc/${firstPid}/status`), 'utf8');
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status)!;
    assert.equal(Number(uids[1]), expectedUid, `the real uid is ${serviceUser}'s`);
    assert.equal(Number(uids[2]), expectedUid, `the effective uid is ${serviceUser}'s`);
    const cmdline = readFileSync(inside(`/proc/${firstPid}/cmdline`), 'utf8').split('\0');
    assert.ok(cmdline.includes('/usr/lib/hyperion/exporter/dist/main.js'), cmdline.join(' '));
    assert.ok(cmdline.includes(`--config.file=${CONFFILE}`), cmdline.join(' '));
    // The data directory: private to the user the service runs as.
    const [mode, owner] = (await sh(['stat', '-c', '%a %U', DATA])).trim().split(' ');
    assert.equal(mode, '700');
    assert.equal(owner, serviceUser);
  });

  it(
    'writes the first admin token to a 0600 file of the data directory, and it is an admin’s',
    STEP,
    async () => {
      const file = `${DATA}/admin-token`;
      const [mode, owner] = (await sh(['stat', '-c', '%a %U', file])).trim().split(' ');
      assert.equal(mode, '600');
      assert.equal(owner, serviceUser);
      adminToken = (await sh(['cat', file])).trim();
      const tokens = await get('/api/v1/tokens', adminToken);
      assert.equal(tokens.status, 200, tokens.body);
      const { items } = JSON.parse(tokens.body) as { items: { name: string; role: string }[] };
      assert.deepEqual(
        items.map((t) => [t.name, t.role]),
        [['admin', 'admin']],
      );
      assert.equal((await get('/api/v1/tokens', 'not-a-token')).status, 401);
    },
  );

  it('ships a configuration that shows every setting at its default and changes none', STEP, () => {
    const text = readFileSync(inside(CONFFILE), 'utf8');
    assert.deepEqual(parseConfig(text, CONFFILE), defaultConfig(), 'as shipped, it changes nothing');
    // Uncommented ("#key" lines; "##" stays a comment), it is the embedded default, key for key:
    // a setting added to the schema without a line in packaging/deb/hyperion.yml fails here.
    const uncommented = text.replace(/^#(?!#)/gm, '');
    assert.deepEqual(
      parseYaml(uncommented),
      JSON.parse(JSON.stringify(defaultConfig())),
      'packaging/deb/hyperion.yml shows every setting with its default value',
    );
    assert.deepEqual(parseConfig(uncommented, CONFFILE), defaultConfig(), 'and the exporter accepts it');
  });

  it(
    'upgrades to a rebuilt version, keeping the data and a locally changed conffile',
    { timeout: 900_000 },
    async () => {
      // Data the first version wrote on request: a token made with the package's command.
      viewerToken = (
        await asServiceUser([
          'hyperion-exporter',
          'token',
          'create',
          '--name',
          'package-viewer',
          '--role',
          'viewer',
          `--storage.path=${DATA}`,
        ])
      ).trim();
      assert.equal((await get('/api/v1/hosts/local/files', viewerToken)).status, 200);
      // A local change to the conffile: a file root for viewers, with a file in it.
      const note = `written before the upgrade by ${process.pid}\n`;
      mkdirSync(inside('/srv/hyperion-package-test'), { recursive: true });
      writeFileSync(inside('/srv/hyperion-package-test/note.txt'), note);
      const root = [
        'files:',
        '  roots:',
        '    - name: package-files',
        '      path: /srv/hyperion-package-test',
      ];
      const changed = `${readFileSync(inside(CONFFILE), 'utf8')}\n${[...root, '      readRole: viewer', ''].join('\n')}`;
      writeFileSync(inside(CONFFILE), changed);
      const tokensBefore = readFileSync(inside(`${DATA}/tokens.json`), 'utf8');

      const newer = await buildPackage(path.join(work, 'newer'), SUFFIX);
      const output = await dpkg(['-i'], newer);
      assert.doesNotMatch(output, /admin-token/, 'the first-token hint is for a first installation only');
      assert.equal(await packageStatus(), `install ok installed ${NEWER}`);
      assert.equal(readFileSync(inside(CONFFILE), 'utf8'), changed, 'the changed conffile is kept');
      assert.ok(!existsSync(inside(`${CONFFILE}.dpkg-new`)) && !existsSync(inside(`${CONFFILE}.dpkg-dist`)));
      assert.equal(readFileSync(inside(`${DATA}/tokens.json`), 'utf8'), tokensBefore, 'tokens are kept');
      assert.ok(existsSync(inside(`${DATA}/admin-token`)));

      const metrics = await waitForMetrics();
      assert.match(
        metrics,
        new RegExp(`^hyperion_exporter_build_info\\{[^}]*version="${NEWER.replace(/[.+]/g, '\\$&')}"`, 'm'),
      );
      assert.notEqual(await mainPid(), firstPid, 'a new process runs the new version');
      // The token made before the upgrade still works, and the new process reads the changed
      // conffile: its root serves the file, through the agent the package ships.
      const read = await get('/api/v1/hosts/local/files/package-files/note.txt?download', viewerToken);
      assert.equal(read.status, 200, read.body);
      assert.equal(read.body, note);
      assert.equal((await get('/api/v1/tokens', adminToken)).status, 200);
    },
  );

  it('dpkg -r stops the service and keeps the data, the configuration and the user', STEP, async () => {
    await dpkg(['-r', 'hyperion-exporter']);
    assert.equal(await packageStatus(), `deinstall ok config-files ${NEWER}`);
    for (const unit of [UNIT, ...sockets]) {
      assert.notEqual((await ns.run(['systemctl', 'is-active', unit])).stdout.trim(), 'active', unit);
    }
    assert.equal((await get('/metrics')).status, 0, 'nothing listens any more');
    assert.ok(!existsSync(inside('/usr/lib/hyperion/exporter')), 'the program is gone');
    assert.ok(!existsSync(inside(`/lib/systemd/system/${UNIT}`)), 'the unit is gone');
    assert.ok(existsSync(inside(`${DATA}/tokens.json`)), 'the data stays');
    assert.match(readFileSync(inside(CONFFILE), 'utf8'), /package-files/, 'the configuration stays');
    await sh(['getent', 'passwd', 'hyperion']);
  });

  it('dpkg -P removes the data, the configuration and the user', STEP, async () => {
    await dpkg(['-P', 'hyperion-exporter']);
    assert.equal(await packageStatus(), '', 'dpkg no longer knows the package');
    assert.ok(!existsSync(inside(DATA)), 'the data directory is gone');
    assert.ok(!existsSync(inside('/etc/hyperion')), 'the configuration is gone');
    assert.notEqual((await ns.run(['getent', 'passwd', 'hyperion'])).code, 0, 'the user is gone');
    assert.notEqual((await ns.run(['getent', 'group', 'hyperion'])).code, 0, 'the group is gone');
  });

  it('left the host’s package database, users and files as they were', STEP, async () => {
    assert.deepEqual(await hostState(), hostBefore);
  });
});
