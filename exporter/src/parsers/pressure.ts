/**
 * /proc/pressure/{cpu,memory,io} (PSI): "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345".
 * `total` is cumulative stall time in microseconds; the averages are not exported because
 * Prometheus derives them from the counter.
 */
import { fields, ignoreSkipped, toNumber, type SkipReporter } from './skip.js';

export interface Pressure {
  /** Microseconds during which at least one task was stalled ("waiting"). */
  someMicros: number | undefined;
  /** Microseconds during which all non-idle tasks were stalled ("stalled"). */
  fullMicros: number | undefined;
}

export function parsePressure(text: string, skipped: SkipReporter = ignoreSkipped): Pressure {
  const out: Pressure = { someMicros: undefined, fullMicros: undefined };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [kind, ...pairs] = fields(line);
    const total = pairs.find((p) => p.startsWith('total='));
    // toNumber, not Number: Number('') is 0, which would turn a truncated "total=" into a reading.
    const value = total === undefined ? NaN : toNumber(total.slice('total='.length));
    if ((kind !== 'some' && kind !== 'full') || !Number.isFinite(value)) {
      skipped(line, 'malformed pressure line');
      continue;
    }
    if (kind === 'some') out.someMicros = value;
    else out.fullMicros = value;
  }
  return out;
}
