/** The `files` block of the configuration file. */
import path from 'node:path';
import { z } from 'zod';

/** A root's name as it appears in API paths (/files/{root}/…). */
export const FILE_ROOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** "/srv/", "/srv" and "/srv/./" name one directory. */
const samePath = (a: string, b: string) => path.posix.resolve(a) === path.posix.resolve(b);

const fileRootSchema = z
  .object({
    name: z.string().regex(FILE_ROOT_NAME, 'a root name is 1–63 letters, digits, ".", "_" or "-"'),
    /** An absolute directory on the host; nothing outside it is ever read or written. */
    path: z
      .string()
      .startsWith('/', 'a root path is absolute')
      .max(4095)
      .refine((p) => ![...p].some((c) => c.charCodeAt(0) < 0x20), 'a root path has no control characters'),
    /** The least role that may list and read in this root; nothing is readable unless said. */
    readRole: z.enum(['viewer', 'operator', 'admin']).default('admin'),
    writable: z.boolean().default(false),
    /** The least role that may write (upload, mkdir, move, copy, delete) in this root. */
    writeRole: z.enum(['operator', 'admin']).default('admin'),
    /**
     * The user files here are read and written as, by the host's root agent (its uid, gid and
     * groups), so the operating system's permissions apply; absent: the exporter's own user.
     * `root` reads everything, /etc/shadow included: say so only where that is meant.
     */
    user: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'a user name is letters, digits, "._-" (at most 32)')
      .optional(),
    /** The hosts that have this root (inventory names); absent means every host. */
    hosts: z.array(z.string().min(1).max(63)).min(1).optional(),
  })
  .strict();

/**
 * File roots and limits. Without `roots`, the embedded default applies (settings.ts): only the
 * exporter's own files directory, for admins.
 */
export const filesConfigSchema = z
  .object({
    roots: z
      .array(fileRootSchema)
      .min(1)
      .max(64)
      .refine((roots) => new Set(roots.map((r) => r.name)).size === roots.length, 'root names must be unique')
      // The agent knows a root by its directory: one directory, one user.
      .refine(
        (roots) =>
          roots.every((r) => roots.every((o) => samePath(o.path, r.path) === false || o.user === r.user)),
        'roots of the same directory act as the same user',
      )
      .optional(),
    /** Largest upload; a bigger one is refused (413) and leaves nothing behind. */
    uploadLimitBytes: z
      .number()
      .int()
      .min(1)
      .max(2 ** 50)
      .default(1024 ** 3),
    /** Largest file the text editor opens (GET …?text). */
    textLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
  })
  .strict();

export type FilesConfig = z.infer<typeof filesConfigSchema>;
