/**
 * The files manager of one host: list, download, read as text, upload, mkdir, move, copy and
 * delete, only below the configured roots. Written against the Host interface alone, so it
 * works unchanged on a remote host. Every path goes through names.ts (syntax) and
 * containment.ts (where it really leads) before anything is read or written; the role a write
 * needs is the route's business (writeRole), whether a root may be written at all is checked
 * here again.
 */
import path from 'node:path';
import type { EntryType, FileEntry, Host } from '../../hosts/host.js';
import { HyperionError } from '../../util/errors.js';
import {
  resolveEntry,
  resolveExisting,
  resolveTarget,
  joinPath,
  type RootHandle,
  type Target,
} from './containment.js';
import { etagOfBytes, etagOfFile, ifMatchSatisfied } from './etag.js';
import { describe, errnoOf, fsError } from './fs-errors.js';
import { IdentityCache, type Identities } from './identities.js';
import { hasRole, type Role } from '../../security/roles.js';
import { toFileInfo, type FileInfo } from './info.js';
import { DEFAULT_LIST_LIMIT, pageOf, sortEntries, type ListQuery } from './listing.js';
import { display, splitRelPath } from './names.js';
import { parseRange } from './range.js';
import { receive } from './receive.js';
import type { FileRoot, FileSettings } from './settings.js';
import { checkPlans, copyInto, moveOne, type TransferPlan } from './transfer.js';
import type {
  Breadcrumb,
  DeleteResult,
  DirectoryListing,
  Download,
  FileDetail,
  FileLocation,
  RootList,
  TextFile,
  TransferItem,
  TransferResult,
  UploadRequest,
  WriteResult,
} from './types.js';

export type * from './types.js';
export { LIST_SORT_KEYS, MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT, type ListQuery } from './listing.js';

/** Links whose targets a listing looks up (each a request to the agent). */
const MAX_LINK_TARGETS = 2000;

/** An upload, checked: where it goes and what is there now. */
export interface UploadPlan {
  handle: RootHandle;
  segments: string[];
  target: Target;
  request: UploadRequest;
}

export interface MkdirPlan {
  handle: RootHandle;
  segments: string[];
  path: string;
  parents: boolean;
}

export interface RemovePlan {
  handle: RootHandle;
  segments: string[];
  path: string;
  type: EntryType;
  recursive: boolean;
}

type ItemPlan = TransferPlan & { to: { root: string; segments: string[] }; from: FileLocation };

export interface TransferPlans {
  verb: 'move' | 'copy';
  plans: ItemPlan[];
}

export class FileManager {
  private readonly identities: IdentityCache;
  private readonly rootsHere: FileRoot[];

  constructor(
    private readonly host: Host,
    private readonly settings: FileSettings,
  ) {
    this.identities = new IdentityCache(host);
    this.rootsHere = settings.roots.filter((r) => !r.hosts || r.hosts.includes(host.name));
  }

  /** The roots `role` may read here (the others are not even named to it). */
  roots(role: Role): RootList {
    return {
      items: this.rootsHere
        .filter((r) => hasRole(role, r.readRole))
        .map((r) => ({
          name: r.name,
          path: r.path,
          readRole: r.readRole,
          writable: r.writable,
          writeRole: r.writable ? r.writeRole : null,
        })),
      uploadLimitBytes: this.settings.uploadLimitBytes,
      textLimitBytes: this.settings.textLimitBytes,
    };
  }

  root(name: string): FileRoot {
    const root = this.rootsHere.find((r) => r.name === name);
    if (!root) {
      const known = this.rootsHere.map((r) => r.name).join(', ') || 'none';
      throw new HyperionError(
        'not-found',
        `no file root "${name}" on host ${this.host.name} (roots: ${known})`,
      );
    }
    return root;
  }

  /** The role reading in `rootName` needs (and an unknown root refuses here). */
  readRole(rootName: string): Role {
    return this.root(rootName).readRole;
  }

  /** The role writing in `rootName` needs; a read-only root refuses here. */
  writeRole(rootName: string): 'operator' | 'admin' {
    const root = this.root(rootName);
    if (!root.writable) {
      throw new HyperionError('conflict', `root "${root.name}" is read-only (configuration: files.roots)`);
    }
    return root.writeRole;
  }

