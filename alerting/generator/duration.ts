/**
 * Prometheus durations ("90s", "5m", "1h30m"), parsed so the generator can do arithmetic with
 * them (predict_linear wants seconds) and print them back in the form operators wrote.
 */
const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
  y: 31536000,
};
const WHOLE = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const PART = /(\d+)(ms|s|m|h|d|w|y)/g;

export function isDuration(text: string): boolean {
  return WHOLE.test(text);
}

export function durationSeconds(text: string): number {
  if (!isDuration(text)) throw new Error(`"${text}" is not a Prometheus duration (e.g. 30s, 5m, 1h)`);
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  return seconds;
}

/** "for: 0s" means "at once"; Prometheus wants the field left out then, which reads better too. */
export function isZero(text: string): boolean {
  return durationSeconds(text) === 0;
}
