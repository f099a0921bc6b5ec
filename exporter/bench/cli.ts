/** The benchmark's flags. Every loop is bounded by a count and by --max-seconds. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Parts to run, by name; empty means all. */
  only: string[];
  /** Measured scrapes per target. */
  scrapes: number;
  /** Unmeasured scrapes per target before measuring (JIT, caches, connection set-up). */
  warmup: number;
  /** Send `Accept-Encoding: gzip` as Prometheus does (off: compression cost is left out). */
  gzip: boolean;
  /** Profile Hyperion with --cpu-prof during the metrics part and print where time goes. */
  profile: boolean;
  /** Seconds both exporters sit unscraped while their CPU is measured (0: skip). */
  idleSeconds: number;
  /** Upper bound on the time of each part, in seconds. */
  maxSeconds: number;
  /** Extra flags for Hyperion, e.g. --no-collector.processes to see what one collector costs. */
  hyperionArgs: string[];
  /** Extra flags for node running Hyperion, e.g. V8 heap settings to try. */
  hyperionNodeArgs: string[];
}

export const USAGE = `usage: npm run bench -- [--only NAME[,NAME]] [--scrapes N] [--warmup N] [--gzip] [--profile]
                        [--idle-seconds S] [--max-seconds S] [--hyperion-arg F] [--hyperion-node-arg F]

  --only NAME      run only these parts (repeatable or comma-separated)
  --scrapes N      measured scrapes per exporter (default 300, at least 200 for the issue's figures)
  --warmup N       scrapes per exporter before measuring (default 50)
  --gzip           ask for gzip as Prometheus does; node_exporter then compresses, Hyperion does not
  --profile        run Hyperion under --cpu-prof and print its hottest functions
  --idle-seconds S measure both exporters' CPU while nobody scrapes them for S seconds (default 10, 0 skips)
  --max-seconds S  stop a part's loops after S seconds (default 300)
  --hyperion-arg F pass flag F to Hyperion (repeatable), e.g. --hyperion-arg=--no-collector.processes
  --hyperion-node-arg F  pass flag F to node itself (repeatable), e.g. --hyperion-node-arg=--max-semi-space-size=1`;

function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${flag} wants a positive integer, got "${text}"`);
  return value;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string', multiple: true },
      scrapes: { type: 'string' },
      warmup: { type: 'string' },
      gzip: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'max-seconds': { type: 'string' },
      'idle-seconds': { type: 'string' },
      'hyperion-arg': { type: 'string', multiple: true },
      'hyperion-node-arg': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    only: (values.only ?? []).flatMap((v) => v.split(',')).filter((v) => v !== ''),
    scrapes: positiveInt('--scrapes', values.scrapes, 300),
    warmup: positiveInt('--warmup', values.warmup, 50),
    gzip: values.gzip,
    profile: values.profile,
    idleSeconds:
      values['idle-seconds'] === '0' ? 0 : positiveInt('--idle-seconds', values['idle-seconds'], 10),
    maxSeconds: positiveInt('--max-seconds', values['max-seconds'], 300),
    hyperionArgs: values['hyperion-arg'] ?? [],
    hyperionNodeArgs: values['hyperion-node-arg'] ?? [],
  };
}
