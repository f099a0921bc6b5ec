/**
 * The collector contract, after node_exporter's collector package: one small file per
 * collector, each turning what a Host exposes into metric families. Collectors hold no state
 * between scrapes except caches of facts that cannot change (e.g. a host's architecture).
 */
import type { Logger } from 'pino';
import type { Host } from '../hosts/host.js';
import type { SkipReporter } from '../parsers/skip.js';

/** Collectors make counters and gauges; the other types come only from textfiles. */
export type MetricKind = 'counter' | 'gauge' | 'untyped' | 'summary' | 'histogram';
export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
  /**
   * What follows the family's name in this sample's name: _bucket, _sum or _count for the
   * samples of a summary or histogram (read from a textfile); absent for the rest.
   */
  suffix?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricKind;
  samples: Sample[];
}

export interface CollectorSettings {
  /** Regular expression of file-system types the filesystem collector ignores. */
  filesystemFsTypesExclude: RegExp;
  /** Regular expression of mount points the filesystem collector ignores. */
  filesystemMountPointsExclude: RegExp;
  /** Regular expression of block devices the diskstats collector ignores (partitions, loops). */
  diskstatsDeviceExclude: RegExp;
  /** How long one statfs may take before that mount is reported as failed. */
  statfsTimeoutMs: number;
  /** Regular expression of the /proc/vmstat fields the vmstat collector exports. */
  vmstatFields: RegExp;
  /** Directory of *.prom files the textfile collector reads; '' reads none. */
  textfileDirectory: string;
  /** Units the systemd collector reports (anchored: the whole unit name must match)… */
  systemdUnitInclude: RegExp;
  /** …unless this matches (anchored too). */
  systemdUnitExclude: RegExp;
}

export interface CollectContext {
  host: Host;
  log: Logger;
  settings: CollectorSettings;
  /** Log a line a parser skipped, at debug level, with the file it came from. */
  skipped(file: string): SkipReporter;
}

export interface Collector {
  readonly name: string;
  /** One line for --help and the landing page. */
  readonly description: string;
  readonly defaultEnabled: boolean;
  collect(ctx: CollectContext): Promise<MetricFamily[]>;
}

/** A small builder so collectors read as a list of metrics rather than object literals. */
export class FamilyBuilder {
  private readonly families: MetricFamily[] = [];

  add(name: string, type: MetricKind, help: string): MetricFamily {
    const family: MetricFamily = { name, type, help, samples: [] };
    this.families.push(family);
    return family;
  }

  gauge(name: string, help: string): MetricFamily {
    return this.add(name, 'gauge', help);
  }

  counter(name: string, help: string): MetricFamily {
    return this.add(name, 'counter', help);
  }

  /** Families without samples are dropped: an empty family has no use and confuses readers. */
  build(): MetricFamily[] {
    return this.families.filter((f) => f.samples.length > 0);
  }
}

/** Push a sample unless the value is not a number (a field the kernel did not provide). */
export function sample(family: MetricFamily, value: number | undefined, labels: Labels = {}): void {
  if (value === undefined || Number.isNaN(value)) return;
  family.samples.push({ labels, value });
}
