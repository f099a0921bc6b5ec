/**
 * A small reader of the Prometheus text format for tests: enough to look series up by name and
 * labels. Deliberately independent of the exporter's own code, so a serializer bug cannot hide
 * behind a parser that shares it. (promtool remains the judge of format correctness.)
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: ParsedSample[];
  /** # TYPE per family name. */
  types: Map<string, string>;
  /** # HELP per family name. */
  help: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (m === null) throw new Error(`malformed labels at ${start} in: ${line}`);
    labels[m[1]!] = unescape(m[2]!);
    if (m[3] === '') break;
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  // Prometheus reads NaN case-insensitively (Go's ParseFloat); prom-client writes "Nan".
  if (text.toLowerCase() === 'nan') return NaN;
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error(`not a sample value: ${text}`);
  return v;
}

export function parseExposition(text: string): Exposition {
  const result: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m) (m[1] === 'TYPE' ? result.types : result.help).set(m[2]!, m[3]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    result.samples.push({
      name: m[1]!,
      labels: m[2] === undefined ? {} : parseLabels(m[2], line),
      value: parseValue(m[3]!),
    });
  }
  return result;
}

/** Samples named `name` whose labels include every pair of `labels`. */
export function select(
  samples: readonly ParsedSample[],
  name: string,
  labels: Record<string, string> = {},
): ParsedSample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the one sample that matches; throws when there is none or more than one. */
export function valueOf(
  samples: readonly ParsedSample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = select(samples, name, labels);
  if (found.length !== 1) {
    throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${found.length}`);
  }
  return found[0]!.value;
}
