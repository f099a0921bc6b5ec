/** Paths inside a file root: "" is the root, segments joined by "/", never a leading slash. */

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentPath(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Why a new name is unusable, or undefined: one segment, no "/", not "." or "..", no control characters. */
export function nameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'A name is needed';
  if (name.includes('/')) return 'A name cannot contain "/"';
  if (name === '.' || name === '..') return `"${name}" is not a name`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot contain control characters';
  if (name.length > 255) return 'A name has at most 255 characters';
  return undefined;
}

/** Moving a folder into itself or below itself is impossible. */
export function isInside(path: string, folder: string): boolean {
  return folder === path || folder.startsWith(`${path}/`);
}

/** The drag payload type of rows dragged inside the table (desktop files carry "Files"). */
export const ROW_DRAG_TYPE = 'application/x-hyperion-paths';

/** Where a path inside a root is on the host: "/" + "etc" is "/etc", never "etc". */
export function absolutePath(rootPath: string, path: string): string {
  const base = rootPath.replace(/\/+$/, '');
  return path === '' ? base || '/' : `${base}/${path}`;
}
