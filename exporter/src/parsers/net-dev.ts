/** /proc/net/dev: two header lines, then "iface: 8 receive columns 8 transmit columns". */
import { fields, ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

export interface NetDevCounters {
  bytes: number;
  packets: number;
  errs: number;
  drop: number;
  fifo: number;
  /** frame errors on receive, collisions on transmit. */
  frameOrColls: number;
  compressed: number;
  /** multicast on receive, carrier errors on transmit. */
  multicastOrCarrier: number;
}

export interface NetDev {
  device: string;
  receive: NetDevCounters;
  transmit: NetDevCounters;
}

function counters(values: number[]): NetDevCounters {
  const [bytes, packets, errs, drop, fifo, frameOrColls, compressed, multicastOrCarrier] = values as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { bytes, packets, errs, drop, fifo, frameOrColls, compressed, multicastOrCarrier };
}

export function parseNetDev(text: string, skipped: SkipReporter = ignoreSkipped): NetDev[] {
  const out: NetDev[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const colon = line.indexOf(':');
    // The two header lines contain '|'. Only they are skipped for it: an interface name may
    // itself contain '|' (the kernel allows it), and such a device must not vanish.
    if ((index < 2 && line.includes('|')) || line.trim() === '') continue;
    if (colon <= 0) {
      skipped(line, 'no interface name');
      continue;
    }
    const device = line.slice(0, colon).trim();
    const values = fields(line.slice(colon + 1)).map(toNumber);
    if (device === '' || values.length < 16 || values.slice(0, 16).some(Number.isNaN)) {
      skipped(line, 'malformed counters');
      continue;
    }
    out.push({ device, receive: counters(values.slice(0, 8)), transmit: counters(values.slice(8, 16)) });
  }
  return out;
}
