/**
 * The file roots and limits the files manager works with, from the configuration's `files`
 * block. Without configured roots the embedded default applies, safe out of the box: the whole
 * file system to read, and one directory to write — inside the exporter's own data directory,
 * created on first use — so nothing of the host can be changed until an operator says so.
 */
import path from 'node:path';
import type { FilesConfig } from './config.js';
import type { Role } from '../../security/roles.js';

export interface FileRoot {
  name: string;
  /** Absolute directory on the host, as configured (it may itself be a symlink). */
  path: string;
  writable: boolean;
  writeRole: Extract<Role, 'operator' | 'admin'>;
  /** Inventory names of the hosts that have this root; undefined means every host. */
  hosts: readonly string[] | undefined;
  /** Create the directory when it is missing (the default writable root only). */
  createOnDemand: boolean;
}

export interface FileSettings {
  roots: readonly FileRoot[];
  uploadLimitBytes: number;
  textLimitBytes: number;
  /** An upload that sends nothing for this long is abandoned (and leaves nothing behind). */
  uploadIdleMs: number;
}

export const DEFAULT_READ_ROOT = 'root';
export const DEFAULT_WRITE_ROOT = 'data';
const UPLOAD_IDLE_MS = 60_000;

export function fileSettings(
  config: FilesConfig,
  storagePath: string,
  localHostName = 'local',
): FileSettings {
  const roots: FileRoot[] = config.roots
    ? config.roots.map((r) => ({ ...r, hosts: r.hosts, createOnDemand: false }))
    : [
        {
          name: DEFAULT_READ_ROOT,
          path: '/',
          writable: false,
          writeRole: 'admin',
          hosts: undefined,
          createOnDemand: false,
        },
        {
          name: DEFAULT_WRITE_ROOT,
          path: path.join(path.resolve(storagePath), 'files'),
          writable: true,
          writeRole: 'admin',
          // The data directory is the exporter's own, on the machine it runs on.
          hosts: [localHostName],
          createOnDemand: true,
        },
      ];
  return {
    roots,
    uploadLimitBytes: config.uploadLimitBytes,
    textLimitBytes: config.textLimitBytes,
    uploadIdleMs: UPLOAD_IDLE_MS,
  };
}
