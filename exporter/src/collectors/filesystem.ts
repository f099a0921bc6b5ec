import type { FsUsage, Host } from '../hosts/host.js';
import { parseMounts, type Mount } from '../parsers/mounts.js';
import { errorMessage } from '../util/errors.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector, type CollectorSettings } from './collector.js';

/** Defaults as node_exporter's: pseudo and read-only image file systems say nothing about capacity. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';

/**
 * The mounts worth reporting: excluded types and points removed, and one entry per mount point —
 * the last one mounted, which is the one a path there resolves to.
 */
export function selectMounts(mounts: Mount[], settings: CollectorSettings): Mount[] {
  const byPoint = new Map<string, Mount>();
  for (const mount of mounts) {
    if (settings.filesystemFsTypesExclude.test(mount.fstype)) continue;
    if (settings.filesystemMountPointsExclude.test(mount.mountpoint)) continue;
    byPoint.delete(mount.mountpoint); // keep mount order for stable output
    byPoint.set(mount.mountpoint, mount);
  }
  return [...byPoint.values()];
}

async function readMounts(host: Host): Promise<string> {
  // PID 1's view is the host's view when the exporter runs in a container with the host's /proc.
  try {
    return await host.readFile(under(host.paths.procfs, '1/mounts'));
  } catch {
    return host.readFile(under(host.paths.procfs, 'mounts'));
  }
}

/**
 * File systems on a local block device or in memory: statfs on them cannot wait on a server, so
 * it needs neither a timeout nor the thread pool. Everything else (nfs, cifs, fuse.*, 9p, ceph…)
 * gets both.
 */
const LOCAL_FS_TYPES =
  /^(ext[234]|xfs|btrfs|zfs|f2fs|bcachefs|jfs|reiserfs|nilfs2|vfat|msdos|exfat|ntfs3?|hfsplus|erofs|squashfs|iso9660|udf|tmpfs|ramfs|devtmpfs|overlay)$/;

function statfsOf(host: Host, mount: Mount, ms: number): Promise<FsUsage> {
  const path = under(host.paths.rootfs, mount.mountpoint);
  return LOCAL_FS_TYPES.test(mount.fstype)
    ? host.statfs(path, { canHang: false })
    : statfsWithin(host, path, ms);
}

function statfsWithin(host: Host, path: string, ms: number): Promise<FsUsage> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`statfs did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([host.statfs(path), timeout]).finally(() => clearTimeout(timer));
}

export const filesystemCollector: Collector = {
  name: 'filesystem',
  description: 'Size, free space and inodes of mounted file systems (statfs)',
  defaultEnabled: true,
  async collect({ host, settings, log, skipped }) {
    const mounts = selectMounts(parseMounts(await readMounts(host), skipped('mounts')), settings);
    const usages = await Promise.allSettled(
      mounts.map((mount) => statfsOf(host, mount, settings.statfsTimeoutMs)),
    );
    const m = new FamilyBuilder();
    const size = m.gauge('hyperion_filesystem_size_bytes', 'File system size.');
    const free = m.gauge('hyperion_filesystem_free_bytes', 'Free space, including space reserved for root.');
    const avail = m.gauge('hyperion_filesystem_avail_bytes', 'Space available to unprivileged users.');
    const files = m.gauge('hyperion_filesystem_files', 'Inodes in total.');
    const filesFree = m.gauge('hyperion_filesystem_files_free', 'Free inodes.');
    const readonly = m.gauge('hyperion_filesystem_readonly', '1 when the file system is mounted read-only.');
    const deviceError = m.gauge(
      'hyperion_filesystem_device_error',
      '1 when statfs on the mount point failed (its other series are then absent).',
    );
    mounts.forEach((mount, i) => {
      const labels = { device: mount.device, mountpoint: mount.mountpoint, fstype: mount.fstype };
      const result = usages[i]!;
      sample(deviceError, result.status === 'rejected' ? 1 : 0, labels);
      if (result.status === 'rejected') {
        log.debug({ mountpoint: mount.mountpoint, err: errorMessage(result.reason) }, 'statfs failed');
        return;
      }
      const u = result.value;
      sample(size, u.size, labels);
      sample(free, u.free, labels);
      sample(avail, u.avail, labels);
      sample(files, u.files, labels);
      sample(filesFree, u.filesFree, labels);
      sample(readonly, mount.options.includes('ro') ? 1 : 0, labels);
    });
    return m.build();
  },
};
