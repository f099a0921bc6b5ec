/**
 * The file roots and limits the files manager works with, from the configuration's `files`
 * block. Without configured roots the embedded default applies, safe out of the box: one
 * directory — the exporter's own files directory inside its data directory, created on first
 * use — that admins may read and write. Nothing of the host is readable until the
 * configuration names a root and who may read it.
 */
import path from 'node:path';
import type { FilesConfig } from './config.js';
import type { Role } from '../../security/roles.js';

export interface FileRoot {
  name: string;
  /** Absolute directory on the host, as configured (it may itself be a symlink). */
  path: string;
  /** The least role that may list and read here. */
  readRole: Role;
  writable: boolean;
  writeRole: Extract<Role, 'operator' | 'admin'>;
  /** The user the host's agent acts as here; undefined: the exporter's own. */
  user?: string;
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

export const DEFAULT_ROOT = 'data';
const UPLOAD_IDLE_MS = 60_000;

/** The exporter's own files directory: the one part of its data directory ever served. */
export function filesDirectory(storagePath: string): string {
  return path.join(path.resolve(storagePath), 'files');
}

export function fileSettings(
  config: FilesConfig,
  storagePath: string,
  localHostName = 'local',
): FileSettings {
  const roots: FileRoot[] = config.roots
    ? config.roots.map((r) => ({ ...r, hosts: r.hosts, createOnDemand: false }))
    : [
        {
          name: DEFAULT_ROOT,
          path: filesDirectory(storagePath),
          readRole: 'admin',
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
