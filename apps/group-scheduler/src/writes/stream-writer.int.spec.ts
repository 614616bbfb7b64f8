import { EVENT_STORE_MIGRATIONS, EventStore, inTransaction, runMigrations } from '@rollgate/event-store';
import type { Decider, DomainEvent } from '@rollgate/shared-domain';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import type { Pool, PoolClient } from 'pg';
import { isVersionConflict, StreamWriter } from './stream-writer';

type Counted = DomainEvent<'counted', { n: number }>;
/** A stream that counts: `add` appends one event carrying the running total. */
const counter: Decider<{ type: 'add' }, { total: number }, Counted> = {
  initialState: { total: 0 },
  decide: (_command, state) => [{ type: 'counted', data: { n: state.total + 1 } }],
  evolve: (state, event) => ({ total: event.data.n }),
};

describe('StreamWriter against PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase('rg_sched_writer');
    await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
    pool = testPool(db.url, 4);
    store = new EventStore(pool);
  }, 30_000);

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** Counts the statements that read a stream on `tx`. */
  function countLoads(tx: PoolClient): { loads: number } {
    const seen = { loads: 0 };
    const query = tx.query.bind(tx) as (...args: unknown[]) => unknown;
    (tx as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('FROM events WHERE tenant = $1 AND stream_id = $2')) seen.loads += 1;
      return query(...args);
    };
    return seen;
  }

  it('in a scope, reads a stream it appended to, or is about to append to again, once', async () => {
    const writer = new StreamWriter(store);
    await inTransaction(pool, async (tx) => {
      const seen = countLoads(tx);
      await writer.inScope(tx, async () => {
        await writer.execute(tx, 'acme', 'test', 'counter-1', counter, { type: 'add' });
        await writer.execute(tx, 'acme', 'test', 'counter-1', counter, { type: 'add' });
        expect((await writer.load(tx, 'acme', 'counter-1', counter)).state).toEqual({ total: 2 });
        // Read, not appended to: a plain load reads again (another writer may have come in between).
        await writer.load(tx, 'acme', 'counter-2', counter);
        await writer.load(tx, 'acme', 'counter-2', counter);
      });
      expect(seen.loads).toBe(3);
      // Out of the scope every load reads.
      await writer.load(tx, 'acme', 'counter-1', counter);
      expect(seen.loads).toBe(4);
    });
    expect((await store.readStream('acme', 'counter-1')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('in a scope without savepoints, a writer that came in between fails the transaction with a version conflict', async () => {
    const writer = new StreamWriter(store);
    const other = new StreamWriter(store);
    const attempt = inTransaction(pool, (tx) =>
      writer.inScope(
        tx,
        async () => {
          await writer.load(tx, 'acme', 'counter-3', counter);
          await inTransaction(pool, (otherTx) => other.execute(otherTx, 'acme', 'test', 'counter-3', counter, { type: 'add' }));
          await writer.execute(tx, 'acme', 'test', 'counter-3', counter, { type: 'add' });
        },
        { savepoints: false },
      ),
    );
    const error = await attempt.catch((e: unknown) => e);
    expect(isVersionConflict(error)).toBe(true);
    // With savepoints (the default) the same race is retried inside the transaction.
    await inTransaction(pool, (tx) =>
      writer.inScope(tx, async () => {
        await writer.load(tx, 'acme', 'counter-3', counter);
        await inTransaction(pool, (otherTx) => other.execute(otherTx, 'acme', 'test', 'counter-3', counter, { type: 'add' }));
        await writer.execute(tx, 'acme', 'test', 'counter-3', counter, { type: 'add' });
      }),
    );
    expect((await store.readStream('acme', 'counter-3')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('with deferred appends, writes nothing until flush, then every append of the scope in the order decided, as one', async () => {
    const writer = new StreamWriter(store);
    await inTransaction(pool, async (tx) => {
      const seen = countLoads(tx);
      await writer.inScope(
        tx,
        async () => {
          await writer.execute(tx, 'acme', 'test', 'counter-4', counter, { type: 'add' });
          await writer.execute(tx, 'acme', 'test', 'counter-5', counter, { type: 'add' });
          await writer.execute(tx, 'acme', 'test', 'counter-4', counter, { type: 'add' });
          // Loads of what the scope appended come from the cache, before and after the flush.
          expect((await writer.load(tx, 'acme', 'counter-4', counter)).state).toEqual({ total: 2 });
          expect((await tx.query(`SELECT count(*)::int AS n FROM events WHERE stream_id IN ('counter-4', 'counter-5')`)).rows[0].n).toBe(0);
          await writer.flush(tx);
          expect((await writer.load(tx, 'acme', 'counter-4', counter)).state).toEqual({ total: 2 });
        },
        { savepoints: false, deferAppends: true },
      );
      expect(seen.loads).toBe(2);
    });
    const written = await pool.query(`SELECT stream_id, data FROM events WHERE stream_id IN ('counter-4', 'counter-5') ORDER BY position`);
    expect(written.rows).toEqual([
      { stream_id: 'counter-4', data: { n: 1 } },
      { stream_id: 'counter-5', data: { n: 1 } },
      { stream_id: 'counter-4', data: { n: 2 } },
    ]);
  });

  it('with deferred appends, a writer that came in between fails the flush, and a scope left unflushed fails', async () => {
    const writer = new StreamWriter(store);
    const other = new StreamWriter(store);
    const deferred = { savepoints: false, deferAppends: true };
    const raced = inTransaction(pool, (tx) =>
      writer.inScope(
        tx,
        async () => {
          await writer.execute(tx, 'acme', 'test', 'counter-6', counter, { type: 'add' });
          await inTransaction(pool, (otherTx) => other.execute(otherTx, 'acme', 'test', 'counter-6', counter, { type: 'add' }));
          await writer.flush(tx);
        },
        deferred,
      ),
    );
    expect(isVersionConflict(await raced.catch((e: unknown) => e))).toBe(true);
    // Read again after the conflict: the other writer's event is the stream's state.
    await inTransaction(pool, (tx) => writer.inScope(tx, async () => expect((await writer.load(tx, 'acme', 'counter-6', counter)).state).toEqual({ total: 1 })));

    const unflushed = inTransaction(pool, (tx) => writer.inScope(tx, () => writer.execute(tx, 'acme', 'test', 'counter-7', counter, { type: 'add' }), deferred));
    await expect(unflushed).rejects.toThrow('1 deferred appends were never flushed');
    expect(await store.readStream('acme', 'counter-7')).toEqual([]);
  });
});
