import { Pool } from 'pg';
import { createTestDatabase, eventually, type TestDatabase, testPool } from '@rollgate/testing';
import { EVENT_STORE_MIGRATIONS, EventStore, LOG_START, runMigrations, type NewEvent, type StoredEvent } from '../src';

export interface LogFixture {
  db: TestDatabase;
  pool: Pool;
  store: EventStore;
  close(): Promise<void>;
}

/** A fresh database with the log migrated, and a store on it. */
export async function freshLog(): Promise<LogFixture> {
  const db = await createTestDatabase('rg_log');
  await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
  const pool = testPool(db.url, 8);
  return {
    db,
    pool,
    store: new EventStore(pool),
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

export function testEvent(n: number, extra: Partial<NewEvent> = {}): NewEvent {
  return { type: 'io.rollgate.test.thing-happened.v1', data: { n, label: `event ${n}` }, metadata: { source: 'rollgate/test', actor: 'tester' }, ...extra };
}

/**
 * Every committed event, once a reader can see all of them. xids are cluster-wide, so an open transaction
 * in any other database (a test running in parallel) holds readAll back for a while: wait it out.
 */
export async function wholeReadableLog(store: EventStore): Promise<StoredEvent[]> {
  return eventually(async () => {
    const head = await store.head();
    const events = await store.readAll(LOG_START, 1_000_000);
    const last = events[events.length - 1];
    return head && last && last.position === head.position && last.transactionId === head.transactionId ? events : undefined;
  });
}
