import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import type { Pool } from 'pg';
import { ARTIFACT_EVENTS, artifactStreamId, eventType } from '@rollgate/contracts';
import { EVENT_STORE_MIGRATIONS, EventStore, runMigrations } from '@rollgate/event-store';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import { collectGarbage, type GcResult } from '../storage/content-gc';
import { FsContentStore } from '../storage/fs-content-store';
import { MODULE_LINK_EVENTS, referencedContentCounts } from './referenced-content.query';

jest.setTimeout(60_000);

const GRACE_MS = 60_000;
/** a collection this long after "now" sees every blob and upload of the test as older than the grace period */
const AFTER_GRACE_MS = GRACE_MS + 5_000;

/**
 * Garbage collection by reference, on the real PostgreSQL log and real files: the planner's module events are
 * appended here as the planner appends them (`softwaremodule-<id>` streams), the uploads as the distributor does.
 */
describe('garbage collection by module reference (real PostgreSQL, real files)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let events: EventStore;
  let root: string;
  let store: FsContentStore;
  let moduleSeq = 0;

  beforeAll(async () => {
    db = await createTestDatabase('rg_artifact_gc');
    await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
    pool = testPool(db.url);
    events = new EventStore(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rg-artifact-gc-'));
    store = new FsContentStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const hex = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');
  const append = async (tenant: string, streamId: string, type: string, data: Record<string, unknown>) =>
    events.append(tenant, streamId, await events.streamVersion(tenant, streamId), [{ type, data, metadata: { source: 'test', actor: 'test' } }]);

  /** stores the bytes and records `artifact-stored`, as an accepted upload does */
  const upload = async (tenant: string, bytes: Buffer): Promise<{ sha256: string; sha1: string; md5: string; size: number }> => {
    const stored = await store.put(Readable.from([bytes]), { maxBytes: bytes.length });
    const digests = { sha256: stored.sha256, sha1: stored.sha1, md5: stored.md5, size: stored.size };
    await append(tenant, artifactStreamId(stored.sha256), ARTIFACT_EVENTS.stored, { ...digests, fileName: 'image.swu' });
    return digests;
  };
  const createModule = async (tenant: string): Promise<string> => {
    moduleSeq += 1;
    const moduleId = `m${moduleSeq}-${randomBytes(4).toString('hex')}`;
    await append(tenant, `softwaremodule-${moduleId}`, eventType('softwaremodule', 'software-module-created'), {
      moduleId, name: moduleId, version: '1.0.0', type: 'os', description: '', vendor: '', by: 'admin', at: 1,
    });
    return moduleId;
  };
  const attach = (tenant: string, moduleId: string, artifactId: string, fileName: string, content: { sha256: string; sha1: string; md5: string; size: number }) =>
    append(tenant, `softwaremodule-${moduleId}`, MODULE_LINK_EVENTS.artifactAdded, { artifactId, fileName, ...content, by: 'admin', at: 2 });
  const detach = (tenant: string, moduleId: string, artifactId: string) =>
    append(tenant, `softwaremodule-${moduleId}`, MODULE_LINK_EVENTS.artifactRemoved, { artifactId, by: 'admin', at: 3 });
  const deleteModule = (tenant: string, moduleId: string) => append(tenant, `softwaremodule-${moduleId}`, MODULE_LINK_EVENTS.moduleDeleted, { by: 'admin', at: 4 });

  /** what `POST /artifacts/admin/v1/gc` does, at a chosen clock */
  const collectAt = async (nowMs: number): Promise<GcResult> => {
    const referenced = new Set((await referencedContentCounts(pool, nowMs - GRACE_MS)).keys());
    return collectGarbage(store, referenced, nowMs, GRACE_MS);
  };
  const holders = async (sha256: string) => (await referencedContentCounts(pool, Date.now() + AFTER_GRACE_MS)).get(sha256);
  const onDisk = (sha256: string) => stat(store.pathOf(sha256)).then(() => true, () => false);

  it('collects content removed from its module once the grace period is over, and only then', async () => {
    const content = await upload('acme', randomBytes(30_000));
    const moduleId = await createModule('acme');
    await attach('acme', moduleId, 'a1', 'image.swu', content);
    expect(await holders(content.sha256)).toBe(1);
    expect((await collectAt(Date.now() + AFTER_GRACE_MS)).removed).toEqual([]);

    await detach('acme', moduleId, 'a1');
    expect(await holders(content.sha256)).toBeUndefined();
    expect(await collectAt(Date.now())).toEqual({ removed: [], bytesFreed: 0, kept: 1 });
    expect(await onDisk(content.sha256)).toBe(true);

    expect(await collectAt(Date.now() + AFTER_GRACE_MS)).toEqual({ removed: [content.sha256], bytesFreed: 30_000, kept: 0 });
    expect(await onDisk(content.sha256)).toBe(false);
  });

  it('collects the content of a deleted module after the grace period', async () => {
    const content = await upload('acme', randomBytes(12_000));
    const moduleId = await createModule('acme');
    await attach('acme', moduleId, 'a1', 'image.swu', content);
    await deleteModule('acme', moduleId);
    expect(await holders(content.sha256)).toBeUndefined();
    expect((await collectAt(Date.now())).removed).toEqual([]);
    expect((await collectAt(Date.now() + AFTER_GRACE_MS)).removed).toEqual([content.sha256]);
    expect(await onDisk(content.sha256)).toBe(false);
  });

  it("keeps content another tenant's module still holds", async () => {
    const bytes = randomBytes(20_000);
    const content = await upload('acme', bytes);
    await upload('globex', bytes);
    const acmeModule = await createModule('acme');
    const globexModule = await createModule('globex');
    await attach('acme', acmeModule, 'a1', 'image.swu', content);
    // Same module and artifact ids in the other tenant: references are counted per tenant, never mixed up.
    await attach('globex', globexModule, 'a1', 'image.swu', content);
    await append('globex', `softwaremodule-${acmeModule}`, eventType('softwaremodule', 'software-module-created'), {
      moduleId: acmeModule, name: 'other', version: '1.0.0', type: 'os', description: '', vendor: '', by: 'admin', at: 1,
    });
    await deleteModule('globex', acmeModule);
    expect(await holders(content.sha256)).toBe(2);

    await deleteModule('acme', acmeModule);
    expect(await holders(content.sha256)).toBe(1);
    expect(await collectAt(Date.now() + AFTER_GRACE_MS)).toEqual({ removed: [], bytesFreed: 0, kept: 1 });
    expect(await onDisk(content.sha256)).toBe(true);

    await detach('globex', globexModule, 'a1');
    expect((await collectAt(Date.now() + AFTER_GRACE_MS)).removed).toEqual([content.sha256]);
  });

  it('keeps content attached twice and removed once', async () => {
    const content = await upload('acme', randomBytes(8_000));
    const first = await createModule('acme');
    const second = await createModule('acme');
    await attach('acme', first, 'a1', 'image.swu', content);
    await attach('acme', second, 'a7', 'rootfs.swu', content);
    await attach('acme', second, 'a8', 'rootfs-copy.swu', content);
    expect(await holders(content.sha256)).toBe(3);

    await detach('acme', first, 'a1');
    await detach('acme', second, 'a7');
    expect(await holders(content.sha256)).toBe(1);
    expect((await collectAt(Date.now() + AFTER_GRACE_MS)).removed).toEqual([]);
    expect(await onDisk(content.sha256)).toBe(true);

    await detach('acme', second, 'a8');
    expect((await collectAt(Date.now() + AFTER_GRACE_MS)).removed).toEqual([content.sha256]);
  });

  it('reads each artifact in log order: attached again after a removal, it is held again', async () => {
    const content = await upload('acme', randomBytes(5_000));
    const moduleId = await createModule('acme');
    await attach('acme', moduleId, 'a1', 'image.swu', content);
    await detach('acme', moduleId, 'a1');
    await attach('acme', moduleId, 'a1', 'image.swu', content);
    expect(await holders(content.sha256)).toBe(1);
    expect((await collectAt(Date.now() + AFTER_GRACE_MS)).removed).toEqual([]);
  });

  it('keeps a blob younger than the grace period, linked or not, recorded or not', async () => {
    const recorded = await upload('acme', randomBytes(4_000));
    // Stored by the streaming pass but never recorded (e.g. refused for its signature).
    const unrecorded = await store.put(Readable.from([randomBytes(6_000)]), { maxBytes: 6_000 });
    expect(await collectAt(Date.now())).toEqual({ removed: [], bytesFreed: 0, kept: 2 });
    expect(await onDisk(recorded.sha256)).toBe(true);
    expect(await onDisk(unrecorded.sha256)).toBe(true);

    const later = await collectAt(Date.now() + AFTER_GRACE_MS);
    expect(later.removed.sort()).toEqual([recorded.sha256, unrecorded.sha256].sort());
    expect(later.bytesFreed).toBe(10_000);
  });

  it('keeps old content uploaded again within the grace period, before the planner links it', async () => {
    const bytes = randomBytes(7_000);
    const sha256 = hex('sha256', bytes);
    await store.put(Readable.from([bytes]), { maxBytes: bytes.length });
    // The blob is old (its first upload); uploading the same bytes again keeps the file and its mtime.
    const longAgo = new Date(Date.now() - 10 * GRACE_MS);
    await utimes(store.pathOf(sha256), longAgo, longAgo);
    expect((await collectAt(Date.now())).removed).toEqual([sha256]);

    await store.put(Readable.from([bytes]), { maxBytes: bytes.length });
    await utimes(store.pathOf(sha256), longAgo, longAgo);
    await upload('acme', bytes);
    expect(await collectAt(Date.now())).toEqual({ removed: [], bytesFreed: 0, kept: 1 });
  });

  it('counts exactly the holders a replay of the module histories gives (property, any valid history)', async () => {
    type Op = { kind: 'create' | 'delete'; tenant: number; module: number } | { kind: 'add' | 'remove'; tenant: number; module: number; artifact: number; content: number };
    const slot = { tenant: fc.integer({ min: 0, max: 1 }), module: fc.integer({ min: 0, max: 1 }) };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constantFrom('create' as const, 'delete' as const), ...slot }),
      fc.record({ kind: fc.constantFrom('add' as const, 'remove' as const), ...slot, artifact: fc.integer({ min: 0, max: 2 }), content: fc.integer({ min: 0, max: 2 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 24 }), async (ops) => {
        // Fresh tenants, modules and contents per run: runs share the database but never a key.
        const run = randomBytes(6).toString('hex');
        const contents = [0, 1, 2].map((i) => ({ sha256: hex('sha256', Buffer.from(`${run}-${i}`)), sha1: '0'.repeat(40), md5: '0'.repeat(32), size: i }));
        const tenantOf = (t: number) => `prop-${run}-${t}`;
        const modules = new Map<string, Map<string, number> | undefined>();
        for (const o of ops) {
          const key = `${o.tenant}/${o.module}`;
          const held = modules.get(key);
          const stream = `softwaremodule-m${o.module}`;
          // Only what the planner's decider accepts reaches the log; the model replays the same history.
          if (o.kind === 'create' && !held) {
            modules.set(key, new Map());
            await append(tenantOf(o.tenant), stream, eventType('softwaremodule', 'software-module-created'), {
              moduleId: `m${o.module}`, name: 'p', version: '1', type: 'os', description: '', vendor: '', by: 'admin', at: 1,
            });
          } else if (o.kind === 'delete' && held) {
            modules.set(key, undefined);
            await append(tenantOf(o.tenant), stream, MODULE_LINK_EVENTS.moduleDeleted, { by: 'admin', at: 4 });
          } else if (o.kind === 'add' && held && !held.has(`a${o.artifact}`)) {
            held.set(`a${o.artifact}`, o.content);
            await append(tenantOf(o.tenant), stream, MODULE_LINK_EVENTS.artifactAdded, { artifactId: `a${o.artifact}`, fileName: `f${o.artifact}`, ...contents[o.content], by: 'admin', at: 2 });
          } else if (o.kind === 'remove' && held?.has(`a${o.artifact}`)) {
            held.delete(`a${o.artifact}`);
            await append(tenantOf(o.tenant), stream, MODULE_LINK_EVENTS.artifactRemoved, { artifactId: `a${o.artifact}`, by: 'admin', at: 3 });
          }
        }
        const expected = contents.map((_, i) => [...modules.values()].reduce((sum, held) => sum + [...(held?.values() ?? [])].filter((c) => c === i).length, 0));
        const counts = await referencedContentCounts(pool, Date.now() + AFTER_GRACE_MS);
        expect(contents.map((c) => counts.get(c.sha256) ?? 0)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('ignores a malformed module event instead of failing the collection', async () => {
    const moduleId = await createModule('acme');
    await append('acme', `softwaremodule-${moduleId}`, MODULE_LINK_EVENTS.artifactAdded, { artifactId: 'a1', by: 'admin', at: 2 });
    const content = await upload('acme', randomBytes(3_000));
    const counts = await referencedContentCounts(pool, Date.now() + AFTER_GRACE_MS);
    expect([...counts.keys()].filter((sha256) => typeof sha256 !== 'string')).toEqual([]);
    expect((await collectAt(Date.now() + AFTER_GRACE_MS)).removed).toEqual([content.sha256]);
  });
});
