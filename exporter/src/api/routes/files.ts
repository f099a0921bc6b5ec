/**
 * Files: browse, download, edit and change files below the configured roots — on any host.
 *
 *   GET    /hosts/{host}/files                        the roots (and the upload/editor limits)
 *   GET    /hosts/{host}/files/{root}/{path}          a directory listing, or a file's details;
 *                                                     ?download streams the file (Range: 206/416),
 *                                                     ?text returns it for the editor with an ETag
 *   PUT    /hosts/{host}/files/{root}/{path}          upload (the raw body, streamed); replacing a
 *                                                     file needs overwrite=true or If-Match (the
 *                                                     editor saves this way: a stale tag is a 412)
 *   DELETE /hosts/{host}/files/{root}/{path}          delete; a directory only with recursive=true
 *   POST   /hosts/{host}/file-operations/mkdir|move|copy   JSON bodies; move and copy take
 *                                                     several items so one drag (and one code)
 *                                                     moves a selection; across roots too
 *
 * Reads need the root's readRole (admin by default) and reads of contents (download, text) are
 * audited; writes need the root's writeRole (admin by default) and the second factor, and are
 * audited with the root and path as the target. Every refusal — role, root, path, what exists —
 * comes before the second factor is verified (the plan* methods); the host's file agent refuses
 * again, on what it opens, anything outside the root, secret or on a kernel file system.
 */
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { FILE_ROOT_NAME } from '../../managers/files/config.js';
import {
  LIST_SORT_KEYS,
  MAX_LIST_LIMIT,
  REL_PATH_PATTERN,
  contentDisposition,
  contentType,
  relPathProblem,
  type FileLocation,
  type FileManager,
} from '../../managers/files/index.js';
import type { Role } from '../../security/roles.js';
import { HyperionError } from '../../util/errors.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { hostName, queryInt } from '../schemas.js';

const TAG = 'files';

const rootName = z
  .string()
  .regex(FILE_ROOT_NAME, 'a root name is 1–63 letters, digits, ".", "_" or "-"')
  .describe('Name of a file root (GET /hosts/{host}/files lists them)');

