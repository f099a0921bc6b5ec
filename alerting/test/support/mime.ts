/**
 * Just enough of MIME (RFC 2045–2047) to read what Alertmanager sends: headers (unfolded, encoded
 * words decoded), multipart bodies, quoted-printable and base64 parts. The tests assert on the
 * decoded text, so a message that is encoded wrongly fails them instead of passing on raw bytes.
 */

export interface MimePart {
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Map<string, string>;
  /** The decoded body of a leaf part; '' for a multipart. */
  body: string;
  parts: MimePart[];
}

/** RFC 2047 encoded words, e.g. =?UTF-8?q?caf=C3=A9?= */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?') // white space between two encoded words is not part of the text
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replaceAll('_', ' ')),
    );
}

export function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, ''); // a trailing "=" joins a wrapped line
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return headers;
}

function param(header: string | undefined, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(header ?? '');
  return match?.[1];
}

export function parseMime(raw: string): MimePart {
  const split = /\r?\n\r?\n/.exec(raw);
  const headerBlock = split ? raw.slice(0, split.index) : raw;
  const content = split ? raw.slice(split.index + split[0].length) : '';
  const headers = parseHeaders(headerBlock);
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = param(type, 'boundary');
  if (/^multipart\//i.test(type) && boundary !== undefined) {
    const sections = content.split(
      new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    // sections[0] is the preamble; the one starting with "--" follows the closing delimiter.
    const parts = sections
      .slice(1)
      .filter((s) => !s.startsWith('--'))
      .map((s) => parseMime(s.replace(/^[ \t]*\r?\n/, '')));
    return { headers, body: '', parts };
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(content)
      : encoding === 'base64'
        ? Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8')
        : content;
  return { headers, body, parts: [] };
}

/** The first leaf part whose Content-Type starts with `type` (e.g. "text/html"), depth first. */
export function findPart(part: MimePart, type: string): MimePart | undefined {
  if (part.parts.length === 0)
    return (part.headers.get('content-type') ?? 'text/plain').startsWith(type) ? part : undefined;
  for (const child of part.parts) {
    const found = findPart(child, type);
    if (found) return found;
  }
  return undefined;
}
