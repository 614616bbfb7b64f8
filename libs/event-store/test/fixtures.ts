import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase, testPool } from '@rollgate/testing';
import { EVENT_STORE_MIGRATIONS, EventStore, runMigrations, type NewEvent } from '../src';

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
