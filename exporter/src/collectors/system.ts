import type { Host } from '../hosts/host.js';
import { parseOsRelease } from '../parsers/os-release.js';
import { parseProcStat } from '../parsers/proc-stat.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

/** The architecture cannot change while a host is up: ask once per host. */
const archCache = new WeakMap<Host, Promise<string>>();

function architecture(host: Host): Promise<string> {
  let arch = archCache.get(host);
  if (!arch) {
    // /proc/sys/kernel/arch exists since Linux 6.1; older kernels need uname.
    arch = host
      .readFile(under(host.paths.procfs, 'sys/kernel/arch'))
      .then((t) => t.trim())
      .catch(() => host.run(['uname', '-m'], { timeoutMs: 5000 }).then((r) => r.stdout.trim()))
      .catch(() => '');
    archCache.set(host, arch);
  }
  return arch;
}

export const systemCollector: Collector = {
  name: 'system',
  description: 'Boot time, clock and host identity (hostname, OS, kernel, architecture, machine id)',
  defaultEnabled: true,
  async collect({ host }) {
    const { procfs, rootfs } = host.paths;
    const paths = {
      stat: under(procfs, 'stat'),
      hostname: under(procfs, 'sys/kernel/hostname'),
      kernel: under(procfs, 'sys/kernel/osrelease'),
      osRelease: under(rootfs, 'etc/os-release'),
      osReleaseFallback: under(rootfs, 'usr/lib/os-release'),
      machineId: under(rootfs, 'etc/machine-id'),
    };
    // A remote host's clock is its own (SshHost reads it with these files); unreadable, no sample.
    const clock = host.now ? host.now().catch(() => undefined) : Promise.resolve(Date.now() / 1000);
    const [files, arch, now] = await Promise.all([
      host.readFiles(Object.values(paths)),
      architecture(host),
      clock,
    ]);
    const text = (path: string): string => {
      const r = files.get(path);
      return r?.ok ? r.text : '';
    };
    const stat = files.get(paths.stat);
    if (!stat?.ok) throw stat?.error ?? new Error('cannot read /proc/stat');
    const osRelease = parseOsRelease(text(paths.osRelease) || text(paths.osReleaseFallback));

    const m = new FamilyBuilder();
    sample(
      m.gauge('hyperion_boot_time_seconds', 'When the host booted, in seconds since the epoch.'),
      parseProcStat(stat.text).bootTimeSeconds,
    );
    sample(m.gauge('hyperion_time_seconds', 'The host clock, in seconds since the epoch.'), now);
    sample(m.gauge('hyperion_host_info', 'Identity of the host; the value is always 1.'), 1, {
      hostname: text(paths.hostname).trim(),
      os: osRelease.get('PRETTY_NAME') ?? osRelease.get('NAME') ?? 'Linux',
      kernel: text(paths.kernel).trim(),
      arch,
      machine_id: text(paths.machineId).trim(),
    });
    return m.build();
  },
};
