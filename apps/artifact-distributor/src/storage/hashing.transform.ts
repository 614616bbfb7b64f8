import { Transform, type TransformCallback } from 'node:stream';
import type { ContentDigests } from './content-store';
import { ContentTooLargeError } from './content-errors';
import { HashingWorker, type Algorithm } from './hashing.worker';

/**
 * md5 alone costs about as much CPU as sha256 and sha1 together, so two workers split the work evenly and
 * the digests take the time of the slower half, not of all three.
 */
const WORKER_ALGORITHMS: Algorithm[][] = [['md5'], ['sha256', 'sha1']];

/**
 * Bytes are handed to the workers (and on to the disk) in batches of this size: per-message and per-write
 * costs on the main thread are paid once a MiB instead of once per 64 KiB socket read.
 */
const BATCH_BYTES = 1024 * 1024;

/**
 * Passes bytes through unchanged while worker threads compute sha256, sha1 and md5 of them, so the
 * content is read once however many digests it needs. Fails the pipeline as soon as the count passes
 * `maxBytes`: an oversized upload is cut off there, not after it has filled the disk.
 */
export class HashingTransform extends Transform {
  private readonly hashers = WORKER_ALGORITHMS.map((algorithms) => new HashingWorker(algorithms));
  private bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new ContentTooLargeError(this.maxBytes));
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < BATCH_BYTES) {
      callback();
      return;
    }
    this.sendBatch().then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.sendBatch().then(() => callback(), callback);
  }

  /** One copy into shared memory, read by every worker and written to disk from the same bytes. */
  private async sendBatch(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const shared = new SharedArrayBuffer(this.pendingBytes);
    const batch = Buffer.from(shared);
    let offset = 0;
    for (const chunk of this.pending) offset += chunk.copy(batch, offset);
    this.pending = [];
    this.pendingBytes = 0;
    await Promise.all(this.hashers.map((h) => h.update(shared)));
    this.push(batch);
  }

  /** Valid once the stream has finished. */
  async digests(): Promise<ContentDigests> {
    const parts = await Promise.all(this.hashers.map((h) => h.digests()));
    const { sha256, sha1, md5 } = Object.assign({}, ...parts) as Record<Algorithm, string>;
    return { sha256, sha1, md5, size: this.bytes };
  }

  /** Ends the worker thread; call whether the pipeline succeeded or not. */
  async close(): Promise<void> {
    await Promise.all(this.hashers.map((h) => h.close()));
  }
}
