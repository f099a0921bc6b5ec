/**
 * File contents over the connection's SFTP session: streamed downloads (with byte ranges) and
 * uploads, and whole small files. A write stream finishes only once its data is on the host's
 * disk (fsync@openssh.com where the server has it) and the handle is closed, as LocalHost's
 * `flush: true` promises locally.
 */
import { Writable } from 'node:stream';
import type { OpenMode, SFTPWrapper } from 'ssh2';
import type { ReadStreamOptions } from '../host.js';
import { errnoError, sftpError } from './errno.js';

type Sftp = SFTPWrapper;

export function open(
  sftp: Sftp,
  path: string,
  flags: OpenMode,
  mode: number | undefined,
  host: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const callback = (error: Error | undefined, handle: Buffer) =>
      error ? reject(sftpError(error, path, host)) : resolve(handle);
    if (mode === undefined) sftp.open(path, flags, callback);
    else sftp.open(path, flags, { mode }, callback);
  });
}

function close(sftp: Sftp, handle: Buffer): Promise<void> {
  return new Promise((resolve) => sftp.close(handle, () => resolve()));
}

function write(
  sftp: Sftp,
  handle: Buffer,
  data: Buffer,
  position: number,
  path: string,
  host: string,
): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.write(handle, data, 0, data.length, position, (error) =>
      error ? reject(sftpError(error, path, host)) : resolve(),
    ),
  );
}

/** fsync@openssh.com; a server without the extension gets the data on close, as NFS would. */
function fsync(sftp: Sftp, handle: Buffer): Promise<void> {
  return new Promise((resolve) => {
    try {
      sftp.ext_openssh_fsync(handle, () => resolve());
    } catch {
      resolve(); // the extension is not offered
    }
  });
}

export async function readStream(
  sftp: Sftp,
  path: string,
  options: ReadStreamOptions,
  host: string,
): Promise<NodeJS.ReadableStream> {
  // Opened first, so a missing file rejects here and not as a stream error after headers went out.
  const handle = await open(sftp, path, 'r', undefined, host);
  return sftp.createReadStream(path, {
    handle,
    autoClose: true,
    ...(options.start === undefined ? {} : { start: options.start }),
    ...(options.end === undefined ? {} : { end: options.end }),
  });
}

/** A Writable over an open handle: every write acknowledged in order, fsync and close at the end. */
class SftpWriter extends Writable {
  private position = 0;
  private released = false;

  constructor(
    private readonly sftp: Sftp,
    private readonly handle: Buffer,
    private readonly path: string,
    private readonly host: string,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const at = this.position;
    this.position += chunk.length;
    write(this.sftp, this.handle, chunk, at, this.path, this.host).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    fsync(this.sftp, this.handle)
      .then(() => this.release())
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await close(this.sftp, this.handle);
  }
}

/** Opens a new file for writing; EEXIST when something is there (SFTP says only "failure"). */
export async function writeStream(
  sftp: Sftp,
  path: string,
  mode: number,
  host: string,
  exists: (path: string) => Promise<boolean>,
): Promise<NodeJS.WritableStream> {
  let handle: Buffer;
  try {
    handle = await open(sftp, path, 'wx', mode, host);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EIO' && (await exists(path))) {
      throw errnoError('EEXIST', `File exists: ${path} on host ${host}`, path);
    }
    throw error;
  }
  return new SftpWriter(sftp, handle, path, host);
}

export async function writeWhole(
  sftp: Sftp,
  path: string,
  data: Buffer,
  mode: number,
  host: string,
): Promise<void> {
  const handle = await open(sftp, path, 'w', mode, host);
  try {
    // ssh2 splits a large buffer into packets itself.
    if (data.length > 0) await write(sftp, handle, data, 0, path, host);
    await fsync(sftp, handle);
  } finally {
    await close(sftp, handle);
  }
}
