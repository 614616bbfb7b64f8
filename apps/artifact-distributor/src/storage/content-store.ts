import type { Readable } from 'node:stream';

/** The digests and size of one blob, all computed in the single pass that stored it. */
export interface ContentDigests {
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
}

export interface StoredContent extends ContentDigests {
  /** false when the same bytes were already stored (deduplicated) */
  created: boolean;
}

export interface ContentReadOptions {
  /** inclusive byte offsets, as in a Range */
  start?: number;
  end?: number;
}

/**
 * Where artifact bytes live, keyed by their sha256. The filesystem implementation is the first; an object
 * store (S3 and friends) or a region cache fits behind the same interface. Metadata (names, versions,
 * tenants) is not the store's business: it lives in the event log.
 */
export interface ContentStore {
  /**
   * Streams `source` into the store, hashing as it goes. Rejects with ContentTooLargeError once more than
   * `maxBytes` arrived (nothing is kept), and leaves nothing behind on any failure.
   */
  put(source: Readable, options: { maxBytes: number }): Promise<StoredContent>;
  /** size of the stored blob, or undefined when absent */
  size(sha256: string): Promise<number | undefined>;
  /** a stream of the blob (or of a range of it); the caller has checked that it exists */
  read(sha256: string, options?: ContentReadOptions): Readable;
  /** re-hashes the blob: false when its bytes no longer match its name (bit rot, tampering) */
  verify(sha256: string): Promise<boolean>;
  /** every stored blob, for garbage collection */
  list(): AsyncIterable<BlobInfo>;
  /** deletes a blob (absent is fine) */
  remove(sha256: string): Promise<void>;
}

export interface BlobInfo {
  sha256: string;
  size: number;
  modifiedAtMs: number;
}
