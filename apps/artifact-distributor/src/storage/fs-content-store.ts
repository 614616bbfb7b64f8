import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobInfo, ContentReadOptions, ContentStore, StoredContent } from './content-store';
import { EarlySyncTransform } from './early-sync.transform';
import { HashingTransform } from './hashing.transform';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Content-addressed blobs on a local filesystem: `<root>/sha256/<first two hex>/<sha256>`.
 *
 * A write goes to `<root>/tmp/<uuid>` and becomes visible only by a hard link to its final name, which is
 * atomic and, unlike rename, fails instead of replacing when the name exists: a blob under its final name
 * is always complete, and two concurrent uploads of the same bytes both succeed with one copy kept.
 * The temp directory is on the same filesystem as the blobs, which link requires; the temp file is fsynced
 * (`flush`) before it is linked, so an artifact recorded in the log survives a crash of the machine.
 */
export class FsContentStore implements ContentStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredContent> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, randomUUID());
    const hashing = new HashingTransform(options.maxBytes);
    try {
      const out = createWriteStream(tmp, { flags: 'wx', flush: true });
      await pipeline(source, hashing, new EarlySyncTransform(out), out);
      const digests = await hashing.digests();
      const final = this.pathOf(digests.sha256);
      await mkdir(join(final, '..'), { recursive: true });
      const created = await link(tmp, final).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return false;
          throw error;
        },
      );
      return { ...digests, created };
    } finally {
      await Promise.all([hashing.close(), rm(tmp, { force: true })]);
    }
  }

  async size(sha256: string): Promise<number | undefined> {
    const info = await stat(this.pathOf(sha256)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    return info?.size;
  }

  read(sha256: string, options: ContentReadOptions = {}): Readable {
    // 1 MiB reads: far fewer syscalls and event-loop turns than the 64 KiB default on multi-GiB images.
    return createReadStream(this.pathOf(sha256), { start: options.start, end: options.end, highWaterMark: 1024 * 1024 });
  }

  async verify(sha256: string): Promise<boolean> {
    const hash = createHash('sha256');
    await pipeline(this.read(sha256), hash);
    return hash.digest('hex') === sha256;
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = join(this.root, 'sha256');
    for (const prefix of await readdir(base).catch(() => [] as string[])) {
      for (const name of await readdir(join(base, prefix)).catch(() => [] as string[])) {
        if (!SHA256.test(name)) continue;
        const info = await stat(join(base, prefix, name)).catch(() => undefined);
        if (info) yield { sha256: name, size: info.size, modifiedAtMs: info.mtimeMs };
      }
    }
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /** the blob's path; refuses anything that is not a sha256, so a name can never walk out of the root */
  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }
}
