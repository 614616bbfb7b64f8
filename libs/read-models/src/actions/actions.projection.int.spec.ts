import fc from 'fast-check';
import { Pool } from 'pg';
import { liveTables, type StoredEvent } from '@rollgate/event-store';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import { actionStatusHistory, findTargetAction, openActionsOf, targetActionsSource, type ActionRow } from './action.queries';
import { actionsProjection } from './actions.projection';

jest.setTimeout(120_000);

let position = 0n;
/** An event as the log would hand it to the projection. */
function logged(tenant: string, streamId: string, streamVersion: number, type: string, data: Record<string, unknown>): StoredEvent {
  position += 1n;
  return { position, transactionId: position, id: `e${position}`, tenant, streamId, streamVersion, type: `io.rollgate.${type}.v1`, data, metadata: {}, recordedAt: new Date(), prevHash: null, hash: Buffer.alloc(0) };
}

interface GroupSpec {
  chunks: number[];
  started: boolean;
}

describe('actions projection against PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('rg_actions_model');
    pool = testPool(db.url, 3);
    const client = await pool.connect();
    try {
      await actionsProjection.createTables(client, liveTables);
    } finally {
      client.release();
    }
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const apply = async (events: StoredEvent[]) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await actionsProjection.apply(client, events, liveTables);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };
  const actionsOf = async (tenant: string, controllerId: string) =>
    (await pool.query<ActionRow>(`SELECT * FROM (${targetActionsSource(2)}) a ORDER BY id`, [tenant, controllerId])).rows;

  it('derives every member of a started group as firstActionId + its position across membership chunks, and none of a group not started', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ chunks: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }), started: fc.boolean() }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 1_000_000 }), async (groups: GroupSpec[], firstId) => {
        run += 1;
        const tenant = `t${run}`;
        const rollout = 'rollout-r1';
        const events = [logged(tenant, rollout, 1, 'rollout.rollout-created', { rolloutId: 'r1', name: 'wave', distributionSetId: 'ds1', actionType: 'soft', weight: 600, at: 1 })];
        const expected = new Map<string, number>();
        let nextId = firstId;
        groups.forEach((group, g) => {
          const stream = `rolloutgroup-g${g}`;
          let version = 0;
          events.push(logged(tenant, stream, ++version, 'rollout.group-created', { groupId: `g${g}`, rolloutId: 'r1', index: g, name: `g${g}`, conditions: {}, at: 2 }));
          let position = 0;
          group.chunks.forEach((size, chunk) => {
            const targetIds = Array.from({ length: size }, (_, i) => `g${g}-c${chunk}-m${i}`);
            events.push(logged(tenant, stream, ++version, 'rollout.group-members-added', { chunk, targetIds, at: 3 }));
            for (const id of targetIds) {
              if (group.started) expected.set(id, nextId + position);
              position += 1;
            }
          });
          events.push(logged(tenant, stream, ++version, 'rollout.group-ready', { size: position, firstActionId: nextId, at: 4 }));
          if (group.started) events.push(logged(tenant, stream, ++version, 'rollout.group-started', { size: position, at: 5 }));
          nextId += position;
        });
        await apply(events);
        // The set-based lookup of open actions agrees with the per-target one.
        const everyone = groups.flatMap((group, g) => group.chunks.flatMap((size, chunk) => Array.from({ length: size }, (_, i) => `g${g}-c${chunk}-m${i}`)));
        const open = await openActionsOf(pool, tenant, everyone);
        expect(new Map(open.map((a) => [a.controller_id, Number(a.id)]))).toEqual(expected);
        for (const [g, group] of groups.entries()) {
          for (const [chunk, size] of group.chunks.entries()) {
            for (let i = 0; i < size; i += 1) {
              const member = `g${g}-c${chunk}-m${i}`;
              const actions = await actionsOf(tenant, member);
              if (!group.started) {
                expect(actions).toEqual([]);
                continue;
              }
              expect(actions).toHaveLength(1);
              expect(actions[0]).toMatchObject({ id: String(expected.get(member)), derived: true, status: 'SCHEDULED', rollout_id: 'r1', rollout_name: 'wave', distribution_set_id: 'ds1', action_type: 'soft', weight: 600 });
            }
          }
        }
      }),
      { numRuns: 12 },
    );
  });

  it('a recorded action replaces its derived twin; a stopped rollout closes untouched ones; other tenants see nothing', async () => {
    const tenant = 'acme';
    const group = 'rolloutgroup-g1';
    await apply([
      logged(tenant, 'rollout-r9', 1, 'rollout.rollout-created', { rolloutId: 'r9', name: 'nine', distributionSetId: 'ds9', actionType: 'forced', weight: 1000, at: 10 }),
      logged(tenant, group, 1, 'rollout.group-created', { groupId: 'g1', rolloutId: 'r9', index: 0, name: 'g1', conditions: {}, at: 10 }),
      logged(tenant, group, 2, 'rollout.group-members-added', { chunk: 0, targetIds: ['a', 'b'], at: 10 }),
      logged(tenant, group, 3, 'rollout.group-ready', { size: 2, firstActionId: 500, at: 10 }),
      logged(tenant, group, 4, 'rollout.group-started', { size: 2, at: 20 }),
      logged(tenant, 'action-500', 1, 'action.action-created', { actionId: '500', targetId: 'a', distributionSetId: 'ds9', rolloutId: 'r9', groupId: 'g1', actionType: 'forced', weight: 1000, status: 'SCHEDULED', at: 30 }),
      logged(tenant, 'action-500', 2, 'action.action-retrieved', { at: 31 }),
      logged(tenant, 'action-500', 3, 'action.action-feedback-received', { channel: 'deployment', execution: 'proceeding', finished: 'none', details: ['50%'], from: 'RETRIEVED', status: 'RUNNING', at: 32 }),
    ]);
    expect(await actionsOf(tenant, 'a')).toEqual([expect.objectContaining({ id: '500', derived: false, status: 'RUNNING', rollout_name: 'nine' })]);
    const recorded = await findTargetAction(pool, tenant, 'a', '500');
    expect((await actionStatusHistory(pool, recorded!)).map((h) => [h.status, h.messages])).toEqual([
      ['SCHEDULED', ['assigned by rollout r9']], ['RETRIEVED', ['Update Server: Target retrieved update action and should start now the download.']], ['RUNNING', ['50%']],
    ]);
    expect(await findTargetAction(pool, tenant, 'b', '500')).toBeUndefined();
    expect((await openActionsOf(pool, tenant, ['a', 'b', 'nobody'])).map((o) => [o.controller_id, o.id, o.derived])).toEqual([['a', '500', false], ['b', '501', true]]);
    await apply([logged(tenant, 'rollout-r9', 2, 'rollout.rollout-stopping', { reason: 'manual', by: 'ops', at: 40 })]);
    expect((await openActionsOf(pool, tenant, ['b'])).length).toBe(0);
    const untouched = await findTargetAction(pool, tenant, 'b', '501');
    expect(untouched).toMatchObject({ derived: true, status: 'CANCELED', last_modified_at: '40' });
    expect((await actionStatusHistory(pool, untouched!)).map((h) => h.status)).toEqual(['SCHEDULED', 'CANCELED']);
    expect(await findTargetAction(pool, 'globex', 'b', '501')).toBeUndefined();
    expect(await actionsOf('globex', 'a')).toEqual([]);
  });

  it('stores a page of action events as it would event by event: rows and status histories (property)', async () => {
    let run = 0;
    const step = fc.constantFrom(
      ['action-retrieved', {}], ['action-feedback-received', { status: 'DOWNLOADING', details: ['50 %'] }], ['action-feedback-received', { status: 'FINISHED' }],
      ['action-attempt-failed', { attempt: 1, nextAttempt: 2 }], ['action-cancel-requested', { by: 'admin' }], ['action-canceled', { forced: true }],
    ) as fc.Arbitrary<[string, Record<string, unknown>]>;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { maxLength: 4 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4 }), async (actions, pages) => {
        run += 1;
        const [paged, single] = [`paged${run}`, `single${run}`];
        const eventsOf = (tenant: string) => actions
          .flatMap((steps, i) => [
            logged(tenant, `action-${i + 1}`, 1, 'action.action-created', { targetId: `dev-${i}`, distributionSetId: 'ds', actionType: 'forced', weight: 500, status: 'SCHEDULED', at: 10 }),
            ...steps.map(([type, data], n) => logged(tenant, `action-${i + 1}`, n + 2, `action.${type}`, { at: 20 + n, ...data })),
          ])
          .map((e, order) => ({ e, order }))
          .sort((a, b) => a.e.streamVersion - b.e.streamVersion || a.order - b.order)
          .map((x) => x.e);
        const all = eventsOf(paged);
        const size = Math.ceil(all.length / pages);
        for (let i = 0; i < all.length; i += size) await apply(all.slice(i, i + size));
        for (const e of eventsOf(single)) await apply([e]);
        const stored = async (tenant: string) => ({
          actions: (await pool.query(`SELECT id, controller_id, status, created_at, last_modified_at FROM actions WHERE tenant = $1 ORDER BY id`, [tenant])).rows,
          history: (await pool.query(`SELECT action_id, seq, status, messages, reported_at FROM action_status_history WHERE tenant = $1 ORDER BY action_id, seq`, [tenant])).rows,
        });
        expect(await stored(paged)).toEqual(await stored(single));
      }),
      { numRuns: 25 },
    );
  });

  it('ignores events it cannot use instead of failing: a non-numeric action stream, an action-created without a target', async () => {
    await apply([
      logged('acme', 'action-abc', 1, 'action.action-created', { targetId: 'x', distributionSetId: 'd', status: 'SCHEDULED', at: 1 }),
      logged('acme', 'action-77', 1, 'action.action-created', { status: 'SCHEDULED', at: 1 }),
      logged('acme', 'action-77', 2, 'action.action-some-future-event', { at: 2 }),
    ]);
    expect(await actionsOf('acme', 'x')).toEqual([]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM actions WHERE tenant = 'acme' AND id = 77`)).rows[0].n).toBe(0);
  });
});
