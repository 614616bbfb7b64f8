import { createHash } from 'node:crypto';
import type { ContentStore } from './content-store';

/** Blobs up to this size are kept in memory; bigger ones are always streamed from the store. */
export const HOT_BLOB_MAX_BYTES = 1024 * 1024;

/** What `HotContent.bytes` found: the verified bytes, a blob whose bytes no longer match its name, or nothing kept. */
export type HotBytes = { kind: 'bytes'; bytes: Buffer } | { kind: 'corrupt' } | { kind: 'not-kept' };

/**
 * Small blobs in memory, read and verified once. A rollout sends the same update to thousands of devices
 * within minutes; streaming it from disk costs each download an open, reads into fresh buffers, a re-hash
 * and a close (the distributor spent ~8 ms of CPU per 256 KiB download in the 5,000-device demo, one of the
 * largest consumers while a wave downloads). Content is addressed by its sha256, so a kept copy can never be
 * stale; what it cannot tell is whether garbage collection removed the blob, which the caller checks first
 * (the store's size) as before. The check against the name happens when the blob is loaded, so a corrupt
 * blob is refused before a byte is sent, instead of being cut short at its end.
 *
 * Least recently used blobs go first once `maxTotalBytes` is reached; 0 keeps nothing.
 */
export class HotContent {
  /** in least-recently-used order: a hit moves its blob to the end */
  private readonly blobs = new Map<string, Buffer>();
  /** loads in flight, shared by the downloads that ask for the same blob meanwhile */
  private readonly loading = new Map<string, Promise<HotBytes>>();
  private totalBytes = 0;

  constructor(
    private readonly store: ContentStore,
    private readonly maxTotalBytes: number,
  ) {}

  /** The blob's verified bytes when it is small enough to keep; `size` is its size as the store reported it. */
  bytes(sha256: string, size: number): Promise<HotBytes> {
    if (size > HOT_BLOB_MAX_BYTES || size > this.maxTotalBytes) return Promise.resolve({ kind: 'not-kept' });
    const kept = this.blobs.get(sha256);
    if (kept) {
      this.blobs.delete(sha256);
      this.blobs.set(sha256, kept);
      return Promise.resolve({ kind: 'bytes', bytes: kept });
    }
    let load = this.loading.get(sha256);
    if (!load) {
      load = this.load(sha256).finally(() => this.loading.delete(sha256));
      this.loading.set(sha256, load);
    }
    return load;
  }

  /** bytes kept now (for tests and metrics) */
  get keptBytes(): number {
    return this.totalBytes;
  }

  private async load(sha256: string): Promise<HotBytes> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.store.read(sha256)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (createHash('sha256').update(bytes).digest('hex') !== sha256) return { kind: 'corrupt' };
    this.keep(sha256, bytes);
    return { kind: 'bytes', bytes };
  }

  private keep(sha256: string, bytes: Buffer): void {
    if (bytes.length > HOT_BLOB_MAX_BYTES || bytes.length > this.maxTotalBytes) return;
    for (const [oldest, old] of this.blobs) {
      if (this.totalBytes + bytes.length <= this.maxTotalBytes) break;
      this.blobs.delete(oldest);
      this.totalBytes -= old.length;
    }
    this.blobs.set(sha256, bytes);
    this.totalBytes += bytes.length;
  }
}
