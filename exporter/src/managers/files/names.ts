/**
 * What a path inside a file root may look like, checked before anything touches the host.
 * A path is relative to its root, its segments separated by "/": "" (or "/") is the root
 * itself, and one trailing "/" is tolerated because directory URLs often carry one. Refused:
 * a leading "/", empty segments ("a//b"), "." and "..", control characters (NUL among them),
 * a name longer than 255 bytes and a path longer than 4095 bytes (Linux's NAME_MAX/PATH_MAX).
 * Refusing ".." outright, rather than normalising it, keeps one meaning per path; symlinks are
 * the resolver's business (containment.ts).
 */
import { HyperionError } from '../../util/errors.js';

export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4095;

/** C0 controls, DEL and C1 controls: never part of a name a person typed. */
function controlChar(text: string): number | undefined {
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return code;
  }
  return undefined;
}

/** Why `text` is not a valid path inside a root, or undefined when it is. */
export function relPathProblem(text: string): string | undefined {
  if (Buffer.byteLength(text) > MAX_PATH_BYTES) return `a path is at most ${MAX_PATH_BYTES} bytes`;
  if (text.startsWith('/') && text !== '/') return 'a path is relative to its root: no leading "/"';
  const trimmed = text.endsWith('/') ? text.slice(0, -1) : text;
  if (trimmed === '') return undefined;
  for (const segment of trimmed.split('/')) {
    if (segment === '') return 'a path has no empty segments ("//")';
    if (segment === '.' || segment === '..') return `"${segment}" is not allowed in a path`;
    const control = controlChar(segment);
    if (control !== undefined) {
      return `a name has no control characters (found U+${control.toString(16).toUpperCase().padStart(4, '0')})`;
    }
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES) return `a name is at most ${MAX_NAME_BYTES} bytes`;
  }
  return undefined;
}

/**
 * The same rule as a regular expression, for the OpenAPI document (clients can check before
 * sending). Lengths are counted in characters here and in bytes by relPathProblem.
 */
const SEGMENT = String.raw`(?!\.\.?(?:/|$))[^/\u0000-\u001f\u007f-\u009f]{1,255}`;
export const REL_PATH_PATTERN = new RegExp(`^(?:${SEGMENT}(?:/${SEGMENT})*)?/?$`);

/** The segments of a valid path; a validation error (400) naming `field` otherwise. */
export function splitRelPath(text: string, field = 'path'): string[] {
  const problem = relPathProblem(text);
  if (problem !== undefined) throw new HyperionError('validation', `${field}: ${problem}`, { field });
  const trimmed = text.endsWith('/') ? text.slice(0, -1) : text;
  return trimmed === '' ? [] : trimmed.split('/');
}

/** "data:/a/b", how messages name a place, so a person sees which root was meant. */
export function display(root: string, segments: readonly string[]): string {
  return `${root}:/${segments.join('/')}`;
}
