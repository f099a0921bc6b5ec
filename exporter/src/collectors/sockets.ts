/**
 * The `sockets` collector: sockets per protocol and state from /proc/net/{tcp,tcp6,udp,udp6}
 * (IPv4 and IPv6 summed) as hyperion_network_connections{protocol,state}. Never a label per
 * peer or port — that is what the API's connection summary is for; here it would be unbounded
 * cardinality.
 */
import { TCP_STATE_NAMES, UDP_STATE_NAMES, countSocketStates } from '../parsers/proc-net-sockets.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

const FILES = [
  { file: 'net/tcp', protocol: 'tcp' },
  { file: 'net/tcp6', protocol: 'tcp' },
  { file: 'net/udp', protocol: 'udp' },
  { file: 'net/udp6', protocol: 'udp' },
] as const;

export const socketsCollector: Collector = {
  name: 'sockets',
  description: 'TCP and UDP sockets by protocol and state from /proc/net/{tcp,tcp6,udp,udp6}',
  // Off by default, like node_exporter's tcpstat: each read of /proc/net/tcp{,6} makes the kernel
  // walk its whole TCP hash table (~1.2 ms even with five sockets), which alone would double
  // the cost of a scrape. Enable with --collector.sockets where the per-state counts matter.
  defaultEnabled: false,
  async collect({ host }) {
    const paths = FILES.map((f) => under(host.paths.procfs, f.file));
    const files = await host.readFiles(paths);
    const counts = { tcp: new Map<string, number>(), udp: new Map<string, number>() };
    // Every known state is exported, 0 included, so an alert on a state never sees it vanish.
    for (const name of Object.values(TCP_STATE_NAMES)) counts.tcp.set(name, 0);
    for (const name of Object.values(UDP_STATE_NAMES)) counts.udp.set(name, 0);
    let readable = { tcp: false, udp: false };
    FILES.forEach((f, i) => {
      const r = files.get(paths[i]!);
      // No tcp6/udp6 on a kernel without IPv6 (and no file at all in a bare fixture tree).
      if (!r?.ok) return;
      readable = { ...readable, [f.protocol]: true };
      const names = f.protocol === 'tcp' ? TCP_STATE_NAMES : UDP_STATE_NAMES;
      for (const [state, n] of countSocketStates(r.text)) {
        const name = names[state] ?? `unknown_${state}`;
        counts[f.protocol].set(name, (counts[f.protocol].get(name) ?? 0) + n);
      }
    });
    const m = new FamilyBuilder();
    const family = m.gauge(
      'hyperion_network_connections',
      'Sockets by protocol (tcp, udp; IPv4 and IPv6 together) and state (TCP states as node_exporter names them; UDP: established or unconn).',
    );
    for (const protocol of ['tcp', 'udp'] as const) {
      if (!readable[protocol]) continue;
      for (const [state, n] of counts[protocol]) sample(family, n, { protocol, state });
    }
    return m.build();
  },
};
