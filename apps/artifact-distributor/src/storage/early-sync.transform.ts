import { fdatasync, type WriteStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

/** Dirty data allowed to pile up before a background sync starts. */
const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Sits in front of a file write stream that flushes (fsyncs) on close and starts a background fdatasync
 * every 32 MiB while the upload is still arriving, at most one at a time. The closing fsync then finds
 * little left to write, so durability costs a short wait at the end instead of writing the whole file back
 * after the last byte arrived (bench: upload_hash). A failed early sync is ignored: the closing one
 * reports any real problem.
 */
export class EarlySyncTransform extends Transform {
  private sinceSync = 0;
  private syncing = false;

  constructor(private readonly target: WriteStream) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sinceSync += chunk.length;
    // WriteStream has an `fd` once opened; @types/node does not declare it.
    const fd = (this.target as WriteStream & { fd?: number | null }).fd;
    if (this.sinceSync >= SYNC_EVERY_BYTES && !this.syncing && typeof fd === 'number') {
      this.sinceSync = 0;
      this.syncing = true;
      fdatasync(fd, () => (this.syncing = false));
    }
    callback(null, chunk);
  }
}
