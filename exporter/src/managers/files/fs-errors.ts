/**
 * errno codes of file operations, as answers a person can act on. A code not listed stays
 * what it is — an unexpected failure, reported as a 500 with its message.
 */
import { isAgentRefusal } from '../../hosts/agent/connection.js';
import { HyperionError, isHyperionError } from '../../util/errors.js';

export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `what` names the place, e.g. "data:/a/b". */
export function fsError(error: unknown, what: string): unknown {
  if (isHyperionError(error)) return error;
  if (isAgentRefusal(error)) return refusalError(error.reason, what, error);
  switch (errnoOf(error)) {
    case 'ENOENT':
      return new HyperionError('not-found', `${what} does not exist`, { cause: error });
    case 'ENOTDIR':
      return new HyperionError('not-found', `${what} does not exist (a part of it is not a directory)`, {
        cause: error,
      });
    case 'EEXIST':
      return new HyperionError('conflict', `${what} already exists`, { cause: error });
    case 'ENOTEMPTY':
      return new HyperionError('conflict', `${what} is a directory that is not empty`, { cause: error });
    case 'EISDIR':
      return new HyperionError('conflict', `${what} is a directory`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new HyperionError('conflict', `${what}: permission denied to the exporter on this host`, {
        cause: error,
      });
    case 'EROFS':
      return new HyperionError('conflict', `${what} is on a read-only file system`, { cause: error });
    case 'EBUSY':
      return new HyperionError('conflict', `${what} is busy (a mount point?)`, { cause: error });
    case 'ELOOP':
      return new HyperionError('bad-request', `${what} goes through a loop of symbolic links`, {
        cause: error,
      });
    case 'ENAMETOOLONG':
      return new HyperionError('bad-request', `${what}: the resolved path is too long`, { cause: error });
    case 'ENOSPC':
    case 'EDQUOT':
      return new HyperionError('unavailable', `${what}: no space left on the file system`, { cause: error });
    case 'EINVAL':
      return new HyperionError(
        'bad-request',
        `${what}: invalid operation (moving a directory into itself?)`,
        {
          cause: error,
        },
      );
    default: {
      // fs.cp's own refusals (a FIFO or socket in a tree, a link into the copied directory…).
      const code = errnoOf(error);
      if (code?.startsWith('ERR_FS_CP_')) {
        return new HyperionError('conflict', `${what}: ${(error as Error).message}`, { cause: error });
      }
      return error;
    }
  }
}

/** What the host's file agent refused, and why, as an answer naming `what`. */
function refusalError(reason: string, what: string, cause: Error): HyperionError {
  switch (reason) {
    case 'outside-root':
      return new HyperionError(
        'bad-request',
        `${what} leads outside its root through a symbolic link; refused`,
        {
          cause,
        },
      );
    case 'secret':
      return new HyperionError(
        'forbidden',
        `${what} is never served: it is part of what the exporter keeps secret (its data directory, tokens, keys)`,
        { cause },
      );
    case 'pseudo-fs':
      return new HyperionError(
        'forbidden',
        `${what} is on a kernel file system (proc, sysfs, debugfs, cgroup, devices…), which is never served`,
        { cause },
      );
    case 'not-regular':
      return new HyperionError('bad-request', `${what} is not a regular file (a device, FIFO or socket)`, {
        cause,
      });
    case 'not-directory':
      return new HyperionError('conflict', `${what}: ${cause.message}`, { cause });
    case 'too-large':
      return new HyperionError('conflict', `${what} has too many entries to list`, { cause });
    case 'bad-request':
      return new HyperionError('bad-request', `${what}: ${cause.message}`, { cause });
    default:
      return new HyperionError('internal', `${what}: the file agent refused (${reason}): ${cause.message}`, {
        cause,
      });
  }
}

/** Awaits `promise`, turning errno failures into answers naming `what`. */
export async function describe<T>(promise: Promise<T>, what: string): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw fsError(error, what);
  }
}