  /** A directory listing, or the details of a file. */
  async get(location: FileLocation, query: ListQuery = {}): Promise<DirectoryListing | FileDetail> {
    const { handle, segments } = await this.locate(location);
    const found = await resolveExisting(this.host, handle, segments);
    const ids = await this.identities.get();
    const entry = this.info(found.entry, handle.name, segments, ids);
    const located = {
      root: handle.name,
      path: segments.join('/'),
      breadcrumbs: breadcrumbs(handle.name, segments),
      entry,
    };
    if (found.entry.type !== 'dir') return { kind: 'file', ...located };

    const entries = await describe(
      this.host.files.list(handle.real, found.real),
      display(handle.name, segments),
    );
    const targets = await this.linkTargets(handle.real, found.real, entries);
    const prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;
    const items = sortEntries(
      entries.map((e) => toFileInfo(e, prefix + e.name, ids, targets.get(e.name))),
      query,
    );
    const offset = query.offset ?? 0;
    const limit = query.limit ?? DEFAULT_LIST_LIMIT;
    return {
      kind: 'directory',
      ...located,
      total: items.length,
      offset,
      limit,
      items: pageOf(items, offset, limit),
    };
  }

  /** Opens a file for download; `rangeHeader` is the request's Range header. */
  async openDownload(location: FileLocation, rangeHeader: string | undefined): Promise<Download> {
    const { handle, segments } = await this.locate(location);
    const found = await resolveExisting(this.host, handle, segments);
    const what = display(handle.name, segments);
    assertRegularFile(found.entry, what, 'download');
    const entry = this.info(found.entry, handle.name, segments, await this.identities.get());
    const size = found.entry.size;
    // Kernel files (procfs, sysfs) say 0 bytes and have content: send them whole, length unknown.
    const range = size === 0 ? ({ kind: 'full' } as const) : parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') return { entry, size, range };
    const bounds =
      range.kind === 'partial'
        ? { start: range.start, end: range.end }
        : size > 0
          ? { start: 0, end: size - 1 }
          : {};
    const opened = await describe(this.host.files.read(handle.real, found.real, bounds), what);
    return { entry, size, range, stream: opened.stream };
  }

  /** A small UTF-8 text file with its tag, for the editor. */
  async readText(location: FileLocation): Promise<TextFile> {
    const { handle, segments } = await this.locate(location);
    const found = await resolveExisting(this.host, handle, segments);
    const what = display(handle.name, segments);
    assertRegularFile(found.entry, what, 'open in the editor');
    const limit = this.settings.textLimitBytes;
    if (found.entry.size > limit) throw tooLargeForEditor(what, found.entry.size, limit);
    const bytes = await describe(readBounded(this.host, handle.real, found.real, limit), what);
    if (bytes === undefined) throw tooLargeForEditor(what, found.entry.size, limit);
    const content = decodeText(bytes, what);
    const ids = await this.identities.get();
    return {
      root: handle.name,
      path: segments.join('/'),
      breadcrumbs: breadcrumbs(handle.name, segments),
      entry: this.info(found.entry, handle.name, segments, ids),
      content,
      etag: etagOfBytes(bytes),
    };
  }

  /**
   * Stores a streamed body as the file at `location`. Preconditions are checked before the first
   * byte is read; the body goes to a temporary file that is renamed into place when complete.
   */
  async upload(
    location: FileLocation,
    body: NodeJS.ReadableStream,
    request: UploadRequest,
  ): Promise<WriteResult> {
    return this.uploadPlanned(await this.planUpload(location, request), body);
  }

  /** Every refusal an upload can meet before its body is read (the API makes them before the code). */
  async planUpload(location: FileLocation, request: UploadRequest): Promise<UploadPlan> {
    this.writeRole(location.root);
    const { handle, segments } = await this.locate(location);
    const what = display(handle.name, segments);
    if (segments.length === 0)
      throw new HyperionError('bad-request', 'name the file to upload: a path inside the root');
    const target = await resolveTarget(this.host, handle, segments);
    const existing = target.existing;
    if (existing) {
      if (existing.entry.type !== 'file') {
        throw new HyperionError(
          'conflict',
          `${what} exists and is not a regular file (${existing.entry.type}); it is never replaced`,
        );
      }
      if (request.ifNoneMatch?.trim() === '*') {
        throw new HyperionError('precondition-failed', `${what} already exists (If-None-Match: *)`);
      }
      if (request.ifMatch !== undefined)
        await this.checkIfMatch(handle.real, existing.real, request.ifMatch, what);
      else if (!request.overwrite) {
        throw new HyperionError(
          'conflict',
          `${what} already exists; send overwrite=true, or If-Match with the tag you read, to replace it`,
        );
      }
    } else {
      if (request.ifMatch !== undefined) {
        throw new HyperionError(
          'precondition-failed',
          `${what} does not exist (If-Match needs an existing file)`,
        );
      }
      if (target.missing.length > 1 && !request.parents) {
        const dir = display(handle.name, segments.slice(0, segments.length - target.missing.length + 1));
        throw new HyperionError('not-found', `directory ${dir} does not exist; parents=true creates it`);
      }
    }
    const limit = this.settings.uploadLimitBytes;
    if (request.contentLength !== undefined && request.contentLength > limit) {
      throw new HyperionError(
        'payload-too-large',
        `the upload (${request.contentLength} bytes) is larger than the limit of ${limit} bytes`,
      );
    }
    return { handle, segments, target, request };
  }

