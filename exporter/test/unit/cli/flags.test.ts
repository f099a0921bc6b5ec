import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createProgram,
  exporterOptions,
  parseListenAddress,
  type ExporterOptions,
} from '../../../src/cli/flags.js';
import { ALL_COLLECTORS } from '../../../src/collectors/index.js';

/** Parses a command line the way hyperion-exporter does, without letting commander exit. */
function options(args: string[]): ExporterOptions {
  const program = createProgram(ALL_COLLECTORS)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  program.parse(args, { from: 'user' });
  return exporterOptions(program, ALL_COLLECTORS);
}

const enabled = (args: string[]): string[] => [...options(args).enabledCollectors].sort();
/** The collectors on by default (the opt-in ones, such as sockets, are not). */
const ALL = ALL_COLLECTORS.filter((c) => c.defaultEnabled)
  .map((c) => c.name)
  .sort();

describe('parseListenAddress', () => {
  it('reads host:port, :port and bracketed IPv6', () => {
    assert.deepEqual(parseListenAddress(':8470'), { host: undefined, port: 8470 });
    assert.deepEqual(parseListenAddress('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseListenAddress('[::1]:8470'), { host: '::1', port: 8470 });
    assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseListenAddress('0.0.0.0:65535'), { host: '0.0.0.0', port: 65535 });
  });

  it('refuses addresses without a port, out-of-range ports and unbracketed IPv6', () => {
    for (const bad of ['8470', 'localhost', ':65536', ':123456', '::1:8470', '[::1]', 'host:', ':-1', '']) {
      assert.throws(
        () => parseListenAddress(bad),
        /^Error: --web\.listen-address: ".*" is not host:port/,
        bad,
      );
    }
  });
});

describe('exporterOptions', () => {
  it('takes --web.listen-address more than once, in order, and checks each one', () => {
    const o = options(['--web.listen-address=127.0.0.1:9100', '--web.listen-address', '[::1]:9100']);
    assert.deepEqual(o.listenAddresses, ['127.0.0.1:9100', '[::1]:9100']);
    assert.throws(
      () => options(['--web.listen-address=127.0.0.1:9100', '--web.listen-address=9100']),
      /--web\.listen-address: "9100" is not host:port/,
    );
  });

  it('resolves --web.config.file to an absolute path', () => {
    assert.equal(options(['--web.config.file=web.yml']).webConfigFile, `${process.cwd()}/web.yml`);
  });

  it('enables every default collector and uses node_exporter-like defaults', () => {
    const o = options([]);
    assert.deepEqual([...o.enabledCollectors].sort(), ALL);
    assert.deepEqual(o.listenAddresses, [':8470']);
    assert.equal(o.webConfigFile, undefined);
    assert.equal(o.telemetryPath, '/metrics');
    assert.deepEqual(o.paths, { procfs: '/proc', sysfs: '/sys', rootfs: '/' });
    assert.equal(o.logLevel, 'info');
    assert.equal(o.logFormat, 'json');
  });

  it('compiles default exclusions that drop pseudo file systems, partitions and loops', () => {
    const s = options([]).collectorSettings;
    for (const t of ['proc', 'sysfs', 'cgroup2', 'overlay', 'squashfs'])
      assert.ok(s.filesystemFsTypesExclude.test(t), t);
    for (const t of ['ext4', 'xfs', 'tmpfs', 'btrfs']) assert.ok(!s.filesystemFsTypesExclude.test(t), t);
    for (const p of ['/proc', '/sys/fs/cgroup', '/dev/shm', '/var/lib/docker/overlay2/x']) {
      assert.ok(s.filesystemMountPointsExclude.test(p), p);
    }
    for (const p of ['/', '/home', '/devices', '/var/lib/docker'])
      assert.ok(!s.filesystemMountPointsExclude.test(p), p);
    for (const d of ['sda1', 'nvme0n1p2', 'loop0', 'zram0', 'vdb3'])
      assert.ok(s.diskstatsDeviceExclude.test(d), d);
    for (const d of ['sda', 'nvme0n1', 'vda', 'dm-0', 'sr0']) assert.ok(!s.diskstatsDeviceExclude.test(d), d);
  });

  it('--no-collector.X disables one collector', () => {
    const names = enabled(['--no-collector.hwmon', '--no-collector.thermal']);
    assert.deepEqual(
      names,
      ALL.filter((n) => n !== 'hwmon' && n !== 'thermal'),
    );
  });

  it('--collector.disable-defaults keeps only the collectors enabled explicitly', () => {
    assert.deepEqual(enabled(['--collector.disable-defaults', '--collector.meminfo', '--collector.cpu']), [
      'cpu',
      'meminfo',
    ]);
    assert.deepEqual(enabled(['--collector.disable-defaults']), []);
  });

  it('reads the path, address, logging and exclusion flags', () => {
    const o = options([
      '--path.procfs=/host/proc',
      '--path.sysfs',
      '/host/sys',
      '--path.rootfs=/host',
      '--web.listen-address=127.0.0.1:0',
      '--web.telemetry-path=/m',
      '--log.level=debug',
      '--log.format=logfmt',
      '--storage.path=relative/state',
      '--collector.diskstats.device-exclude=^sd',
    ]);
    assert.deepEqual(o.paths, { procfs: '/host/proc', sysfs: '/host/sys', rootfs: '/host' });
    assert.deepEqual(o.listenAddresses, ['127.0.0.1:0']);
    assert.equal(o.telemetryPath, '/m');
    assert.equal(o.logLevel, 'debug');
    assert.equal(o.logFormat, 'logfmt');
    assert.equal(o.storagePath, `${process.cwd()}/relative/state`);
    assert.ok(o.collectorSettings.diskstatsDeviceExclude.test('sda'));
    assert.ok(!o.collectorSettings.diskstatsDeviceExclude.test('loop0'));
  });

  it('names the flag whose regular expression does not compile', () => {
    for (const flag of [
      '--collector.filesystem.fs-types-exclude',
      '--collector.filesystem.mount-points-exclude',
      '--collector.diskstats.device-exclude',
      '--collector.vmstat.fields',
    ]) {
      assert.throws(
        () => options([`${flag}=(unclosed`]),
        (err: Error) => err.message.startsWith(`${flag}: not a valid regular expression`),
        flag,
      );
    }
  });

  it('reads the vmstat fields and the textfile directory, which must be absolute (it is read on SSH hosts too)', () => {
    const defaults = options([]).collectorSettings;
    assert.equal(defaults.textfileDirectory, '');
    assert.ok(defaults.vmstatFields.test('pgmajfault') && defaults.vmstatFields.test('oom_kill'));
    assert.ok(!defaults.vmstatFields.test('nr_free_pages'));
    const o = options([
      '--collector.textfile.directory=/var/lib/hyperion/textfile/',
      '--collector.vmstat.fields=^nr_dirty$',
    ]);
    assert.equal(o.collectorSettings.textfileDirectory, '/var/lib/hyperion/textfile');
    assert.ok(o.collectorSettings.vmstatFields.test('nr_dirty'));
    assert.ok(!o.collectorSettings.vmstatFields.test('pgfault'));
    assert.throws(
      () => options(['--collector.textfile.directory=textfile']),
      /--collector\.textfile\.directory must be an absolute path, not "textfile"/,
    );
  });

  it('refuses a telemetry path that is "/" or relative, and a bad listen address', () => {
    assert.throws(() => options(['--web.telemetry-path=/']), /--web\.telemetry-path/);
    assert.throws(() => options(['--web.telemetry-path=metrics']), /--web\.telemetry-path/);
    assert.throws(() => options(['--web.listen-address=8470']), /--web\.listen-address/);
  });

  it('refuses an unknown collector and an unknown log level', () => {
    assert.throws(() => options(['--collector.nope']), { code: 'commander.unknownOption' });
    assert.throws(() => options(['--log.level=loud']), { code: 'commander.invalidArgument' });
  });
});
