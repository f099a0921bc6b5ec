import { parseMdstat, type MdArray } from '../parsers/mdstat.js';
import { isNotFound } from '../util/errors.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

/**
 * node_exporter's states (`resync` covers a resync waiting as DELAYED or PENDING, as there),
 * plus `reshape`, which node_exporter reports as plain `active`.
 */
const STATES = ['active', 'inactive', 'recovering', 'resync', 'check', 'reshape'] as const;
type State = (typeof STATES)[number];

function stateOf(array: MdArray): State {
  if (!array.active) return 'inactive';
  switch (array.sync?.action) {
    case 'recovery':
      return 'recovering';
    case 'resync':
      return 'resync';
    case 'check':
      return 'check';
    case 'reshape':
      return 'reshape';
    default:
      return 'active';
  }
}

/**
 * Devices needed and in sync. raid0 and linear print no [needed/working]: every member is
 * needed and working. An inactive array counts neither (node_exporter's reading): it is not
 * degraded, it is not running at all, which its state says.
 */
function neededAndWorking(array: MdArray): [number, number] {
  if (!array.active) return [0, 0];
  if (array.needed !== undefined && array.working !== undefined) return [array.needed, array.working];
  const members = array.members - array.failed - array.spare;
  return [members, members];
}

export const mdadmCollector: Collector = {
  name: 'mdadm',
  description: 'Software RAID (md) arrays from /proc/mdstat: state, disks, sync progress (none without md)',
  defaultEnabled: true,
  async collect({ host, skipped }) {
    let text: string;
    try {
      text = await host.readFile(under(host.paths.procfs, 'mdstat'));
    } catch (error) {
      if (isNotFound(error)) return []; // no md driver: nothing to watch, nothing wrong
      throw error;
    }
    const m = new FamilyBuilder();
    const state = m.gauge(
      'hyperion_md_state',
      'The array’s state: 1 for the state it is in, 0 for the others.',
    );
    const required = m.gauge('hyperion_md_disks_required', 'Devices the array needs to be complete.');
    const disks = m.gauge(
      'hyperion_md_disks',
      'Devices of the array by state: active (in sync), failed, spare.',
    );
    const blocks = m.gauge('hyperion_md_blocks', 'Size of the array in 1 KiB blocks.');
    const synced = m.gauge(
      'hyperion_md_blocks_synced',
      'Blocks the running resync, recovery, check or reshape has done (per member for raid4/5/6); the size when none runs, 0 while one waits.',
    );
    const progress = m.gauge(
      'hyperion_md_sync_completed_ratio',
      'How far the running resync, recovery, check or reshape is (0 to 1); 1 when none runs, 0 while one waits.',
    );
    for (const array of parseMdstat(text, skipped('mdstat'))) {
      const device = array.name;
      const current = stateOf(array);
      for (const s of STATES) sample(state, s === current ? 1 : 0, { device, state: s });
      const [needed, working] = neededAndWorking(array);
      sample(required, needed, { device });
      sample(disks, working, { device, state: 'active' });
      sample(disks, array.failed, { device, state: 'failed' });
      sample(disks, array.spare, { device, state: 'spare' });
      sample(blocks, array.blocks, { device });
      const sync = array.sync;
      if (sync === undefined) {
        sample(synced, array.blocks, { device });
        sample(progress, 1, { device });
      } else if (sync.done !== undefined && sync.total !== undefined && sync.total > 0) {
        sample(synced, sync.done, { device });
        sample(progress, sync.done / sync.total, { device });
      } else {
        sample(synced, 0, { device });
        sample(progress, 0, { device });
      }
    }
    return m.build();
  },
};