/** Checked twice on purpose: the specific message first, the pattern for the OpenAPI document. */
const relPath = z
  .string()
  .max(4096)
  .superRefine((value, ctx) => {
    const problem = relPathProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .regex(REL_PATH_PATTERN, 'not a valid path inside a root')
  .describe('Path inside the root, segments separated by "/"; empty for the root itself');

const fileParams = z.object({ host: hostName, root: rootName, path: relPath }).strict();

/** A flag in a query string: ?flag=true or ?flag=false. */
const flag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');

const location = z.object({ root: rootName, path: relPath }).strict();

const transferBody = z
  .object({
    items: z
      .array(z.object({ from: location, to: location }).strict())
      .min(1)
      .max(100)
      .describe('What goes where: each destination is the full new path (a rename is a move)'),
    overwrite: z.boolean().default(false).describe('Replace existing files (never directories)'),
  })
  .strict();

const getQuery = z
  .object({
    download: z
      .enum(['', 'true', 'attachment', 'inline'])
      .optional()
      .describe('Stream the file: as an attachment, or inline (sandboxed) for viewing in a browser'),
    text: z.enum(['', 'true']).optional().describe('Return a small UTF-8 file with its ETag, for the editor'),
    sort: z.enum(LIST_SORT_KEYS).default('name'),
    order: z.enum(['asc', 'desc']).default('asc'),
    dirsFirst: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true')
      .describe('Directories (and links to them) before files'),
    offset: queryInt(0, 10_000_000).default(0),
    limit: queryInt(1, MAX_LIST_LIMIT).default(1000),
  })
  .strict();

function where(loc: FileLocation): string {
  return `${loc.root}:/${loc.path}`;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

type RequireRole = (role: Role, why: string) => void;

/** The role each touched root needs for reading, before anything is resolved. */
function requireRead(manager: FileManager, roots: readonly string[], requireRole: RequireRole): void {
  for (const root of new Set(roots)) requireRole(manager.readRole(root), `reading in file root "${root}"`);
}

/** The role each touched root needs for writing (reading it too), before anything is resolved. */
function requireWrite(manager: FileManager, roots: readonly string[], requireRole: RequireRole): void {
  requireRead(manager, roots, requireRole);
  for (const root of new Set(roots)) requireRole(manager.writeRole(root), `writing in file root "${root}"`);
}

/** A read of a file's contents is audited like an action. */
function contentRead(query: { download?: string; text?: string }): string | undefined {
  if (query.download !== undefined) return 'file.download';
  if (query.text !== undefined) return 'file.read';
  return undefined;
}

async function sendDownload(
  manager: FileManager,
  loc: FileLocation,
  disposition: 'attachment' | 'inline',
  req: Request,
  res: Response,
): Promise<undefined> {
  const download = await manager.openDownload(loc, header(req, 'range'));
  const { entry, size, range, stream } = download;
  if (range.kind === 'unsatisfiable' || !stream) {
    res.setHeader('Content-Range', `bytes */${size}`);
    throw new HyperionError(
      'range-not-satisfiable',
      `the range ${header(req, 'range')} is outside ${where(loc)} (${size} bytes)`,
    );
  }
  res.setHeader('Content-Type', contentType(entry.name));
  res.setHeader('Content-Disposition', contentDisposition(disposition, entry.name));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Last-Modified', new Date(entry.mtime).toUTCString());
  res.setHeader('Cache-Control', 'private, no-cache');
  // Served from the exporter's origin: never let a downloaded page run scripts or be sniffed.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; media-src 'self'");
  if (range.kind === 'partial') {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200);
    // Kernel files report 0 bytes: their length is only known at the end (chunked).
    if (size > 0) res.setHeader('Content-Length', String(size));
  }
  if (req.method === 'HEAD') {
    (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    res.end();
    return undefined;
  }
  // Not awaited: a large download outlives the API's request timeout. A failure half-way can
  // only cut the connection, which the client sees as an incomplete download.
  pipeline(stream, res).catch(() => res.destroy());
  return undefined;
}

export function fileRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/files',
      summary: 'The file roots of a host, whether each is writable and by whom, and the size limits',
      tag: TAG,
      role: 'viewer',
      params: z.object({ host: hostName }).strict(),
      async handler({ host, actor }) {
        return { body: deps.managers.files(host).roots(actor.role) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/hosts/{host}/files/{root}/{path*}',
      summary:
        'A directory listing (sorted, paged) or a file’s details; ?download streams the file (Range supported), ?text returns it for the editor with an ETag',
      tag: TAG,
      role: 'viewer',
      params: fileParams,
      query: getQuery,
      auditRead: contentRead,
      authorize({ host, params, query, requireRole, setAuditTarget }) {
        if (contentRead(query)) setAuditTarget(where(params));
        if (query.download !== undefined && query.text !== undefined) {
          throw new HyperionError('bad-request', 'ask for either download or text, not both', {
            field: 'query/text',
          });
        }
        requireRead(deps.managers.files(host), [params.root], requireRole);
      },
      async handler({ host, params, query, req, res }) {
        const manager = deps.managers.files(host);
        const loc = { root: params.root, path: params.path };
        if (query.download !== undefined) {
          return sendDownload(manager, loc, query.download === 'inline' ? 'inline' : 'attachment', req, res);
        }
        if (query.text !== undefined) {
          const text = await manager.readText(loc);
          res.setHeader('ETag', text.etag);
          res.setHeader('Cache-Control', 'no-store');
          return { body: text };
        }
        const { sort, order, dirsFirst, offset, limit } = query;
        return { body: await manager.get(loc, { sort, order, dirsFirst, offset, limit }) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/hosts/{host}/files/{root}/{path*}',
      summary:
        'Upload a file (the raw body, streamed; limited by files.uploadLimitBytes). An existing file is replaced only with overwrite=true or a matching If-Match (412 otherwise); If-None-Match: * creates only',
      tag: TAG,
      role: 'operator',
      action: 'file.upload',
      rawBody: true,
      params: fileParams,
      query: z
        .object({
          overwrite: flag.describe('Replace an existing file'),
          parents: flag.describe('Create missing parent directories'),
        })
        .strict(),
      async authorize({ host, params, query, req, requireRole, setAuditTarget }) {
        const manager = deps.managers.files(host);
        const loc = { root: params.root, path: params.path };
        setAuditTarget(where(loc));
        requireWrite(manager, [loc.root], requireRole);
        const length = header(req, 'content-length');
        return manager.planUpload(loc, {
          overwrite: query.overwrite,
          parents: query.parents,
          ifMatch: header(req, 'if-match'),
          ifNoneMatch: header(req, 'if-none-match'),
          ...(length !== undefined && /^\d+$/.test(length) ? { contentLength: Number(length) } : {}),
        });
      },
      async handler({ host, req, res, plan }) {
        const result = await deps.managers.files(host).uploadPlanned(plan, req);
        if (result.etag) res.setHeader('ETag', result.etag);
        return { status: result.created ? 201 : 200, body: result };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/hosts/{host}/files/{root}/{path*}',
      summary: 'Delete a file or link; a directory only with recursive=true (and everything in it)',
      tag: TAG,
      role: 'operator',
      action: 'file.delete',
      params: fileParams,
      query: z.object({ recursive: flag.describe('Required to delete a directory') }).strict(),
      async authorize({ host, params, query, requireRole, setAuditTarget }) {
        const manager = deps.managers.files(host);
        const loc = { root: params.root, path: params.path };
        setAuditTarget(where(loc));
        requireWrite(manager, [loc.root], requireRole);
        return manager.planRemove(loc, query.recursive);
      },
      async handler({ host, plan }) {
        return { body: await deps.managers.files(host).removePlanned(plan) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/file-operations/mkdir',
      summary: 'Create a directory (parents=true also creates missing parents)',
      tag: TAG,
      role: 'operator',
      action: 'file.mkdir',
      params: z.object({ host: hostName }).strict(),
      body: z.object({ root: rootName, path: relPath, parents: z.boolean().default(false) }).strict(),
      async authorize({ host, body, requireRole, setAuditTarget }) {
        const manager = deps.managers.files(host);
        setAuditTarget(where(body));
        requireWrite(manager, [body.root], requireRole);
        return manager.planMkdir({ root: body.root, path: body.path }, body.parents);
      },
      async handler({ host, plan }) {
        return { status: 201, body: await deps.managers.files(host).mkdirPlanned(plan) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/file-operations/move',
      summary:
        'Move or rename files and directories, within a root or across roots; all items are checked before any moves',
      tag: TAG,
      role: 'operator',
      action: 'file.move',
      params: z.object({ host: hostName }).strict(),
      body: transferBody,
      async authorize({ host, body, requireRole, setAuditTarget }) {
        const manager = deps.managers.files(host);
        setAuditTarget(transferTarget(body.items));
        requireWrite(
          manager,
          body.items.flatMap((i) => [i.from.root, i.to.root]),
          requireRole,
        );
        return manager.planTransfer('move', body.items, body.overwrite);
      },
      async handler({ host, plan }) {
        return { body: await deps.managers.files(host).transferPlanned(plan) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/file-operations/copy',
      summary:
        'Copy files and directories (recursively), within a root or across roots; all items are checked before any is copied',
      tag: TAG,
      role: 'operator',
      action: 'file.copy',
      params: z.object({ host: hostName }).strict(),
      body: transferBody,
      async authorize({ host, body, requireRole, setAuditTarget }) {
        const manager = deps.managers.files(host);
        setAuditTarget(transferTarget(body.items));
        requireRead(
          manager,
          body.items.map((i) => i.from.root),
          requireRole,
        );
        requireWrite(
          manager,
          body.items.map((i) => i.to.root),
          requireRole,
        );
        return manager.planTransfer('copy', body.items, body.overwrite);
      },
      async handler({ host, plan }) {
        return { body: await deps.managers.files(host).transferPlanned(plan) };
      },
    }),
  ];
}

function transferTarget(items: readonly { from: FileLocation; to: FileLocation }[]): string {
  const first = items[0]!;
  const more = items.length > 1 ? ` (+${items.length - 1} more)` : '';
  return `${where(first.from)} → ${where(first.to)}${more}`;
}