  async uploadPlanned(plan: UploadPlan, body: NodeJS.ReadableStream): Promise<WriteResult> {
    const { handle, segments, target, request } = plan;
    const existing = target.existing;
    const what = display(handle.name, segments);
    const final = existing ? existing.real : joinPath(target.base, target.missing);
    // Beside the final file when it exists; otherwise in the deepest directory that exists, so a
    // failed upload does not even leave the parent directories it would have created.
    const dir = existing ? path.posix.dirname(existing.real) : target.base;
    // Never carry set-id bits over to new content.
    const mode = existing ? existing.entry.mode & 0o777 : 0o644;
    const received = await receive(this.host, body, handle.real, dir, {
      limitBytes: this.settings.uploadLimitBytes,
      idleMs: this.settings.uploadIdleMs,
      mode,
    });
    try {
      // What may have changed while the body arrived is checked again (this narrows the race
      // with other writers on the host; it cannot close it).
      if (existing && request.ifMatch !== undefined)
        await this.checkIfMatch(handle.real, existing.real, request.ifMatch, what);
      if (!existing && !request.overwrite && (await this.lstatOrUndefined(handle.real, final))) {
        throw new HyperionError('conflict', `${what} was created by someone else while the upload ran`);
      }
      if (target.missing.length > 1) {
        await this.host.files.mkdir(handle.real, joinPath(target.base, target.missing.slice(0, -1)), {
          parents: true,
        });
      }
      await this.host.files.rename(handle.real, received.temp, handle.real, final);
    } catch (error) {
      await this.host.files.remove(handle.real, received.temp).catch(() => undefined);
      throw fsError(error, what);
    }
    return {
      ...(await this.written(handle, segments, final)),
      created: !existing,
      etag: received.etag,
    };
  }

  async mkdir(location: FileLocation, parents: boolean): Promise<WriteResult> {
    return this.mkdirPlanned(await this.planMkdir(location, parents));
  }

  async planMkdir(location: FileLocation, parents: boolean): Promise<MkdirPlan> {
    this.writeRole(location.root);
    const { handle, segments } = await this.locate(location);
    const what = display(handle.name, segments);
    if (segments.length === 0) throw new HyperionError('bad-request', 'name the directory to create');
    if (parents) {
      const target = await resolveTarget(this.host, handle, segments);
      if (target.existing) throw new HyperionError('conflict', `${what} already exists`);
      return { handle, segments, path: joinPath(target.base, target.missing), parents };
    }
    const ref = await resolveEntry(this.host, handle, segments);
    if (ref.entry) throw new HyperionError('conflict', `${what} already exists`);
    return { handle, segments, path: ref.path, parents };
  }

  async mkdirPlanned(plan: MkdirPlan): Promise<WriteResult> {
    const what = display(plan.handle.name, plan.segments);
    await describe(this.host.files.mkdir(plan.handle.real, plan.path, { parents: plan.parents }), what);
    return { ...(await this.written(plan.handle, plan.segments, plan.path)), created: true };
  }

  /** Deletes a file, link or (only with `recursive`) a directory and everything in it. */
  async remove(location: FileLocation, recursive: boolean): Promise<DeleteResult> {
    return this.removePlanned(await this.planRemove(location, recursive));
  }

  async planRemove(location: FileLocation, recursive: boolean): Promise<RemovePlan> {
    this.writeRole(location.root);
    const { handle, segments } = await this.locate(location);
    const what = display(handle.name, segments);
    const ref = await resolveEntry(this.host, handle, segments);
    if (!ref.entry) throw new HyperionError('not-found', `${what} does not exist`);
    if (ref.entry.type === 'dir' && !recursive) {
      throw new HyperionError(
        'conflict',
        `${what} is a directory: pass recursive=true to delete it and everything in it`,
      );
    }
    return { handle, segments, path: ref.path, type: ref.entry.type, recursive };
  }

