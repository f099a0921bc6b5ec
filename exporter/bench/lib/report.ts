/** Plain-text output: aligned tables and PASS/MISS verdicts, readable in a terminal and a CI log. */

export function heading(title: string): void {
  console.log(`\n== ${title} ==`);
}

/** Columns after the first are right-aligned (figures), unless `textColumns` says they hold text. */
export function table(rows: readonly (readonly string[])[], textColumns = false): void {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  for (const row of rows) {
    // First column (the label) left-aligned, figures right-aligned so decimals line up.
    const cells = row.map((cell, i) =>
      i === 0 || textColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
    );
    console.log(cells.join('   ').trimEnd());
  }
}

export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function mib(bytes: number): string {
  return fixed(bytes / (1024 * 1024), 1);
}

/** "PASS" when `value <= limit`; an unmeasurable value is a MISS, never a silent pass. */
export function verdict(value: number, limit: number): string {
  return Number.isFinite(value) && value <= limit ? 'PASS' : 'MISS';
}
