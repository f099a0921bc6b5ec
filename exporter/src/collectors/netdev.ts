import { parseNetDev, type NetDevCounters } from '../parsers/net-dev.js';
import { under } from '../util/paths.js';
import { FamilyBuilder, sample, type Collector, type MetricFamily } from './collector.js';
import { sysfsNumber } from '../parsers/skip.js';

const COUNTERS: (keyof NetDevCounters)[] = ['bytes', 'packets', 'errs', 'drop'];
const HELP: Record<string, string> = {
  bytes: 'Bytes',
  packets: 'Packets',
  errs: 'Errors while',
  drop: 'Packets dropped while',
};

export const netdevCollector: Collector = {
  name: 'netdev',
  description: 'Network interface counters from /proc/net/dev; state, speed and MTU from sysfs',
  defaultEnabled: true,
  async collect({ host, skipped }) {
    const devices = parseNetDev(await host.readFile(under(host.paths.procfs, 'net/dev')), skipped('net/dev'));
    // /sys/class/net is part of this collector's contract: without it there is no link state.
    const sysDevices = new Set((await host.listDir(under(host.paths.sysfs, 'class/net'))).map((d) => d.name));

    const attrPaths: string[] = [];
    for (const { device } of devices) {
      for (const attr of ['operstate', 'speed', 'mtu']) {
        attrPaths.push(under(host.paths.sysfs, 'class/net', device, attr));
      }
    }
    const attrs = await host.readFiles(attrPaths);
    const attr = (device: string, name: string): string | undefined => {
      const r = attrs.get(under(host.paths.sysfs, 'class/net', device, name));
      return r?.ok ? r.text.trim() : undefined;
    };

    const m = new FamilyBuilder();
    const families = new Map<string, MetricFamily>();
    for (const direction of ['receive', 'transmit'] as const) {
      for (const c of COUNTERS) {
        const verb = direction === 'receive' ? 'received' : 'transmitted';
        const help =
          c === 'bytes' || c === 'packets'
            ? `${HELP[c]} ${verb}.`
            : `${HELP[c]} ${direction.slice(0, -1)}ing.`;
        families.set(`${direction}_${c}`, m.counter(`hyperion_network_${direction}_${c}_total`, help));
      }
    }
    const up = m.gauge('hyperion_network_up', '1 when the interface is operationally up (operstate "up").');
    const speed = m.gauge(
      'hyperion_network_speed_bytes',
      'Link speed in bytes per second, where the driver says.',
    );
    const mtu = m.gauge('hyperion_network_mtu_bytes', 'Maximum transmission unit.');

    for (const dev of devices) {
      const labels = { device: dev.device };
      for (const direction of ['receive', 'transmit'] as const) {
        for (const c of COUNTERS) sample(families.get(`${direction}_${c}`)!, dev[direction][c], labels);
      }
      if (!sysDevices.has(dev.device)) continue;
      const state = attr(dev.device, 'operstate');
      if (state !== undefined) sample(up, state === 'up' ? 1 : 0, labels);
      // Virtual interfaces report -1 or refuse to answer (EINVAL): no speed series for them.
      const mbps = sysfsNumber(attr(dev.device, 'speed'));
      if (Number.isFinite(mbps) && mbps > 0) sample(speed, (mbps * 1e6) / 8, labels);
      sample(mtu, sysfsNumber(attr(dev.device, 'mtu')), labels);
    }
    return m.build();
  },
};