  async removePlanned(plan: RemovePlan): Promise<DeleteResult> {
    const what = display(plan.handle.name, plan.segments);
    await describe(this.host.files.remove(plan.handle.real, plan.path, { recursive: plan.recursive }), what);
    return { root: plan.handle.name, path: plan.segments.join('/'), type: plan.type, deleted: true };
  }

  async move(items: readonly TransferItem[], overwrite: boolean): Promise<TransferResult> {
    return this.transferPlanned(await this.planTransfer('move', items, overwrite));
  }

  async copy(items: readonly TransferItem[], overwrite: boolean): Promise<TransferResult> {
    return this.transferPlanned(await this.planTransfer('copy', items, overwrite));
  }

  /** Every item resolved and checked; nothing moved yet. */
  async planTransfer(
    verb: 'move' | 'copy',
    items: readonly TransferItem[],
    overwrite: boolean,
  ): Promise<TransferPlans> {
    const plans: ItemPlan[] = [];
    for (const item of items) {
      if (verb === 'move') this.writeRole(item.from.root);
      this.writeRole(item.to.root);
      const from = await this.locate(item.from, 'from/path');
      const to = await this.locate(item.to, 'to/path');
      const fromText = display(from.handle.name, from.segments);
      const toText = display(to.handle.name, to.segments);
      let source: string;
      let sourceEntry: FileEntry;
      if (verb === 'move') {
        // A move takes the entry itself: moving a link moves the link.
        const ref = await resolveEntry(this.host, from.handle, from.segments);
        if (!ref.entry) throw new HyperionError('not-found', `${fromText} does not exist`);
        source = ref.path;
        sourceEntry = ref.entry;
      } else {
        // A copy copies what the path shows, and refuses a link that leads outside its root.
        const found = await resolveExisting(this.host, from.handle, from.segments);
        if (from.segments.length === 0)
          throw new HyperionError(
            'bad-request',
            `copy a directory inside root "${from.handle.name}", not the root itself`,
          );
        source = found.real;
        sourceEntry = found.entry;
        if (sourceEntry.type === 'other') assertRegularFile(sourceEntry, fromText, 'copy');
      }
      const destination = await resolveEntry(this.host, to.handle, to.segments);
      plans.push({
        sourceRoot: from.handle.real,
        destinationRoot: to.handle.real,
        source,
        sourceEntry,
        destination,
        fromText,
        toText,
        from: item.from,
        to: { root: to.handle.name, segments: to.segments },
      });
    }
    checkPlans(plans, overwrite, verb);
    return { verb, plans };
  }

  async transferPlanned({ verb, plans }: TransferPlans): Promise<TransferResult> {
    const done: TransferResult['items'] = [];
    for (const plan of plans) {
      try {
        if (verb === 'move') await moveOne(this.host, plan);
        else await copyInto(this.host, plan);
      } catch (error) {
        const described = fsError(error, `${verb} ${plan.fromText} → ${plan.toText}`);
        // Say what already happened: earlier items are done and stay done.
        if (described instanceof HyperionError && done.length > 0) {
          throw new HyperionError(
            described.type,
            `${described.message} (${done.length} earlier item(s) done)`,
            {
              extra: { done },
              cause: error,
            },
          );
        }
        throw described;
      }
      const written = await this.written(
        { name: plan.to.root, real: plan.destinationRoot },
        plan.to.segments,
        plan.destination.path,
      );
      done.push({
        from: plan.from,
        to: { root: plan.to.root, path: plan.to.segments.join('/') },
        entry: written.entry,
      });
    }
    return { items: done };
  }

  /** The root (resolved to its canonical path) and the segments of a location. */
  private async locate(
    location: FileLocation,
    field = 'path',
  ): Promise<{ handle: RootHandle; segments: string[] }> {
    const root = this.root(location.root);
    const segments = splitRelPath(location.path, field);
    return { handle: await this.handle(root), segments };
  }

  private async handle(root: FileRoot): Promise<RootHandle> {
    const handle = await this.resolve(root);
    // Every verb below this root from now on is done as the root's user.
    if (root.user !== undefined) this.host.files.actAs?.(handle.real, root.user);
    return handle;
  }

