import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsContentStore } from './fs-content-store';
import { HOT_BLOB_MAX_BYTES, HotContent } from './hot-content';

describe('HotContent: small blobs in memory, verified once, over a real filesystem store', () => {
  let root: string;
  let store: FsContentStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rg-hot-'));
    store = new FsContentStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const stored = async (bytes: Buffer) => (await store.put(Readable.from([bytes]), { maxBytes: bytes.length })).sha256;
  /** the blob's file on disk is gone: only memory can answer now */
  const unlinked = (sha256: string) => rm(store.pathOf(sha256));

  it('given a small blob, when it is asked for twice, then the second answer comes from memory', async () => {
    const bytes = randomBytes(256 * 1024);
    const sha256 = await stored(bytes);
    const hot = new HotContent(store, 4 * 1024 * 1024);
    expect(await hot.bytes(sha256, bytes.length)).toEqual({ kind: 'bytes', bytes });
    await unlinked(sha256);
    expect(await hot.bytes(sha256, bytes.length)).toEqual({ kind: 'bytes', bytes });
    expect(hot.keptBytes).toBe(bytes.length);
  });

  it('given downloads asking at once, when the blob is not kept yet, then one read answers them all', async () => {
    const bytes = randomBytes(100_000);
    const sha256 = await stored(bytes);
    const hot = new HotContent(store, 4 * 1024 * 1024);
    let reads = 0;
    const read = store.read.bind(store);
    store.read = (...args) => {
      reads += 1;
      return read(...args);
    };
    const answers = await Promise.all(Array.from({ length: 20 }, () => hot.bytes(sha256, bytes.length)));
    expect(answers.every((a) => a.kind === 'bytes' && a.bytes.equals(bytes))).toBe(true);
    expect(reads).toBe(1);
  });

  it('given a blob whose bytes no longer match its name, then it is reported corrupt and never kept', async () => {
    const bytes = randomBytes(50_000);
    const sha256 = await stored(bytes);
    const corrupted = Buffer.from(bytes);
    corrupted[4_321] ^= 0x01;
    await writeFile(store.pathOf(sha256), corrupted);
    const hot = new HotContent(store, 4 * 1024 * 1024);
    expect(await hot.bytes(sha256, bytes.length)).toEqual({ kind: 'corrupt' });
    expect(hot.keptBytes).toBe(0);
  });

  it('keeps nothing above 1 MiB, nor beyond its budget: the least recently used blob goes first', async () => {
    const big = randomBytes(HOT_BLOB_MAX_BYTES + 1);
    const hot = new HotContent(store, 3 * 100_000);
    expect(await hot.bytes(await stored(big), big.length)).toEqual({ kind: 'not-kept' });

    const [a, b, c, d] = [1, 2, 3, 4].map(() => randomBytes(100_000));
    const [shaA, shaB, shaC, shaD] = await Promise.all([a, b, c, d].map(stored));
    for (const [sha, bytes] of [[shaA, a], [shaB, b], [shaC, c]] as const) await hot.bytes(sha, bytes.length);
    await hot.bytes(shaA, a.length); // A used again: B is now the least recently used
    await hot.bytes(shaD, d.length);
    expect(hot.keptBytes).toBe(300_000);
    await Promise.all([shaA, shaB, shaC, shaD].map(unlinked));
    // A, C and D answer from memory; B was dropped, and with its file gone its read fails.
    for (const [sha, bytes] of [[shaA, a], [shaC, c], [shaD, d]] as const) expect(await hot.bytes(sha, bytes.length)).toEqual({ kind: 'bytes', bytes });
    await expect(hot.bytes(shaB, b.length)).rejects.toThrow(/ENOENT/);
  });

  it('keeps nothing with a budget of 0', async () => {
    const bytes = randomBytes(10_000);
    const hot = new HotContent(store, 0);
    expect(await hot.bytes(createHash('sha256').update(bytes).digest('hex'), bytes.length)).toEqual({ kind: 'not-kept' });
  });
});
