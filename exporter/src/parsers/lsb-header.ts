/**
 * The LSB comment block of a SysV init script (LSB Core, "Comment Conventions for Init
 * Scripts"): "# Keyword: value" lines between "### BEGIN INIT INFO" and "### END INIT INFO";
 * a Description continues on lines that start with "#" and then a tab or at least two spaces.
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export interface LsbHeader {
  provides: string[];
  defaultStart: string[];
  defaultStop: string[];
  shortDescription: string | null;
  description: string | null;
}

const LIST_KEYS = new Map<string, 'provides' | 'defaultStart' | 'defaultStop'>([
  ['provides', 'provides'],
  ['default-start', 'defaultStart'],
  ['default-stop', 'defaultStop'],
]);

/** The header, or null when the script has none (many old scripts do not). */
export function parseLsbHeader(text: string, skipped: SkipReporter = ignoreSkipped): LsbHeader | null {
  const lines = text.split('\n');
  const begin = lines.findIndex((l) => l.trim() === '### BEGIN INIT INFO');
  if (begin < 0) return null;
  const header: LsbHeader = {
    provides: [],
    defaultStart: [],
    defaultStop: [],
    shortDescription: null,
    description: null,
  };
  let continuing = false;
  for (const line of lines.slice(begin + 1)) {
    if (line.trim() === '### END INIT INFO') return header;
    const continuation = /^#(?:\t| {2,})(.*)$/.exec(line);
    if (continuing && continuation) {
      header.description = `${header.description ?? ''} ${continuation[1]!.trim()}`.trim();
      continue;
    }
    continuing = false;
    const m = /^#\s*([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
    if (!m) {
      if (line.trim() !== '' && line.trim() !== '#') skipped(line, 'not a "# Keyword: value" line');
      continue;
    }
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    const list = LIST_KEYS.get(key);
    if (list) header[list] = value === '' ? [] : value.split(/\s+/);
    else if (key === 'short-description') header.shortDescription = value || null;
    else if (key === 'description') {
      header.description = value || null;
      continuing = true;
    }
    // Other keywords (Required-Start, X-Interactive…) are valid and of no use here.
  }
  skipped(lines[begin]!, 'no "### END INIT INFO" after the header');
  return header;
}
