/**
 * The host's network interfaces: addresses, MAC, MTU and state from `ip -j addr`, link speed
 * from sysfs, counters from /proc/net/dev (the parser the netdev collector uses), and current
 * rates. A rate needs two readings: the manager keeps the counters each request read, so the
 * next request divides by the time between them instead of sleeping. Only when it has no
 * reading of the last few minutes (the first request) does it take a short second sample.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Host } from '../../hosts/host.js';
import { parseIpAddr, type IpAddrEntry, type IpLink } from '../../parsers/ip-addr.js';
import { parseNetDev, type NetDev } from '../../parsers/net-dev.js';
import { sysfsNumber } from '../../parsers/skip.js';
import { isHyperionError } from '../../util/errors.js';
import { under } from '../../util/paths.js';

export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface NetworkInterface {
  name: string;
  index: number | null;
  /** sysfs operstate: up, down, unknown (loopback, tunnels), dormant, lowerlayerdown… */
  state: string | null;
  flags: string[];
  type: string | null;
  mac: string | null;
  mtu: number | null;
  /** Link speed in Mbit/s where the driver reports one (not for virtual devices). */
  speedMbps: number | null;
  addresses: IpAddrEntry[];
  counters: InterfaceCounters;
  /** Per second over `rateWindowSeconds`; null for a device that was not in the earlier reading or whose counters went back (reset). */
  rates: InterfaceCounters | null;
}

export interface InterfaceList {
  items: NetworkInterface[];
  /** The time between the two readings the rates come from. */
  rateWindowSeconds: number;
  /** False when `ip` is not installed: then addresses are unknown (empty). */
  addressesKnown: boolean;
}

interface Sample {
  atMs: number;
  counters: Map<string, InterfaceCounters>;
}

/** A window shorter than this gives noisy rates; a kept sample younger than it is not used when an older one exists. */
const MIN_WINDOW_MS = 1000;
/** A kept sample this young is no use at all; take a fresh short sample instead. */
const MIN_USABLE_MS = 200;
/** Rates over a longer window are no longer "current". */
const MAX_WINDOW_MS = 5 * 60_000;
/** The short sample of a first request. */
export const PRIME_MS = 500;

function countersOf(dev: NetDev): InterfaceCounters {
  return {
    rxBytes: dev.receive.bytes,
    rxPackets: dev.receive.packets,
    rxErrors: dev.receive.errs,
    rxDropped: dev.receive.drop,
    txBytes: dev.transmit.bytes,
    txPackets: dev.transmit.packets,
    txErrors: dev.transmit.errs,
    txDropped: dev.transmit.drop,
  };
}

function ratesOf(
  now: InterfaceCounters,
  before: InterfaceCounters | undefined,
  seconds: number,
): InterfaceCounters | null {
  if (!before || seconds <= 0) return null;
  const out = {} as InterfaceCounters;
  for (const key of Object.keys(now) as (keyof InterfaceCounters)[]) {
    const delta = now[key] - before[key];
    if (delta < 0) return null; // the counters were reset (driver reload, device re-created)
    out[key] = Math.round((delta / seconds) * 100) / 100;
  }
  return out;
}

export class InterfaceManager {
  /** Readings, oldest first; bounded by pruning in keep(). */
  private samples: Sample[] = [];

  constructor(
    private readonly host: Host,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async list(): Promise<InterfaceList> {
    const [links, first] = await Promise.all([this.links(), this.sample()]);
    let current = first;
    let reference = this.reference(current.atMs);
    if (!reference) {
      reference = current;
      await delay(PRIME_MS);
      current = await this.sample();
    }
    this.keep(reference);
    this.keep(current);
    const seconds = (current.atMs - reference.atMs) / 1000;

    const names = new Set([...current.counters.keys(), ...(links ?? []).map((l) => l.name)]);
    const sysfs = await this.host.readFiles(
      [...names].flatMap((n) => ['speed', 'operstate', 'mtu', 'address'].map((a) => this.sysPath(n, a))),
    );
    const attr = (name: string, a: string): string | undefined => {
      const r = sysfs.get(this.sysPath(name, a));
      return r?.ok ? r.text.trim() : undefined;
    };
    const byName = new Map((links ?? []).map((l) => [l.name, l]));
    const items: NetworkInterface[] = [];
    for (const name of [...names].sort()) {
      const link: IpLink | undefined = byName.get(name);
      const counters = current.counters.get(name);
      if (!counters) continue; // listed by ip between the two reads, or gone since
      const speed = sysfsNumber(attr(name, 'speed'));
      const mtu = link?.mtu ?? sysfsNumber(attr(name, 'mtu'));
      const mac = link ? link.mac : (attr(name, 'address') ?? null);
      items.push({
        name,
        index: link?.index ?? null,
        state: attr(name, 'operstate') ?? link?.operState ?? null,
        flags: link?.flags ?? [],
        type: link?.linkType ?? null,
        mac: mac === '00:00:00:00:00:00' ? null : mac,
        mtu: Number.isFinite(mtu) ? mtu : null,
        // Virtual devices answer -1 or refuse the read (EINVAL): no speed.
        speedMbps: Number.isFinite(speed) && speed > 0 ? speed : null,
        addresses: link?.addresses ?? [],
        counters,
        rates: ratesOf(counters, reference.counters.get(name), seconds),
      });
    }
    return {
      items,
      rateWindowSeconds: Math.round(seconds * 1000) / 1000,
      addressesKnown: links !== undefined,
    };
  }

  private sysPath(name: string, attr: string): string {
    return under(this.host.paths.sysfs, 'class/net', name, attr);
  }

  private async sample(): Promise<Sample> {
    const text = await this.host.readFile(under(this.host.paths.procfs, 'net/dev'));
    const atMs = this.clock();
    return { atMs, counters: new Map(parseNetDev(text).map((d) => [d.device, countersOf(d)])) };
  }

  /** `ip -j addr`, or undefined when iproute2 is missing (the listing goes on without addresses). */
  private async links(): Promise<IpLink[] | undefined> {
    try {
      const result = await this.host.run(['ip', '-j', 'addr', 'show'], { timeoutMs: 10_000 });
      if (result.code !== 0) return undefined;
      return parseIpAddr(result.stdout);
    } catch (error) {
      if (isHyperionError(error) && error.type === 'unsupported') return undefined;
      throw error;
    }
  }

  /**
   * The kept reading to compare with: the newest one at least MIN_WINDOW_MS old, else the
   * oldest one at least MIN_USABLE_MS old; none when the last few minutes have none.
   */
  private reference(nowMs: number): Sample | undefined {
    const usable = this.samples.filter(
      (s) => nowMs - s.atMs >= MIN_USABLE_MS && nowMs - s.atMs <= MAX_WINDOW_MS,
    );
    const ripe = usable.filter((s) => nowMs - s.atMs >= MIN_WINDOW_MS);
    return ripe.at(-1) ?? usable[0];
  }

  /** Keeps a reading, and forgets those no later request would choose. */
  private keep(sample: Sample): void {
    if (!this.samples.includes(sample)) this.samples.push(sample);
    this.samples.sort((a, b) => a.atMs - b.atMs);
    const now = this.samples.at(-1)!.atMs;
    let newestRipe = -1;
    this.samples.forEach((s, i) => {
      if (now - s.atMs >= MIN_WINDOW_MS) newestRipe = i;
    });
    // Older than the newest ripe reading: never chosen again (a newer ripe one always exists).
    if (newestRipe > 0) this.samples = this.samples.slice(newestRipe);
    if (this.samples.length > 64) this.samples = this.samples.slice(-64);
  }
}
