/**
 * The services manager's pure decisions: which names reach a command line, how states are
 * filtered, how SysV exit codes and runlevel links read, the configuration's defaults, and
 * which backend a host gets — the last on real fixture trees read through a real LocalHost.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { servicesConfigSchema } from '../../../src/managers/services/config.js';
import { BACKENDS, detectBackend } from '../../../src/managers/services/detect.js';
import { ServiceManager, filterServices } from '../../../src/managers/services/index.js';
import {
  assertServiceName,
  bareName,
  isServiceName,
  sameService,
} from '../../../src/managers/services/names.js';
import { systemdFactory, systemdUnitName } from '../../../src/managers/services/systemd.js';
import { sysvEnabledState, sysvFactory, sysvStatus } from '../../../src/managers/services/sysv.js';
import type { BackendFactory, ServiceBackend, ServiceInfo } from '../../../src/managers/services/types.js';
import { isHyperionError } from '../../../src/util/errors.js';
import { tree } from '../helpers.js';

describe('service names', () => {
  it('accepts real unit and init script names', () => {
    for (const name of [
      'ssh',
      'ssh.service',
      'systemd-journald.service',
      'getty@tty1.service',
      'user@1000.service',
      'hwclock.sh',
      'dbus-org.freedesktop.Avahi.service',
      '_underscore',
      'a:b',
      'x'.repeat(255),
    ]) {
      assert.ok(isServiceName(name), name);
    }
  });

  it('refuses options, paths, traversal, whitespace and shell characters', () => {
    for (const name of [
      '',
      '-h',
      '--help',
      '-.service',
      '.hidden',
      '..',
      'a..b',
      'a/b',
      '/etc/passwd',
      'a b',
      'a\tb',
      'a\nb',
      'a;b',
      'a|b',
      'a&b',
      '$(id)',
      '`id`',
      "a'b",
      'a"b',
      'a\\x2db',
      'a>b',
      'a<b',
      'a*',
      'a?',
      'a~',
      'a\u0000b',
      'café',
      'x'.repeat(256),
    ]) {
      assert.ok(!isServiceName(name), JSON.stringify(name));
      assert.throws(
        () => assertServiceName(name),
        (e: unknown) => isHyperionError(e) && e.status === 400,
      );
    }
  });

  it('treats "x" and "x.service" as one service', () => {
    assert.equal(bareName('ssh.service'), 'ssh');
    assert.equal(bareName('ssh'), 'ssh');
    assert.ok(sameService('ssh', 'ssh.service'));
    assert.ok(!sameService('ssh', 'sshd.service'));
    assert.equal(systemdUnitName('ssh'), 'ssh.service');
    assert.equal(systemdUnitName('ssh.service'), 'ssh.service');
    assert.equal(systemdUnitName('ssh.socket'), 'ssh.socket.service', 'services only: a socket is not one');
  });
});

describe('filterServices', () => {
  const service = (
    name: string,
    active: string,
    sub: string,
    enabled: string | null,
    description = '',
  ): ServiceInfo => ({
    name,
    backend: 'systemd',
    description,
    loadState: 'loaded',
    activeState: active,
    subState: sub,
    enabledState: enabled,
    mainPid: null,
    memoryBytes: null,
    cpuSeconds: null,
  });
  const items = [
    service('ssh.service', 'active', 'running', 'enabled'),
    service('cron.service', 'failed', 'failed', 'enabled'),
    service('SSH-Helper.service', 'inactive', 'dead', 'disabled', 'Tunnels for /srv/Ünïcode [v1.2-beta]'),
  ];

  it('filters on any of the states and on a case-insensitive name substring', () => {
    const names = (q: Parameters<typeof filterServices>[1]) => filterServices(items, q).map((s) => s.name);
    assert.deepEqual(names({ state: ['failed'] }), ['cron.service']);
    assert.deepEqual(names({ state: ['running', 'dead'] }), ['ssh.service', 'SSH-Helper.service']);
    assert.deepEqual(names({ state: ['enabled'] }), ['ssh.service', 'cron.service']);
    assert.deepEqual(names({ name: 'ssh' }), ['ssh.service', 'SSH-Helper.service']);
    assert.deepEqual(names({ name: 'ssh', state: ['disabled'] }), ['SSH-Helper.service']);
    assert.deepEqual(names({ state: [] }), ['ssh.service', 'cron.service', 'SSH-Helper.service']);
    assert.deepEqual(names({ name: 'nothing' }), []);
  });

  it('searches name and description for any text, regular-expression characters as themselves', () => {
    const names = (search: string) => filterServices(items, { search }).map((s) => s.name);
    assert.deepEqual(names('cron.serv'), ['cron.service']);
    assert.deepEqual(names('ssh-h'), ['SSH-Helper.service']);
    assert.deepEqual(names('/srv/ünï'), ['SSH-Helper.service']);
    assert.deepEqual(names('[v1.2-'), ['SSH-Helper.service']);
    assert.deepEqual(names('.*'), []);
    assert.deepEqual(names('tunnels'), ['SSH-Helper.service']);
  });
});

describe('SysV status and links', () => {
  const status = (code: number | null, stdout = '', stderr = '') => sysvStatus({ code, stdout, stderr });

  it('reads LSB status exit codes, and a usage message as unknown', () => {
    assert.deepEqual(status(0), { activeState: 'active', subState: 'running' });
    assert.deepEqual(status(1), { activeState: 'failed', subState: 'dead' });
    assert.deepEqual(status(2), { activeState: 'failed', subState: 'dead' });
    assert.deepEqual(status(3), { activeState: 'inactive', subState: 'dead' });
    assert.deepEqual(status(4), { activeState: 'unknown', subState: 'unknown' });
    assert.deepEqual(status(null), { activeState: 'unknown', subState: 'unknown' });
    // hwclock.sh on Debian: no status action, exit 1 with its usage.
    assert.deepEqual(status(1, 'Usage: hwclock.sh {stop|reload|force-reload|show}\n'), {
      activeState: 'unknown',
      subState: 'unknown',
    });
  });

  it('is enabled with a start link in any runlevel, disabled with only stop links or none', () => {
    const rc = new Map([
      ['0', ['K01ssh', 'K01a.b']],
      ['2', ['S01ssh', 'S01aXb', 'S01sshd-extra']],
    ]);
    assert.equal(sysvEnabledState(rc, 'ssh'), 'enabled');
    assert.equal(sysvEnabledState(rc, 'a.b'), 'disabled', '"." is not a wildcard');
    assert.equal(sysvEnabledState(rc, 'sshd'), 'disabled', 'a longer name is another script');
    assert.equal(sysvEnabledState(new Map(), 'ssh'), 'disabled');
  });
});

describe('services configuration', () => {
  it('protects the SSH server and the exporter by default', () => {
    const config = servicesConfigSchema.parse({});
    assert.deepEqual(config.protected, ['ssh.service', 'sshd.service', 'hyperion-exporter.service']);
    assert.equal(config.actionTimeoutSeconds, 25);
    assert.equal(config.defaultLogLines, 50);
  });

  it('refuses a protected name that could never match a service, and unknown keys', () => {
    assert.ok(!servicesConfigSchema.safeParse({ protected: ['-rf'] }).success);
    assert.ok(!servicesConfigSchema.safeParse({ protected: ['a/b'] }).success);
    assert.ok(!servicesConfigSchema.safeParse({ protectd: [] }).success);
    assert.deepEqual(servicesConfigSchema.parse({ protected: [] }).protected, []);
  });
});

describe('backend detection', () => {
  it('says systemd only when PID 1 of the host is systemd', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hyperion-svc-detect-'));
    try {
      mkdirSync(path.join(root, 'proc/1'), { recursive: true });
      writeFileSync(path.join(root, 'proc/1/comm'), 'systemd\n');
      assert.equal(await systemdFactory.detect(new LocalHost({ procfs: path.join(root, 'proc') })), true);
      writeFileSync(path.join(root, 'proc/1/comm'), 'init\n');
      assert.equal(await systemdFactory.detect(new LocalHost({ procfs: path.join(root, 'proc') })), false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    // The captured tree has a /proc/1 without comm: not systemd, and no throw.
    assert.equal(await systemdFactory.detect(new LocalHost(tree('captured'))), false);
  });

  it('takes the first backend that recognises the host, and says clearly when none does', async () => {
    assert.deepEqual(
      BACKENDS.map((b) => b.name),
      ['systemd', 'sysv'],
    );
    const host = new LocalHost(tree('captured'), 'testhost');
    const made = new Map<string, ServiceBackend>();
    const fake = (name: string, yes: boolean): BackendFactory => ({
      name,
      detect: async () => yes,
      create: (h) => {
        const backend = sysvFactory.create(h);
        made.set(name, backend);
        return backend;
      },
    });
    const chosen = await detectBackend(host, [
      fake('first', false),
      fake('second', true),
      fake('third', true),
    ]);
    assert.deepEqual([...made.keys()], ['second'], 'only the winner is created');
    assert.equal(chosen, made.get('second'));
    await assert.rejects(
      detectBackend(host, [fake('first', false)]),
      (e: unknown) =>
        isHyperionError(e) && e.status === 501 && /testhost runs no service manager .*first/.test(e.message),
    );
  });
});

describe('protection', () => {
  it('needs admin for configured services and for the unit the exporter runs in, saying which', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hyperion-svc-protect-'));
    try {
      // A systemd host on which the exporter (pid 4242) runs in hyperion-prod.service.
      mkdirSync(path.join(root, 'proc/1'), { recursive: true });
      mkdirSync(path.join(root, 'proc/4242'), { recursive: true });
      writeFileSync(path.join(root, 'proc/1/comm'), 'systemd\n');
      writeFileSync(path.join(root, 'proc/4242/cgroup'), '0::/system.slice/hyperion-prod.service\n');
      const host = new LocalHost({ procfs: path.join(root, 'proc') }, 'web1');
      const manager = new ServiceManager(host, { selfPid: 4242 });
      assert.equal((await manager.backend()).name, 'systemd');

      const policy = (protectedUnits: string[], operatorUnits = ['*.service']) => ({
        protectedUnits,
        operatorUnits,
      });
      const own = await manager.protection('hyperion-prod', policy([]));
      assert.match(own ?? '', /hyperion-prod\.service is the unit the Hyperion exporter itself runs in/);
      assert.match(
        (await manager.protection('ssh', policy(['ssh.service']))) ?? '',
        /ssh\.service is a protected service on host web1/,
      );
      assert.match((await manager.protection('sshd.service', policy(['sshd']))) ?? '', /protected/);
      assert.equal(await manager.protection('nginx', policy(['ssh.service'])), null);
      // Outside services.operatorUnits, and the system's own units whatever it says.
      assert.match(
        (await manager.protection('nginx', policy([], ['app-*']))) ?? '',
        /services\.operatorUnits/,
      );
      assert.equal(await manager.protection('app-web', policy([], ['app-*'])), null);
      for (const unit of [
        'systemd-journald',
        'debug-shell',
        'getty@tty1',
        'modprobe@loop',
        'emergency',
        'dbus',
      ]) {
        assert.match(
          (await manager.protection(unit, policy([], ['*']))) ?? '',
          /system's own machinery/,
          unit,
        );
      }
      // Remote hosts have no "own" unit: only the configured list applies.
      const remote = new ServiceManager(host, { selfPid: null });
      assert.equal(await remote.protection('hyperion-prod', policy([])), null);
      await assert.rejects(
        manager.protection('-x', policy([])),
        (e: unknown) => isHyperionError(e) && e.status === 400,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
