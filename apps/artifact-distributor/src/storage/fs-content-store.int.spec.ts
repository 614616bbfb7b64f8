import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentTooLargeError } from './content-errors';
import { collectGarbage } from './content-gc';
import { FsContentStore } from './fs-content-store';

describe('FsContentStore on a real filesystem', () => {
  let root: string;
  let store: FsContentStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rg-content-'));
    store = new FsContentStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const digest = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');
  const chunked = (bytes: Buffer, size = 7919) => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

  it('stores streamed content under its sha256 with all digests from one pass', async () => {
    const bytes = randomBytes(1_000_003);
    const stored = await store.put(chunked(bytes), { maxBytes: 2_000_000 });
    expect(stored).toEqual({ sha256: digest('sha256', bytes), sha1: digest('sha1', bytes), md5: digest('md5', bytes), size: bytes.length, created: true });
    expect(await readFile(store.pathOf(stored.sha256))).toEqual(bytes);
    expect(await store.size(stored.sha256)).toBe(bytes.length);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('keeps one copy of the same content, also when uploaded concurrently', async () => {
    const bytes = randomBytes(300_000);
    const results = await Promise.all([1, 2, 3].map(() => store.put(chunked(bytes), { maxBytes: bytes.length })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    expect(await readdir(join(root, 'sha256', results[0].sha256.slice(0, 2)))).toEqual([results[0].sha256]);
  });

  it('refuses content over the maximum and keeps nothing of it', async () => {
    const bytes = randomBytes(100_001);
    await expect(store.put(chunked(bytes), { maxBytes: 100_000 })).rejects.toBeInstanceOf(ContentTooLargeError);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await store.size(digest('sha256', bytes))).toBeUndefined();
  });

  it('reads ranges and detects a corrupted blob', async () => {
    const bytes = randomBytes(10_000);
    const { sha256 } = await store.put(Readable.from([bytes]), { maxBytes: 10_000 });
    const chunks: Buffer[] = [];
    for await (const chunk of store.read(sha256, { start: 100, end: 199 })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes.subarray(100, 200));
    expect(await store.verify(sha256)).toBe(true);
    const corrupted = Buffer.from(bytes);
    corrupted[5000] ^= 0xff;
    await writeFile(store.pathOf(sha256), corrupted);
    expect(await store.verify(sha256)).toBe(false);
  });

  it('never maps a name outside the root', () => {
    expect(() => store.pathOf('../../etc/passwd')).toThrow(/not a sha256/);
  });

  it('lists blobs and collects the unreferenced ones once their grace has passed', async () => {
    const a = await store.put(Readable.from([randomBytes(100)]), { maxBytes: 1000 });
    const b = await store.put(Readable.from([randomBytes(200)]), { maxBytes: 1000 });
    const listed = [];
    for await (const blob of store.list()) listed.push(blob.sha256);
    expect(listed.sort()).toEqual([a.sha256, b.sha256].sort());
    const now = Date.now();
    expect(await collectGarbage(store, new Set([a.sha256]), now, 60_000)).toEqual({ removed: [], bytesFreed: 0, kept: 2 });
    expect(await collectGarbage(store, new Set([a.sha256]), now + 120_000, 60_000)).toEqual({ removed: [b.sha256], bytesFreed: 200, kept: 1 });
    expect(await store.size(b.sha256)).toBeUndefined();
    expect(await store.size(a.sha256)).toBe(100);
  });
});
