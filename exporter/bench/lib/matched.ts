/**
 * Which node_exporter collectors do the work of each Hyperion collector: reading the same files
 * to export the same facts. The metrics part starts a second node_exporter with exactly these
 * (--collector.disable-defaults), so a ratio compares like with like, not Hyperion's set with
 * node_exporter's much larger default set.
 */
export const NODE_EQUIVALENTS: Readonly<Record<string, readonly string[]>> = {
  // /proc/stat per CPU; each CPU's cpufreq scaling_cur_freq where the machine has cpufreq
  cpu: ['cpu', 'cpufreq'],
  loadavg: ['loadavg'],
  pressure: ['pressure'],
  meminfo: ['meminfo'],
  filesystem: ['filesystem'],
  diskstats: ['diskstats'],
  // /proc/net/dev counters; up, speed and MTU come from sysfs, which is node_exporter's netclass
  netdev: ['netdev', 'netclass'],
  hwmon: ['hwmon'],
  thermal: ['thermal_zone'],
  // every /proc/<pid>/stat; the fork count comes from /proc/stat (node_exporter's stat)
  processes: ['processes', 'stat'],
  // boot time (stat), the clock (time), host identity (uname, os)
  system: ['stat', 'time', 'uname', 'os'],
  sockets: ['tcpstat'],
  filefd: ['filefd'],
  vmstat: ['vmstat'],
  conntrack: ['conntrack'],
  mdadm: ['mdadm'],
  bonding: ['bonding'],
  textfile: ['textfile'],
  time: ['time'],
  timex: ['timex'],
  // opt-in; node_exporter's reads the same units over D-Bus (its restart and start-time series are
  // flags of its own: --collector.systemd.enable-restarts-metrics, …enable-start-time-metrics)
  systemd: ['systemd'],
};

/** node_exporter's collectors for a set of Hyperion's; throws on a collector without a mapping. */
export function matchedCollectors(hyperion: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const name of hyperion) {
    const equivalents = NODE_EQUIVALENTS[name];
    if (!equivalents)
      throw new Error(`bench/lib/matched.ts has no node_exporter equivalent for collector "${name}"`);
    for (const e of equivalents) out.add(e);
  }
  return [...out].sort();
}

/** The collectors a Hyperion scrape ran, from its hyperion_scrape_collector_success series. */
export function collectorsOf(exposition: string): string[] {
  return [...exposition.matchAll(/^hyperion_scrape_collector_success\{collector="([^"]+)"\}/gm)].map(
    (m) => m[1]!,
  );
}
