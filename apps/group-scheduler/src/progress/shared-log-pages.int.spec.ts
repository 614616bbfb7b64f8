import { checkpointOf, EVENT_STORE_MIGRATIONS, EventStore, LOG_START, runMigrations, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
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
});
