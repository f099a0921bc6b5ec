/**
 * Runs the enabled collectors against a host, concurrently, each in its own failure domain:
 * a collector that throws loses its own series and reports success 0, the scrape goes on
 * (node_exporter's contract). Scrapes that arrive while an identical one is running share it,
 * so a burst of scrapers costs one collection.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Host } from '../hosts/host.js';
import { HyperionError, errorMessage } from '../util/errors.js';
import type { Collector, CollectorSettings, MetricFamily } from './collector.js';

export class CollectorRegistry {
  private readonly enabled: Map<string, Collector>;
  private readonly known: Set<string>;
  private readonly inflight = new Map<string, Promise<MetricFamily[]>>();

  constructor(
    all: readonly Collector[],
    enabledNames: ReadonlySet<string>,
    private readonly settings: CollectorSettings,
    private readonly log: Logger,
  ) {
    this.known = new Set(all.map((c) => c.name));
    this.enabled = new Map(all.filter((c) => enabledNames.has(c.name)).map((c) => [c.name, c]));
  }

  enabledNames(): string[] {
    return [...this.enabled.keys()];
  }

  /** The collectors a `collect[]` filter asks for; all enabled ones when it is empty. */
  select(filter: readonly string[]): Collector[] {
    if (filter.length === 0) return [...this.enabled.values()];
    return [...new Set(filter)].map((name) => {
      const collector = this.enabled.get(name);
      if (collector) return collector;
      const why = this.known.has(name) ? 'is disabled on this exporter' : 'does not exist';
      throw new HyperionError(
        'bad-request',
        `collector "${name}" ${why}; enabled: ${this.enabledNames().join(', ')}`,
        {
          field: 'query/collect[]',
        },
      );
    });
  }

  async collect(host: Host, filter: readonly string[] = []): Promise<MetricFamily[]> {
    const collectors = this.select(filter);
    const key = `${host.name}\0${collectors.map((c) => c.name).join(',')}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const promise = this.run(host, collectors).finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  private async run(host: Host, collectors: Collector[]): Promise<MetricFamily[]> {
    const log = this.log.child({ host: host.name });
    const results = await Promise.all(
      collectors.map(async (collector) => {
        const start = performance.now();
        try {
          const families = await collector.collect({
            host,
            log,
            settings: this.settings,
            skipped: (file) => (line, reason) =>
              log.debug({ collector: collector.name, file, line, reason }, 'skipped a line'),
          });
          return { collector, families, ok: true, seconds: (performance.now() - start) / 1000 };
        } catch (error) {
          log.warn({ collector: collector.name, err: errorMessage(error) }, 'collector failed');
          return { collector, families: [], ok: false, seconds: (performance.now() - start) / 1000 };
        }
      }),
    );
    const success: MetricFamily = {
      name: 'hyperion_scrape_collector_success',
      help: '1 when the collector succeeded in this scrape, 0 when it failed.',
      type: 'gauge',
      samples: results.map((r) => ({ labels: { collector: r.collector.name }, value: r.ok ? 1 : 0 })),
    };
    const duration: MetricFamily = {
      name: 'hyperion_scrape_collector_duration_seconds',
      help: 'How long the collector took in this scrape.',
      type: 'gauge',
      samples: results.map((r) => ({ labels: { collector: r.collector.name }, value: r.seconds })),
    };
    return [...results.flatMap((r) => r.families), success, duration];
  }
}
