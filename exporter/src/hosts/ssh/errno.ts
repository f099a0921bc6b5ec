/**
 * Failures on a remote host as the same errno-style errors Node raises locally, so callers
 * (`isNotFound`, the files manager's errno table) treat both hosts alike. Remote tools report a
 * failure as `tool: …: <strerror text>` with LC_ALL=C; SFTP reports a status number.
 */

const STRERROR: Record<string, string> = {
  'No such file or directory': 'ENOENT',
  'Not a directory': 'ENOTDIR',
  'Is a directory': 'EISDIR',
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'No such process': 'ESRCH',
  'File exists': 'EEXIST',
  'Directory not empty': 'ENOTEMPTY',
  'Too many levels of symbolic links': 'ELOOP',
  'Invalid argument': 'EINVAL',
  'Input/output error': 'EIO',
  'No data available': 'ENODATA',
  'Resource temporarily unavailable': 'EAGAIN',
  'No such device': 'ENODEV',
  'No such device or address': 'ENXIO',
  'Operation not supported': 'EOPNOTSUPP',
  'Read-only file system': 'EROFS',
  'No space left on device': 'ENOSPC',
  'Disk quota exceeded': 'EDQUOT',
  'File name too long': 'ENAMETOOLONG',
  'Device or resource busy': 'EBUSY',
  'Invalid cross-device link': 'EXDEV',
  'Stale file handle': 'ESTALE',
  'Transport endpoint is not connected': 'ENOTCONN',
  'Bad address': 'EFAULT',
};

export interface RemoteErrnoError extends Error {
  code: string;
  path?: string;
}

export function errnoError(code: string, message: string, path?: string): RemoteErrnoError {
  const error = new Error(message) as RemoteErrnoError;
  error.code = code;
  if (path !== undefined) error.path = path;
  return error;
}

/** The errno code for a strerror text ("EIO" when the text is not one we know). */
export function errnoOfText(text: string): string {
  return STRERROR[text.trim()] ?? 'EIO';
}

/** The strerror text at the end of a tool's message: everything after its last ": ". */
export function strerrorOf(line: string): string {
  const at = line.lastIndexOf(': ');
  return at < 0 ? line.trim() : line.slice(at + 2).trim();
}

/** An error for `path` from one line a remote tool wrote to stderr. */
export function toolError(line: string, path: string, host: string): RemoteErrnoError {
  const text = strerrorOf(line);
  return errnoError(errnoOfText(text), `${text}: ${path} on host ${host}`, path);
}
