/**
 * The Prometheus text exposition format (0.0.4), as the textfile collector reads it from *.prom
 * files: what a cron script or a backup job writes for the exporter to serve. The rules are
 * those of Prometheus' own parser (expfmt's TextParser), which node_exporter's textfile
 * collector uses, so a file one accepts the other accepts:
 *
 *   # HELP name docstring        at most once per family; `\\` and `\n` are its only escapes
 *   # TYPE name type             counter, gauge, untyped, summary or histogram; before any sample
 *   # anything else              a comment
 *   name{label="value",…} value [timestamp]
 *
 * Names are [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not starting __), label
 * values escape `\\`, `\"` and `\n`. Values are decimal floats, ±Inf or NaN (expfmt refuses
 * hexadecimal floats, whose exponent is a p, and digit separators). A
 * summary's samples are NAME{quantile="…"}, NAME_sum and NAME_count; a histogram's NAME_bucket
 * {le="…"}, NAME_sum and NAME_count. A name without a TYPE is an untyped family of its own.
 *
 * Anything else is an error naming the line: the textfile collector then drops the whole file,
 * never half of it. Where expfmt lets a mistake through and produces a meaningless family — a
 * summary sample without a quantile, a histogram bucket without le or a histogram sample without
 * a suffix (node_exporter then serves an empty summary or histogram), the same series twice (the
 * registry drops one) — this parser refuses it, so the error series tells the file's author. A timestamp is parsed and reported, so the caller can refuse the file as
 * node_exporter does (a sample's time is the scrape's).
 */
import type { Labels } from '../collectors/collector.js';

export type PromType = 'counter' | 'gauge' | 'untyped' | 'summary' | 'histogram';
export type PromSuffix = '' | '_bucket' | '_sum' | '_count';

export interface PromSample {
  /** What follows the family's name in the sample's name. */
  suffix: PromSuffix;
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch, when the line gave one. */
  timestampMs?: number;
}

export interface PromFamily {
  name: string;
  /** Undefined when the text had no HELP line for it. */
  help: string | undefined;
  type: PromType;
  samples: PromSample[];
}

export class PromTextError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<PromType>(['counter', 'gauge', 'untyped', 'summary', 'histogram']);
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** A float as Go's strconv.ParseFloat reads it (what expfmt uses); undefined when it is not one. */
export function parseFloatToken(token: string): number | undefined {
  if (DECIMAL.test(token)) return Number(token);
  if (/^[+-]?inf(inity)?$/i.test(token)) return token.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(token)) return NaN;
  return undefined;
}

/** Reads one line of text with a cursor; every method fails with the line's number. */
class Cursor {
  at = 0;
  constructor(
    readonly text: string,
    readonly line: number,
  ) {}

  fail(message: string): never {
    throw new PromTextError(this.line, message);
  }

  get done(): boolean {
    return this.at >= this.text.length;
  }

  /** The current character; '' at the end of the line. */
  peek(): string {
    return this.text.charAt(this.at);
  }

  skipBlanks(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.at += 1;
  }

  /** Characters up to a blank, a `{` (when asked) or the end of the line. */
  token(stopAtBrace = false): string {
    const start = this.at;
    while (!this.done && this.peek() !== ' ' && this.peek() !== '\t' && !(stopAtBrace && this.peek() === '{'))
      this.at += 1;
    return this.text.slice(start, this.at);
  }

  /** Characters while they may belong to a label name. */
  labelName(): string {
    const start = this.at;
    while (/[a-zA-Z0-9_]/.test(this.peek()) && !this.done) this.at += 1;
    return this.text.slice(start, this.at);
  }

  /** A quoted label value, the opening quote already current. */
  quoted(): string {
    this.at += 1;
    let out = '';
    for (;;) {
      if (this.done) this.fail('a label value is not closed by "');
      const c = this.peek();
      this.at += 1;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const escaped = this.peek();
      this.at += 1;
      if (escaped === '\\' || escaped === '"') out += escaped;
      else if (escaped === 'n') out += '\n';
      else this.fail(`invalid escape sequence "\\${escaped}" in a label value`);
    }
  }
}

function unescapeHelp(cursor: Cursor, text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const escaped = text.charAt(++i);
    if (escaped === '\\') out += '\\';
    else if (escaped === 'n') out += '\n';
    else cursor.fail(`invalid escape sequence "\\${escaped}" in HELP`);
  }
  return out;
}

interface Building extends PromFamily {
  typed: boolean;
  /** Series already seen (suffix and labels): a second one is an error, as the registry would say. */
  seen: Set<string>;
}

/** A series' identity: a label with an empty value is no label, to Prometheus and here. */
function seriesKey(suffix: string, labels: Labels): string {
  const set = Object.entries(labels).filter(([, value]) => value !== '');
  return JSON.stringify([suffix, ...set.sort(([a], [b]) => (a < b ? -1 : 1))]);
}

