import { Pool } from 'pg';
import { liveTables, type StoredEvent } from '@rollgate/event-store';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import { targetAutoConfirmProjection } from './target-auto-confirm.projection';

jest.setTimeout(120_000);

let position = 0n;
function logged(tenant: string, controllerId: string, event: string, data: Record<string, unknown> = {}): StoredEvent {
  position += 1n;
  return { position, transactionId: position, id: `e${position}`, tenant, streamId: `target-${controllerId}`, streamVersion: 1, type: `io.rollgate.target.${event}.v1`, data, metadata: {}, recordedAt: new Date(), prevHash: null, hash: Buffer.alloc(0) };
}
const activated = (tenant: string, controllerId: string, remark: string) => logged(tenant, controllerId, 'target-auto-confirm-activated', { initiator: 'ops', remark, by: 'admin', at: 1 });

describe('target auto-confirm projection against PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('rg_auto_confirm_model');
    pool = testPool(db.url, 2);
    await targetAutoConfirmProjection.createTables(pool as never, liveTables);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const apply = (events: StoredEvent[]) => targetAutoConfirmProjection.apply(pool as never, events, liveTables);
  const active = async (tenant: string) =>
    (await pool.query<{ controller_id: string; remark: string }>('SELECT controller_id, remark FROM target_auto_confirm WHERE tenant = $1 ORDER BY controller_id', [tenant])).rows;

  it('given removals and activations in one page, when applied, then the page order decides each target', async () => {
    await apply([activated('t1', 'a', 'first'), activated('t1', 'b', 'first'), activated('t1', 'c', 'first'), activated('t2', 'a', 'other tenant')]);

    await apply([
      logged('t1', 'a', 'target-deleted'),
      logged('t1', 'a', 'target-created', { name: 'a' }),
      activated('t1', 'a', 'again'), // after its removal in the same page: stays
      activated('t1', 'b', 'before'),
      logged('t1', 'b', 'target-auto-confirm-deactivated'), // after its activation: gone
      logged('t1', 'd', 'target-created', { name: 'd' }),
    ]);

    expect(await active('t1')).toEqual([{ controller_id: 'a', remark: 'again' }, { controller_id: 'c', remark: 'first' }]);
    expect(await active('t2')).toEqual([{ controller_id: 'a', remark: 'other tenant' }]);
  });

  it('given a fleet registering, when ten thousand targets are created in one page, then one statement removes nothing and keeps the others', async () => {
    await apply([activated('t3', 'keep', 'kept')]);
    const created = Array.from({ length: 10_000 }, (_, i) => logged('t3', `dev-${i}`, 'target-created', { name: `dev-${i}` }));
    const statements: string[] = [];
    const counting = { query: (text: string, values?: unknown[]) => (statements.push(text), pool.query(text, values)) };

    await targetAutoConfirmProjection.apply(counting as never, created, liveTables);

    expect(statements).toHaveLength(1);
    expect(await active('t3')).toEqual([{ controller_id: 'keep', remark: 'kept' }]);
  });
});
