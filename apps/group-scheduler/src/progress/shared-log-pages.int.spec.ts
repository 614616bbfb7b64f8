import { checkpointOf, EVENT_STORE_MIGRATIONS, EventStore, LOG_START, readLogPageLazily, runMigrations, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import { createTestDatabase, eventually, testPool, type TestDatabase } from '@rollgate/testing';
import type { Pool } from 'pg';
import { SharedLogPages } from './shared-log-pages';

describe('SharedLogPages against PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase('rg_sched_pages');
    await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
    pool = testPool(db.url, 4);
    store = new EventStore(pool);
  }, 30_000);

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const append = (n: number) => store.append('acme', `pages-${n}`, 0, [{ type: 'io.rollgate.test.thing-happened.v1', data: { n } }]);
  /** Until every appended event is readable (xids are cluster-wide: other databases' open transactions hold readers back). */
  const readable = (count: number) => eventually(async () => ((await store.readAll(LOG_START, 100)).length === count ? true : undefined));
  const ns = (page: readonly StoredEvent[]) => page.map((e) => (e.data as { n: number }).n);
  const after = (page: readonly StoredEvent[]): Checkpoint => checkpointOf(page[page.length - 1]);

  it('hands readers at the same checkpoint the same page, and never keeps the head of the log', async () => {
    for (const n of [1, 2, 3]) await append(n);
    await readable(3);
    const pages = new SharedLogPages(pool, 2);

    const first = await pages.read(LOG_START);
    expect(ns(first)).toEqual([1, 2]);
    // A full page is kept for a reader that trails behind: the very same events.
    expect(await pages.read(LOG_START)).toBe(first);
    expect(await pages.readPromptly(LOG_START)).toBe(first);

    // The head (a partial page) is never handed on, not even while its read is in flight: it may predate
    // what woke the second reader, which therefore reads the head itself...
    const [head, otherHead] = await Promise.all([pages.read(after(first)), pages.read(after(first))]);
    expect(otherHead).not.toBe(head);
    expect(ns(head)).toEqual([3]);
    expect(ns(otherHead)).toEqual([3]);
    const [headAgain, promptHead] = await Promise.all([pages.read(after(first)), pages.readPromptly(after(first))]);
    expect(promptHead).not.toBe(headAgain);
    expect(ns(promptHead)).toEqual([3]);

    // ...and a later reader sees what arrived since.
    await append(4);
    await readable(4);
    const grown = await pages.read(after(first));
    expect(ns(grown)).toEqual([3, 4]);
    expect(await pages.read(after(grown))).toEqual([]);

    // Shared pages hold exactly what the log holds, in log order.
    const all = await store.readAll(LOG_START, 100);
    expect([...first, ...grown].map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  it('lets the counters share a full page in flight while they catch up, not at the head', async () => {
    const pages = new SharedLogPages(pool, 2);
    const first = await pages.readPromptly(LOG_START);
    expect(first).toHaveLength(2);
    // Catching up (its last page was full): another reader's read of the next page, in flight, is shared.
    const [next, promptNext] = await Promise.all([pages.read(after(first)), pages.readPromptly(after(first))]);
    expect(promptNext).toBe(next);
    expect(next).toHaveLength(2);
    // At the head (its last page was partial) it reads for itself again.
    const head = await pages.readPromptly(after(next));
    expect(head.length).toBeLessThan(2);
    const [otherHead, promptHead] = await Promise.all([pages.read(after(next)), pages.readPromptly(after(next))]);
    expect(promptHead).not.toBe(otherHead);
    expect(promptHead.map((e) => e.id)).toEqual(otherHead.map((e) => e.id));
  });

  it('reads its pages as EventStore.readAll, without their hash chain', async () => {
    await store.append('acme', 'pages-meta', 0, [{ type: 'io.rollgate.test.thing-happened.v1', data: { n: 9, nested: { a: [1, 'x'] } }, metadata: { source: 'rollgate/test', actor: 'user:a' } }]);
    const all = await store.readAll(LOG_START, 100);
    await readable(all.length);
    const page = await readLogPageLazily(pool, LOG_START, 100, { hashes: false });
    expect(page.map(({ position, transactionId, id, tenant, streamId, streamVersion, type, data, metadata, recordedAt }) => ({ position, transactionId, id, tenant, streamId, streamVersion, type, data, metadata, recordedAt })))
      .toEqual(all.map(({ position, transactionId, id, tenant, streamId, streamVersion, type, data, metadata, recordedAt }) => ({ position, transactionId, id, tenant, streamId, streamVersion, type, data, metadata, recordedAt })));
    // A reader that needs the chain must read it elsewhere, and learns so at once.
    expect(() => page[0].hash).toThrow(/without the hash chain/);
    expect(() => page[0].prevHash).toThrow(/without the hash chain/);
    const later = await readLogPageLazily(pool, checkpointOf(all[0]), 100, { hashes: false });
    expect(later.map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));
  });
});
