/**
 * Parsers never throw on a line they do not understand: a kernel adds a column, a container
 * mangles a file. They skip the line and report it here, so the caller can log it at debug.
 */
export type SkipReporter = (line: string, reason: string) => void;

export const ignoreSkipped: SkipReporter = () => {};

/** Split on runs of whitespace, ignoring leading/trailing blanks. */
export function fields(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** A finite number or NaN. Not Number() alone: that reads "" as 0. Some fields (nice) are negative. */
export function toNumber(text: string | undefined): number {
  if (text === undefined || text === '') return NaN;
  const n = Number(text);
  return Number.isFinite(n) ? n : NaN;
}

/** A number from a one-value sysfs/procfs file ("1500\n"); NaN when empty or not a number. */
export function sysfsNumber(text: string | undefined): number {
  return toNumber(text?.trim());
}