  /** The root's canonical directory, found (and made, for the default root) as the root's user. */
  private async resolve(root: FileRoot): Promise<RootHandle> {
    const what = `the directory ${root.path} of root "${root.name}"`;
    const files =
      root.user !== undefined && this.host.files.as ? this.host.files.as(root.user) : this.host.files;
    try {
      return { name: root.name, real: await files.realpath('/', root.path) };
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT' || !root.createOnDemand) throw fsError(error, what);
    }
    await describe(files.mkdir('/', root.path, { parents: true, mode: 0o750 }), `root "${root.name}"`);
    return { name: root.name, real: await describe(files.realpath('/', root.path), what) };
  }

  private info(entry: FileEntry, rootName: string, segments: readonly string[], ids: Identities): FileInfo {
    const name = segments.length === 0 ? rootName : segments[segments.length - 1]!;
    return toFileInfo({ ...entry, name }, segments.join('/'), ids);
  }

  /**
   * What each symlink of a listing leads to. A link that leads outside the root, or to what is
   * never served, shows as broken: even its type is not told.
   */
  private async linkTargets(
    root: string,
    dir: string,
    entries: readonly FileEntry[],
  ): Promise<Map<string, EntryType | 'broken'>> {
    const links = entries.filter((e) => e.type === 'symlink').slice(0, MAX_LINK_TARGETS);
    const out = new Map<string, EntryType | 'broken'>();
    const stats = await Promise.all(
      links.map((l) => this.host.files.stat(root, joinPath(dir, [l.name])).catch(() => undefined)),
    );
    links.forEach((l, i) => out.set(l.name, stats[i]?.type ?? 'broken'));
    return out;
  }

  private async checkIfMatch(root: string, real: string, ifMatch: string, what: string): Promise<void> {
    const current = await describe(etagOfFile(this.host, root, real), what);
    if (!ifMatchSatisfied(ifMatch, current)) {
      throw new HyperionError(
        'precondition-failed',
        `${what} changed since it was read (its tag is now ${current}); reload it and apply your change again`,
        {
          extra: { etag: current },
        },
      );
    }
  }

  private async lstatOrUndefined(root: string, p: string): Promise<FileEntry | undefined> {
    try {
      return await this.host.files.lstat(root, p);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The answer after a write: what is now at the path. */
  private async written(
    root: RootHandle,
    segments: readonly string[],
    real: string,
  ): Promise<Omit<WriteResult, 'created'>> {
    const entry = await describe(this.host.files.lstat(root.real, real), display(root.name, segments));
    return {
      root: root.name,
      path: segments.join('/'),
      entry: this.info(entry, root.name, segments, await this.identities.get()),
    };
  }
}

function breadcrumbs(rootName: string, segments: readonly string[]): Breadcrumb[] {
  return [
    { name: rootName, path: '' },
    ...segments.map((name, i) => ({ name, path: segments.slice(0, i + 1).join('/') })),
  ];
}

function assertRegularFile(entry: FileEntry, what: string, verb: string): void {
  if (entry.type === 'dir')
    throw new HyperionError('bad-request', `${what} is a directory; cannot ${verb} a directory`);
  // Devices, FIFOs and sockets: reading one may never end (/dev/zero, a FIFO nobody writes).
  if (entry.type !== 'file')
    throw new HyperionError(
      'bad-request',
      `${what} is not a regular file (a device, FIFO or socket); cannot ${verb} it`,
    );
}

function tooLargeForEditor(what: string, size: number, limit: number): HyperionError {
  return new HyperionError(
    'conflict',
    `${what} is larger than the editor's limit of ${limit} bytes; download it instead`,
    {
      extra: { reason: 'too-large', size, limit },
    },
  );
}

/** Reads at most `limit` bytes; undefined when the file turns out longer than its size said. */
async function readBounded(
  host: Host,
  root: string,
  real: string,
  limit: number,
): Promise<Buffer | undefined> {
  // One byte more than the limit tells a file that grew past it, without reading it all.
  const { stream } = await host.files.read(root, real, { start: 0, end: limit });
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    length += b.length;
    // Leaving the loop early closes the stream.
    if (length > limit) return undefined;
    chunks.push(b);
  }
  return Buffer.concat(chunks, length);
}

function decodeText(bytes: Buffer, what: string): string {
  const notText = () =>
    new HyperionError('conflict', `${what} is not a UTF-8 text file; download it instead`, {
      extra: { reason: 'not-text' },
    });
  if (bytes.includes(0)) throw notText();
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw notText();
  }
}
