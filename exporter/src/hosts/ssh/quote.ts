/**
 * The one place a value becomes a word of a remote shell command (docs/architecture.md, idea 5). SSH
 * carries a command as one string that the remote shell splits again, so every argument is
 * wrapped in single quotes, inside which POSIX sh gives no character a meaning; a single quote
 * itself is written as '\'' (close, escaped quote, reopen). Nothing else in the exporter puts
 * a caller's value into remote shell text.
 */

/** A word that sh reads back as exactly `value`, whatever bytes it holds. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) {
    // No shell word and no argv element can hold a NUL: refuse rather than truncate silently.
    throw new TypeError('a shell argument cannot contain a NUL character');
  }
  // Plain words stay readable in logs and in the remote process list; they need no quotes.
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An argument vector as shell text: each word quoted, joined by spaces. */
export function shellWords(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Environment names a command may be given: what sh accepts as a variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
