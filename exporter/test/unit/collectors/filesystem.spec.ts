import assert from 'node:assert/strict';
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filesystemCollector } from '../../../src/collectors/filesystem.js';
import type { MetricFamily } from '../../../src/collectors/collector.js';
import type { FsUsage } from '../../../src/hosts/host.js';
import { LocalHost } from '../../../src/hosts/local-host.js';
import {
  collect,
  defaultSettings,
  family,
  labelValues,
  NOTHING,
  silentLog,
  tempDir,
  tree,
  value,
} from '../helpers.js';

const BASE = '/tmp/hyperion-capture/mnt';
const OURS = ['with space', 'tab\there', 'back\\slash', 'stacked', 'readonly'].map((d) => `${BASE}/${d}`);

/** The labels of a mount point's series, as the collector must build them. */
function series(families: MetricFamily[], mountpoint: string): { device: string; fstype: string }[] {
  return (family(families, 'hyperion_filesystem_device_error')?.samples ?? [])
    .filter((s) => s.labels.mountpoint === mountpoint)
    .map((s) => ({ device: s.labels.device ?? '', fstype: s.labels.fstype ?? '' }));
}

describe('filesystem collector', () => {
  // statfs needs the mount points to exist under --path.rootfs: a scratch root holds them.
  const root = tempDir();
  before(() => {
    for (const dir of OURS) mkdirSync(path.join(root.dir, dir), { recursive: true });
  });
  after(() => root.cleanup());
  const mountns = (): { procfs: string; rootfs: string } => ({
    procfs: tree('mountns').procfs,
    rootfs: root.dir,
  });

  it('reports the captured root file system with statfs numbers of rootfs', async () => {
    const captured = tree('captured');
    const { families } = await collect(filesystemCollector, captured);
    // Every other captured mount is a pseudo file system or under /dev, /proc or /sys.
    assert.deepEqual(labelValues(families, 'hyperion_filesystem_size_bytes', 'mountpoint'), ['/']);
    const labels = { device: '/dev/vda', mountpoint: '/', fstype: 'ext4' };
    const truth = statfsSync(captured.rootfs);
    assert.equal(value(families, 'hyperion_filesystem_size_bytes', labels), truth.blocks * truth.bsize);
    assert.equal(value(families, 'hyperion_filesystem_files', labels), truth.files);
    const avail = value(families, 'hyperion_filesystem_avail_bytes', labels) ?? -1;
    const free = value(families, 'hyperion_filesystem_free_bytes', labels) ?? -1;
    assert.ok(avail >= 0 && avail <= free && free <= truth.blocks * truth.bsize, `${avail} ≤ ${free}`);
    assert.equal(value(families, 'hyperion_filesystem_readonly', labels), 0);
    assert.equal(value(families, 'hyperion_filesystem_device_error', labels), 0);
  });

  it('decodes escaped mount points, keeps the last of stacked mounts, and flags read-only ones', async () => {
    const { families, skips } = await collect(filesystemCollector, mountns());
    assert.deepEqual(skips, []);
    assert.deepEqual(
      labelValues(families, 'hyperion_filesystem_size_bytes', 'mountpoint'),
      ['/', ...OURS].sort(),
    );
    // "first" then "second" were mounted on stacked: a path there reaches "second".
    assert.deepEqual(series(families, `${BASE}/stacked`), [{ device: 'second', fstype: 'tmpfs' }]);
    assert.deepEqual(series(families, `${BASE}/with space`), [{ device: 'dev with space', fstype: 'tmpfs' }]);
    const ro = { device: 'readonly', mountpoint: `${BASE}/readonly`, fstype: 'tmpfs' };
    assert.equal(value(families, 'hyperion_filesystem_readonly', ro), 1);
    const truth = statfsSync(path.join(root.dir, ro.mountpoint));
    assert.equal(value(families, 'hyperion_filesystem_size_bytes', ro), truth.blocks * truth.bsize);
  });

  it('with exclusions off, lists every mount point once and flags those statfs cannot reach', async () => {
    const settings = {
      ...defaultSettings(),
      filesystemFsTypesExclude: NOTHING,
      filesystemMountPointsExclude: NOTHING,
    };
    const { families } = await collect(filesystemCollector, mountns(), settings);
    const points = labelValues(families, 'hyperion_filesystem_device_error', 'mountpoint');
    assert.equal(new Set(points).size, points.length);
    // 25 lines in the file; /dev/shm, /dev/pts and stacked appear twice.
    assert.equal(points.length, 22);
    // /dev/shm does not exist under the scratch root: statfs fails, only device_error remains.
    const shm = { device: 'tmpfs', mountpoint: '/dev/shm', fstype: 'tmpfs' };
    assert.equal(value(families, 'hyperion_filesystem_device_error', shm), 1);
    assert.equal(value(families, 'hyperion_filesystem_size_bytes', shm), undefined);
  });

  it('falls back to proc/mounts without proc/1/mounts, and skips malformed lines', async () => {
    const { families, skips } = await collect(filesystemCollector, {
      procfs: tree('malformed').procfs,
      rootfs: root.dir,
    });
    assert.deepEqual(labelValues(families, 'hyperion_filesystem_device_error', 'mountpoint'), ['/', '/tmp']);
    assert.equal(skips.length, 3);
    assert.ok(skips.every((s) => s.file === 'mounts'));
  });

  it('asks a local file system directly, and gives up on a network one that hangs', async () => {
    const scratch = tempDir();
    try {
      const procfs = path.join(scratch.dir, 'proc');
      mkdirSync(procfs);
      writeFileSync(
        path.join(procfs, 'mounts'),
        '/dev/vda / ext4 rw 0 0\nserver:/export /srv/nfs nfs4 rw,hard 0 0\n',
      );
      const asked: { path: string; canHang: boolean | undefined }[] = [];
      // A real LocalHost whose NFS server never answers.
      const host = new (class extends LocalHost {
        override statfs(p: string, options: { canHang?: boolean } = {}): Promise<FsUsage> {
          asked.push({ path: p, canHang: options.canHang });
          return p === '/srv/nfs' ? new Promise<never>(() => {}) : super.statfs(p, options);
        }
      })({ procfs, rootfs: '/' });
      const started = Date.now();
      const families = await filesystemCollector.collect({
        host,
        log: silentLog,
        settings: { ...defaultSettings(), statfsTimeoutMs: 300 },
        skipped: () => () => {},
      });
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      assert.deepEqual(asked, [
        { path: '/', canHang: false },
        { path: '/srv/nfs', canHang: undefined },
      ]);
      const nfs = { device: 'server:/export', mountpoint: '/srv/nfs', fstype: 'nfs4' };
      assert.equal(value(families, 'hyperion_filesystem_device_error', nfs), 1);
      assert.equal(value(families, 'hyperion_filesystem_size_bytes', nfs), undefined);
      const root = { device: '/dev/vda', mountpoint: '/', fstype: 'ext4' };
      assert.equal(
        value(families, 'hyperion_filesystem_size_bytes', root),
        statfsSync('/').blocks * statfsSync('/').bsize,
      );
    } finally {
      scratch.cleanup();
    }
  });
});
