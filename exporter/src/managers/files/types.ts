/** What the files manager answers, shaped for a file-manager UI (breadcrumbs, rows, paging). */
import type { FileInfo } from './info.js';
import type { RangeAnswer } from './range.js';

export type { FileInfo } from './info.js';

/** A place inside a root: the root's name and the path below it ("" is the root itself). */
export interface FileLocation {
  root: string;
  path: string;
}

export interface RootSummary {
  name: string;
  path: string;
  /** The least role that may read here. */
  readRole: 'viewer' | 'operator' | 'admin';
  writable: boolean;
  /** The least role that may write here (null for a read-only root). */
  writeRole: 'operator' | 'admin' | null;
}

export interface RootList {
  items: RootSummary[];
  uploadLimitBytes: number;
  textLimitBytes: number;
}

export interface Breadcrumb {
  name: string;
  /** Path inside the root; "" for the root. */
  path: string;
}

interface Located {
  root: string;
  path: string;
  /** From the root down to this path, each with the path to list it. */
  breadcrumbs: Breadcrumb[];
  /** The file or directory itself, links followed. */
  entry: FileInfo;
}

export interface DirectoryListing extends Located {
  kind: 'directory';
  total: number;
  offset: number;
  limit: number;
  items: FileInfo[];
}

export interface FileDetail extends Located {
  kind: 'file';
}

export interface Download {
  entry: FileInfo;
  /** Size from stat; 0 for kernel files (procfs) whose size is only known by reading them. */
  size: number;
  range: RangeAnswer;
  /** Absent when the range cannot be satisfied. */
  stream?: NodeJS.ReadableStream;
}

export interface TextFile extends Located {
  content: string;
  etag: string;
}

export interface UploadRequest {
  /** Replace an existing file (otherwise an existing file is a 409). */
  overwrite: boolean;
  /** Create missing parent directories. */
  parents: boolean;
  /** If-Match: replace only if the file's current tag is listed. */
  ifMatch?: string;
  /** If-None-Match: "*" means create only. */
  ifNoneMatch?: string;
  contentLength?: number;
}

export interface WriteResult {
  root: string;
  path: string;
  entry: FileInfo;
  /** True when the file did not exist before. */
  created: boolean;
  /** The new content's tag, for the next If-Match. */
  etag?: string;
}

export interface TransferItem {
  from: FileLocation;
  to: FileLocation;
}

export interface TransferResult {
  items: { from: FileLocation; to: FileLocation; entry: FileInfo }[];
}

export interface DeleteResult {
  root: string;
  path: string;
  type: FileInfo['type'];
  deleted: true;
}