function readLabels(cursor: Cursor): Labels {
  const labels: Labels = {};
  cursor.at += 1; // {
  for (;;) {
    cursor.skipBlanks();
    if (cursor.peek() === '}') {
      cursor.at += 1;
      return labels;
    }
    const name = cursor.labelName();
    if (!LABEL_NAME.test(name)) cursor.fail(`invalid label name "${name}${cursor.peek()}"`);
    // expfmt refuses __name__; client_golang refuses every __ name, and node_exporter 1.5 crashes
    // on one in a textfile (a panic, the whole exporter down): refused here, with the line.
    if (name.startsWith('__')) cursor.fail(`label name "${name}" is reserved (names starting with __ are)`);
    if (name in labels) cursor.fail(`duplicate label name "${name}"`);
    cursor.skipBlanks();
    if (cursor.peek() !== '=') cursor.fail(`expected "=" after label name "${name}"`);
    cursor.at += 1;
    cursor.skipBlanks();
    if (cursor.peek() !== '"') cursor.fail(`expected a quoted value for label "${name}"`);
    labels[name] = cursor.quoted();
    cursor.skipBlanks();
    if (cursor.peek() === ',') cursor.at += 1;
    else if (cursor.peek() !== '}') cursor.fail(`expected "," or "}" after the value of label "${name}"`);
  }
}

export function parsePromText(text: string): PromFamily[] {
  const families = new Map<string, Building>();
  const family = (name: string): Building => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: undefined, type: 'untyped', samples: [], typed: false, seen: new Set() };
      families.set(name, f);
    }
    return f;
  };
  /** The family a sample name belongs to, and its suffix (expfmt's lookup order). */
  const owner = (name: string): [Building, PromSuffix] => {
    const exact = families.get(name);
    if (exact) return [exact, ''];
    for (const suffix of ['_sum', '_count', '_bucket'] as const) {
      if (!name.endsWith(suffix)) continue;
      const base = families.get(name.slice(0, -suffix.length));
      if (base?.type === 'histogram' || (base?.type === 'summary' && suffix !== '_bucket'))
        return [base, suffix];
    }
    return [family(name), ''];
  };

  text.split('\n').forEach((raw, index) => {
    const cursor: Cursor = new Cursor(raw, index + 1);
    cursor.skipBlanks();
    if (cursor.done) return;
    if (cursor.peek() === '#') {
      cursor.at += 1;
      cursor.skipBlanks();
      const keyword = cursor.token();
      if (keyword !== 'HELP' && keyword !== 'TYPE') return; // a comment
      cursor.skipBlanks();
      const name = cursor.token();
      if (!METRIC_NAME.test(name)) cursor.fail(`invalid metric name "${name}" in ${keyword}`);
      const f = family(name);
      if (keyword === 'HELP') {
        if (f.help !== undefined) cursor.fail(`second HELP line for "${name}"`);
        cursor.skipBlanks();
        f.help = unescapeHelp(cursor, raw.slice(cursor.at));
        return;
      }
      if (f.typed) cursor.fail(`second TYPE line for "${name}"`);
      if (f.samples.length > 0) cursor.fail(`TYPE line for "${name}" after its samples`);
      cursor.skipBlanks();
      const type = cursor.token().toLowerCase() as PromType;
      if (!TYPES.has(type)) cursor.fail(`unknown metric type "${type}" for "${name}"`);
      cursor.skipBlanks();
      if (!cursor.done) cursor.fail(`unexpected text after the type of "${name}"`);
      f.type = type;
      f.typed = true;
      return;
    }

    const name = cursor.token(true);
    if (!METRIC_NAME.test(name)) cursor.fail(`invalid metric name "${name}"`);
    cursor.skipBlanks();
    const labels = cursor.peek() === '{' ? readLabels(cursor) : {};
    cursor.skipBlanks();
    const valueToken = cursor.token();
    if (valueToken === '') cursor.fail(`no value for "${name}"`);
    const value = parseFloatToken(valueToken);
    if (value === undefined) cursor.fail(`"${valueToken}" is not a number (the value of "${name}")`);
    cursor.skipBlanks();
    let timestampMs: number | undefined;
    if (!cursor.done) {
      const ts = cursor.token();
      if (!INTEGER.test(ts)) cursor.fail(`"${ts}" is not a timestamp (an integer of milliseconds)`);
      timestampMs = Number(ts);
      cursor.skipBlanks();
      if (!cursor.done) cursor.fail('unexpected text after the timestamp');
    }

    const [f, suffix] = owner(name);
    if (f.type === 'summary' && suffix === '') {
      if (labels.quantile === undefined) cursor.fail(`a summary's sample "${name}" needs a quantile label`);
      if (parseFloatToken(labels.quantile) === undefined)
        cursor.fail(`quantile "${labels.quantile}" is not a number`);
    }
    if (f.type === 'histogram') {
      if (suffix === '')
        cursor.fail(`a histogram's samples are ${name}_bucket, _sum and _count, not "${name}"`);
      if (suffix === '_bucket') {
        if (labels.le === undefined) cursor.fail(`a histogram bucket "${name}" needs an le label`);
        if (parseFloatToken(labels.le) === undefined) cursor.fail(`le "${labels.le}" is not a number`);
      }
    }
    const key = seriesKey(suffix, labels);
    if (f.seen.has(key)) cursor.fail(`a second sample of the same series ${name}${JSON.stringify(labels)}`);
    f.seen.add(key);
    f.samples.push(
      timestampMs === undefined ? { suffix, labels, value } : { suffix, labels, value, timestampMs },
    );
  });
  return [...families.values()].map(({ name, help, type, samples }) => ({ name, help, type, samples }));
}
