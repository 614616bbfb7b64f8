import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@rollgate/testing';
import { freshLog, testEvent, type LogFixture } from '../test/fixtures';
import { LOG_START, readLogByCopy, readLogPageLazily, type Checkpoint, type StoredEvent } from './index';

/**
 * The readers' horizon (log-horizon.ts): a write transaction open in another database of the cluster no
 * longer holds them back, one open in this database still does (that is what keeps them gap-free).
 */
describe('the log readers’ horizon', () => {
  let log: LogFixture;
  let other: TestDatabase;

  beforeAll(async () => {
    log = await freshLog();
    other = await createTestDatabase('rg_horizon_other');
  }, 30_000);
  afterAll(async () => {
    await log.close();
    await other.drop();
  });

  /** A transaction that wrote a row and stays open until `end` is called. */
  async function openWrite(url: string, table: string): Promise<{ xid: bigint; end: () => Promise<void> }> {
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (n int)`);
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${table} VALUES (1)`);
    const { rows } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    return {
      xid: BigInt(rows[0].xid),
      end: async () => {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  const readers: Array<[string, (after: Checkpoint) => Promise<StoredEvent[]>]> = [
    ['readAll', (after) => log.store.readAll(after, 1000)],
    ['readLogPageLazily', (after) => readLogPageLazily(log.pool, after, 1000)],
    ['readLogByCopy', async (after) => {
      const events: StoredEvent[] = [];
      for await (const batch of readLogByCopy(log.pool, after, 1000)) events.push(...batch);
      return events;
    }],
  ];

  it('given a write open in another database, when an event commits here, then every reader returns it', async () => {
    const foreign = await openWrite(other.url, 'horizon_foreign');
    try {
      const [appended] = (await log.store.append('acme', 'horizon-1', 0, [testEvent(1)])).eventIds;

      for (const [name, read] of readers) {
        const events = await read(LOG_START);
        const found = events.find((e) => e.id === appended);
        expect({ name, found: found !== undefined }).toEqual({ name, found: true });
        // it is younger than the foreign write: the old horizon (the cluster's oldest open transaction) hid it
        expect(found!.transactionId > foreign.xid).toBe(true);
      }
    } finally {
      await foreign.end();
    }
  });

  it('given a write open in this database, when a younger event commits, then no reader returns it until the older one ends', async () => {
    const head = (await log.store.readAll(LOG_START, 1000)).at(-1);
    const after: Checkpoint = head ? { transactionId: head.transactionId, position: head.position } : LOG_START;
    const older = await openWrite(log.db.url, 'horizon_own');
    let appended = '';
    try {
      [appended] = (await log.store.append('acme', 'horizon-2', 0, [testEvent(2)])).eventIds;
      for (const [name, read] of readers) {
        const ids = (await read(after)).map((e) => e.id);
        expect({ name, found: ids.includes(appended) }).toEqual({ name, found: false });
      }
    } finally {
      await older.end();
    }
    for (const [name, read] of readers) {
      const ids = (await read(after)).map((e) => e.id);
      expect({ name, found: ids.includes(appended) }).toEqual({ name, found: true });
    }
  });
});
