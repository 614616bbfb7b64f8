import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Hashes a full read on its way out and fails the stream at its end when the bytes do not match the name
 * they are stored under. The response then ends without its last chunk, the client's length or hash
 * check fails, and `onCorrupt` takes the blob out of service, so corruption on disk is never delivered as
 * a clean download.
 */
export class VerifyingTransform extends Transform {
  private readonly hash = createHash('sha256');
  /** the latest chunk, held back until the previous ones are out, so the last one can be withheld */
  private pending: Buffer | undefined;

  constructor(
    private readonly sha256: string,
    private readonly onCorrupt: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    const previous = this.pending;
    this.pending = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    if (this.hash.digest('hex') === this.sha256) {
      callback(null, this.pending);
      return;
    }
    this.onCorrupt();
    callback(new Error(`stored content of ${this.sha256} does not match its sha256`));
  }
}
