import type { ReadResult } from '../hosts/host.js';
import { fields } from '../parsers/skip.js';
import { isNotFound } from '../util/errors.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector } from './collector.js';

/**
 * Where a slave's MII status is: `lower_<slave>` since Linux 4.x, `slave_<slave>` before
 * (Documentation/networking/bonding.rst; node_exporter reads both).
 */
function miiPaths(net: string, master: string, slave: string): [string, string] {
  return [
    under(net, master, `lower_${slave}`, 'bonding_slave/mii_status'),
    under(net, master, `slave_${slave}`, 'bonding_slave/mii_status'),
  ];
}

export const bondingCollector: Collector = {
  name: 'bonding',
  description: 'Bonded interfaces: slaves configured and up, from /sys/class/net (none without bonding)',
  defaultEnabled: true,
  async collect({ host }) {
    const net = under(host.paths.sysfs, 'class/net');
    let mastersText: string;
    try {
      // The bonding driver lists its bonds here (this network namespace's); no driver, no file.
      mastersText = await host.readFile(under(net, 'bonding_masters'));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const masters = fields(mastersText).filter((m) => m !== '');
    const slaveFiles = await host.readFiles(masters.map((m) => under(net, m, 'bonding/slaves')));
    const slavesOf = new Map<string, string[]>();
    for (const master of masters) {
      const file = slaveFiles.get(under(net, master, 'bonding/slaves'));
      // A bond removed between the two reads is simply gone; any other failure is a failure.
      if (!file?.ok) {
        if (file && isNotFound(file.error)) continue;
        throw file?.error ?? new Error(`cannot read the slaves of ${master}`);
      }
      slavesOf.set(
        master,
        fields(file.text).filter((s) => s !== ''),
      );
    }
    const pairs = [...slavesOf].flatMap(([master, slaves]) => slaves.map((slave) => ({ master, slave })));
    const mii = await host.readFiles(pairs.flatMap(({ master, slave }) => miiPaths(net, master, slave)));
    const status = (master: string, slave: string): string | undefined => {
      const found = miiPaths(net, master, slave)
        .map((p) => mii.get(p))
        .find((r): r is Extract<ReadResult, { ok: true }> => r?.ok === true);
      return found?.text.trim();
    };

    const m = new FamilyBuilder();
    const configured = m.gauge('hyperion_bonding_slaves', 'Slave interfaces configured in the bond.');
    const active = m.gauge(
      'hyperion_bonding_active',
      'Slave interfaces of the bond whose link (MII status) is up.',
    );
    const slaveUp = m.gauge(
      'hyperion_bonding_slave_up',
      '1 when the bond sees this slave’s link (MII status) up, 0 otherwise.',
    );
    for (const [master, slaves] of slavesOf) {
      let up = 0;
      for (const slave of slaves) {
        const isUp = status(master, slave) === 'up';
        if (isUp) up += 1;
        sample(slaveUp, isUp ? 1 : 0, { master, slave });
      }
      sample(configured, slaves.length, { master });
      sample(active, up, { master });
    }
    return m.build();
  },
};
