/**
 * The answer of the agent's adjtimex verb (agent/hyperion-agent.pl): adjtimex(2) called read-only
 * (modes = 0), printed as one line of decimal numbers — the call's return value (the clock
 * state: TIME_OK 0 … TIME_ERROR 5), then the fields of struct timex in the kernel's order —
 * or `error ERRNO-NAME` when the call failed.
 *
 *   ok 5 0 0 0 16000000 16000000 64 2 1 32768000 1796622827 26086 10000 0 0 0 0 0 0 0 0 0
 */
export interface Timex {
  /** The return value: TIME_OK 0, TIME_INS 1, TIME_DEL 2, TIME_OOP 3, TIME_WAIT 4, TIME_ERROR 5. */
  clockState: number;
  modes: number;
  /** Time offset: microseconds, or nanoseconds when STA_NANO is in `status`. */
  offset: number;
  /** Frequency offset, in ppm with a 16-bit fraction (65536 = 1 ppm). */
  freq: number;
  /** Maximum error, microseconds. */
  maxerror: number;
  /** Estimated error, microseconds. */
  esterror: number;
  /** STA_* bits (STA_PLL 0x1, STA_UNSYNC 0x40, STA_NANO 0x2000…). */
  status: number;
  /** PLL time constant. */
  constant: number;
  precision: number;
  tolerance: number;
  timeSeconds: number;
  timeMicros: number;
  /** Microseconds between clock ticks. */
  tick: number;
  /** PPS frequency, ppm with a 16-bit fraction. */
  ppsfreq: number;
  /** PPS jitter: microseconds, or nanoseconds with STA_NANO. */
  jitter: number;
  /** PPS interval duration, as a power of two of seconds. */
  shift: number;
  /** PPS stability, ppm with a 16-bit fraction. */
  stabil: number;
  jitcnt: number;
  calcnt: number;
  errcnt: number;
  stbcnt: number;
  /** TAI − UTC, seconds. */
  tai: number;
}

const FIELDS = [
  'clockState',
  'modes',
  'offset',
  'freq',
  'maxerror',
  'esterror',
  'status',
  'constant',
  'precision',
  'tolerance',
  'timeSeconds',
  'timeMicros',
  'tick',
  'ppsfreq',
  'jitter',
  'shift',
  'stabil',
  'jitcnt',
  'calcnt',
  'errcnt',
  'stbcnt',
  'tai',
] as const satisfies readonly (keyof Timex)[];

export function parseAdjtimex(text: string): Timex {
  const [status, ...values] = text.trim().split(/\s+/);
  if (status === 'error') throw new Error(`adjtimex(2) failed: ${values.join(' ') || 'unknown error'}`);
  if (status !== 'ok' || values.length !== FIELDS.length || !values.every((v) => /^-?\d+$/.test(v))) {
    throw new Error(`malformed adjtimex answer: ${JSON.stringify(text.slice(0, 120))}`);
  }
  const timex = {} as Record<keyof Timex, number>;
  FIELDS.forEach((name, i) => {
    timex[name] = Number(values[i]);
  });
  return timex;
}
