import { parseConntrackStat } from '../parsers/nf-conntrack.js';
import { sysfsNumber } from '../parsers/skip.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

/** The per-CPU counters node_exporter exports, summed: the ones that say the table is in trouble. */
const STATS: [column: string, help: string][] = [
  ['found', 'Lookups that found an existing connection.'],
  ['invalid', 'Packets that could not be tracked.'],
  ['ignore', 'Packets already tracked (or untracked on purpose).'],
  ['insert', 'Entries inserted into the table.'],
  ['insert_failed', 'Entries that could not be inserted (a clash of two new connections).'],
  ['drop', 'Packets dropped because a new entry could not be made (the table is full).'],
  ['early_drop', 'Entries evicted early to make room for new ones (the table is full).'],
  ['search_restart', 'Lookups restarted because the table was resized meanwhile.'],
];

export const conntrackCollector: Collector = {
  name: 'conntrack',
  description: 'Connection-tracking table use and limit, from /proc (none without nf_conntrack)',
  defaultEnabled: true,
  async collect({ host, skipped }) {
    const procfs = host.paths.procfs;
    const paths = {
      count: under(procfs, 'sys/net/netfilter/nf_conntrack_count'),
      max: under(procfs, 'sys/net/netfilter/nf_conntrack_max'),
      stat: under(procfs, 'net/stat/nf_conntrack'),
    };
    const files = await host.readFiles(Object.values(paths));
    const count = files.get(paths.count);
    // Without the nf_conntrack module nothing is tracked and nothing can fill up: no series,
    // and no failure either (a host without a firewall is not broken).
    if (!count?.ok) return [];
    const max = files.get(paths.max);
    const m = new FamilyBuilder();
    sample(
      m.gauge('hyperion_nf_conntrack_entries', 'Connections in the connection-tracking table.'),
      sysfsNumber(count.text),
    );
    if (max?.ok)
      sample(
        m.gauge(
          'hyperion_nf_conntrack_entries_limit',
          'The size limit of the connection-tracking table (nf_conntrack_max).',
        ),
        sysfsNumber(max.text),
      );
    const stat = files.get(paths.stat);
    if (stat?.ok) {
      const totals = parseConntrackStat(stat.text, skipped('net/stat/nf_conntrack'));
      for (const [column, help] of STATS) {
        sample(m.counter(`hyperion_nf_conntrack_stat_${column}_total`, help), totals.get(column));
      }
    }
    return m.build();
  },
};
