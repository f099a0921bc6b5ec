/**
 * GET /probe?target=NAME — the multi-target exporter pattern (blackbox_exporter, snmp_exporter):
 * the same collectors as /metrics, run against an inventory host over SSH, in a scrape of its
 * own (nothing shared with /metrics but the collector code), plus
 *   hyperion_probe_success           1 when the host answered the whole probe in time
 *   hyperion_probe_duration_seconds  how long the probe took
 *   hyperion_probe_ssh_requests      round trips to the host it took (the reads are batched)
 * The probe ends before Prometheus gives up on it: X-Prometheus-Scrape-Timeout-Seconds less a
 * small margin (as blackbox_exporter does). An unknown target is a 400; a host that cannot be
 * reached, or that stops answering half-way, is a 200 with hyperion_probe_success 0.
 */
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { MetricFamily } from '../collectors/collector.js';
import type { CollectorRegistry } from '../collectors/registry.js';
import type { Host } from '../hosts/host.js';
import { HyperionError, isHyperionError } from '../util/errors.js';
import { CONTENT_TYPE, renderFamilies } from './exposition.js';
import { sendProblem } from './problem.js';

export const SCRAPE_TIMEOUT_HEADER = 'x-prometheus-scrape-timeout-seconds';
/**
 * Left for the network and for Prometheus to read the answer: blackbox_exporter's half second,
 * or a tenth of a short timeout (a 1 s scrape would otherwise leave the probe only half of it).
 */
const TIMEOUT_MARGIN_SECONDS = 0.5;
const TIMEOUT_MARGIN_SHARE = 0.1;
const MIN_TIMEOUT_SECONDS = 0.2;
const MAX_TIMEOUT_SECONDS = 300;

/** A probe target: the host, and how to tell whether its transport failed during the probe. */
export interface ProbeTarget {
  host: Host;
  /** Grows whenever the host's connection fails; unchanged over a probe means it held. */
  failures(): number;
  /** Requests sent to the host so far (each one round trip). */
  requests(): number;
  /** Tells the host a scrape starts (it reads ahead what the last one read later); call the result at its end. */
  beginScrape(): () => void;
}

export interface ProbeDeps {
  collectors: CollectorRegistry;
  /**
   * Refuses a request without a valid token (a viewer's is enough, as Prometheus sends it
   * with `authorization` in its scrape configuration): without it anyone reaching the port
   * would drive SSH work on every approved host.
   */
  authenticate(req: Request): void;
  log: Logger;
  /** Resolves a target name; throws a HyperionError (400) for one that cannot be probed. */
  target(name: string): ProbeTarget;
  /** When Prometheus sends no timeout header. */
  defaultTimeoutSeconds: number;
}

function targetName(req: Request): string {
  const raw = req.query.target;
  if (typeof raw !== 'string' || raw === '') {
    throw new HyperionError('bad-request', 'give exactly one target: /probe?target=NAME', {
      field: 'query/target',
    });
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(raw)) {
    throw new HyperionError('bad-request', 'a target is an inventory host name', { field: 'query/target' });
  }
  return raw;
}

function collectFilter(req: Request): string[] {
  const raw = req.query['collect[]'];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

/** Seconds the probe may take: Prometheus' own timeout less the margin, or the default. */
export function probeTimeoutSeconds(header: string | undefined, fallback: number): number {
  const given = header === undefined ? Number.NaN : Number(header);
  const margin = Math.min(TIMEOUT_MARGIN_SECONDS, given * TIMEOUT_MARGIN_SHARE);
  const seconds = Number.isFinite(given) && given > 0 ? given - margin : fallback;
  return Math.min(MAX_TIMEOUT_SECONDS, Math.max(MIN_TIMEOUT_SECONDS, seconds));
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: 'gauge', samples: [{ labels: {}, value }] };
}

export function probeHandler(deps: ProbeDeps): RequestHandler {
  return async (req, res) => {
    const started = performance.now();
    let target: ProbeTarget;
    let filter: string[];
    try {
      deps.authenticate(req);
      target = deps.target(targetName(req));
      filter = collectFilter(req);
      deps.collectors.select(filter); // a bad collect[] is a 400 before any work
    } catch (error) {
      if (isHyperionError(error)) {
        sendProblem(res, error);
        return;
      }
      throw error;
    }
    const header = req.headers[SCRAPE_TIMEOUT_HEADER];
    const timeout = probeTimeoutSeconds(
      typeof header === 'string' ? header : undefined,
      deps.defaultTimeoutSeconds,
    );
    const endScrape = target.beginScrape();
    const failuresBefore = target.failures();
    const requestsBefore = target.requests();

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeout * 1000);
    });
    const collection = deps.collectors.collect(target.host, filter);
    // The burst lasts as long as the collection, even past this probe's deadline.
    void collection.catch(() => undefined).finally(endScrape);
    const collected = await Promise.race([collection, deadline]).finally(() => clearTimeout(timer));
    const inTime = collected !== undefined;
    const success = inTime && target.failures() === failuresBefore;
    if (!success) {
      deps.log.debug(
        { target: target.host.name, inTime, transportFailures: target.failures() - failuresBefore },
        'probe failed',
      );
    }
    const families: MetricFamily[] = [
      ...(collected ?? []),
      gauge(
        'hyperion_probe_success',
        'Whether the target answered the whole probe in time over SSH (1) or not (0).',
        success ? 1 : 0,
      ),
      gauge(
        'hyperion_probe_duration_seconds',
        'How long the probe took, in seconds.',
        (performance.now() - started) / 1000,
      ),
      gauge(
        'hyperion_probe_ssh_requests',
        'Requests (round trips) sent to the host during the probe, by it and by anything else using the host meanwhile.',
        target.requests() - requestsBefore,
      ),
    ];
    res.type(CONTENT_TYPE).send(renderFamilies(families));
  };
}
