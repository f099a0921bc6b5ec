/**
 * Receiving an upload: the body is streamed into a new temporary file next to where it will
 * live (same directory, so the final rename is atomic and never crosses file systems), counted
 * against the size limit and hashed on the way. Whatever stops it — the limit, a client that
 * goes away, a client that goes quiet, a full disk — the temporary file is removed before the
 * error travels on, so a cut-off upload leaves nothing behind. Only a crash of the exporter
 * itself can leave a ".hyperion-upload-*.part" file.
 */
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Host } from '../../hosts/host.js';
import { HyperionError } from '../../util/errors.js';
import { etagOf, newHash } from './etag.js';
import { joinPath } from './containment.js';
import { fsError } from './fs-errors.js';

export const TEMP_PREFIX = '.hyperion-upload-';

export interface Received {
  temp: string;
  size: number;
  etag: string;
}

export interface ReceiveOptions {
  limitBytes: number;
  idleMs: number;
  mode: number;
}

/** Passes bytes through, counting and hashing them, and fails past the limit or when idle. */
class Meter extends Transform {
  size = 0;
  readonly hash = newHash();
  private readonly idle: NodeJS.Timeout;

  constructor(
    private readonly limitBytes: number,
    idleMs: number,
  ) {
    super();
    this.idle = setTimeout(() => {
      this.destroy(
        new HyperionError('bad-request', `the upload stalled: no data for ${Math.round(idleMs / 1000)} s`),
      );
    }, idleMs);
    this.idle.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limitBytes) {
      callback(
        new HyperionError(
          'payload-too-large',
          `the upload is larger than the limit of ${this.limitBytes} bytes`,
        ),
      );
      return;
    }
    this.idle.refresh();
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.idle);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idle);
    callback(error);
  }
}

export async function receive(
  host: Host,
  source: NodeJS.ReadableStream,
  root: string,
  dir: string,
  options: ReceiveOptions,
): Promise<Received> {
  const temp = joinPath(dir, [`${TEMP_PREFIX}${randomBytes(8).toString('hex')}.part`]);
  // Created with O_EXCL: a temporary name can never land on an existing file or link.
  const sink = await host.files.create(root, temp, options.mode);
  const meter = new Meter(options.limitBytes, options.idleMs);
  // The source is piped by hand rather than handed to pipeline(): pipeline destroys every
  // stream on failure, and destroying an HTTP request destroys its connection — before the
  // refusal (413) could be answered on it. A source that fails or closes early fails the meter.
  let ended = false;
  const onEnd = () => (ended = true);
  const onError = (error: Error) => meter.destroy(error);
  const onClose = () => {
    if (!ended) meter.destroy(new Error('the request stream closed before its end'));
  };
  source.on('end', onEnd);
  source.on('error', onError);
  source.on('close', onClose);
  source.pipe(meter);
  try {
    await pipeline(meter, sink);
  } catch (error) {
    await host.files.remove(root, temp).catch(() => undefined);
    if (error instanceof HyperionError) throw error;
    // The file system's own failures (full disk, permissions) say what they are; anything else
    // is the request stream ending early: the client went away or the connection broke.
    const described = fsError(error, 'the upload');
    if (described !== error) throw described;
    throw new HyperionError(
      'bad-request',
      `the upload was cut off after ${meter.size} bytes; nothing was kept`,
      {
        cause: error,
      },
    );
  } finally {
    source.unpipe(meter);
    source.off('end', onEnd);
    source.off('error', onError);
    source.off('close', onClose);
  }
  return { temp, size: meter.size, etag: etagOf(meter.hash) };
}
