import { EVENT_STORE_MIGRATIONS, EventStore, runMigrations, type AppendRequest } from '@rollgate/event-store';
import { ConcurrencyError } from '@rollgate/shared-domain';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import type { Pool } from 'pg';
import { GroupCommitter } from './group-committer';

const event = (n: number) => ({ type: 'io.rollgate.action.action-retrieved.v1', data: { at: n }, metadata: { source: 'rollgate/test' } });
const request = (stream: string, expectedVersion: number, n = 0): AppendRequest => ({ tenant: 'acme', streamId: stream, expectedVersion, events: [event(n)] });

describe('group committer (real PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase('rg_gw_commit');
    await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
    pool = testPool(db.url);
    store = new EventStore(pool);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('commits appends that arrive while a commit is in flight together, and answers each after its commit', async () => {
    const committer = new GroupCommitter(store, { maxInFlight: 1, maxBatch: 500 });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => committer.append(request(`action-a${i}`, 0, i)).then(async (result) => {
      // Answered only once durable: another connection already sees it.
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [`action-a${i}`]);
      return { result, visible: rows[0].n };
    })));
    expect(results.every(({ result, visible }) => result.version === 1 && visible === 1)).toBe(true);
    const { rows } = await pool.query(`SELECT count(DISTINCT transaction_id)::int AS transactions FROM events WHERE stream_id LIKE 'action-a%'`);
    // The first append goes alone; the other 99 queued behind it and share the next transaction.
    expect(rows[0].transactions).toBeLessThanOrEqual(3);
  });

  it('refuses only the append whose expected version is stale; the rest of its batch commits', async () => {
    await store.append('acme', 'action-b0', 0, [event(0)]);
    const committer = new GroupCommitter(store, { maxInFlight: 1, maxBatch: 500 });
    const blocker = committer.append(request('action-b-first', 0));
    const outcomes = await Promise.allSettled([request('action-b0', 0), request('action-b1', 0), request('action-b2', 0)].map((r) => committer.append(r)));
    await blocker;
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(await store.streamVersion('acme', 'action-b1')).toBe(1);
    expect(await store.streamVersion('acme', 'action-b0')).toBe(1);
  });
});
