import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Pool, type PoolClient } from 'pg';
import { EVENT_STORE_MIGRATIONS, EventStore, liveTables, runMigrations, type StoredEvent } from '@rollgate/event-store';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import { groupPerStatus, rolloutPerStatus, type GroupProgress } from './rollout-progress';
import { rolloutsProjection } from './rollouts.projection';

jest.setTimeout(120_000);

let position = 0n;
/** An event as the log would hand it to the projection. */
function logged(tenant: string, streamId: string, type: string, data: Record<string, unknown>): StoredEvent {
  position += 1n;
  return { position, transactionId: position, id: `e${position}`, tenant, streamId, streamVersion: 1, type: `io.rollgate.${type}.v1`, data, metadata: {}, recordedAt: new Date(), prevHash: null, hash: Buffer.alloc(0) };
}

const PROGRESS_COLUMNS = 'status, total_targets, started, closed, actions_scheduled, actions_running, actions_finished, actions_error, actions_cancelled';

describe('rollouts projection against PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;
  let run = 0;

  beforeAll(async () => {
    db = await createTestDatabase('rg_rollouts_model');
    // The log too: membership chunks are copied from their rows there.
    await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
    pool = testPool(db.url, 3);
    const client = await pool.connect();
    try {
      await rolloutsProjection.createTables(client, liveTables);
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
      await rolloutsProjection.apply(client, events, liveTables);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };
  const group = async (tenant: string, id: string) => (await pool.query<GroupProgress & { status: string }>(`SELECT ${PROGRESS_COLUMNS} FROM rollout_groups WHERE tenant = $1 AND id = $2`, [tenant, id])).rows[0];

  /** A ready rollout of two groups of `size` members, the first group's ids from `firstActionId`; answers the tenant. */
  async function readyRollout(size: number, firstActionId: number): Promise<string> {
    run += 1;
    const tenant = `t${run}`;
    const at = 1;
    const conditions = { success: { threshold: 100, mode: 'finished' }, error: { kind: 'percentage', threshold: 20 } };
    await apply([
      logged(tenant, 'rollout-r', 'rollout.rollout-created', {
        rolloutId: 'r', name: 'r', description: '', targetFilterQuery: 'name==*', distributionSetId: 'ds', actionType: 'forced', weight: 1000, createdBy: 'admin', at,
        plan: { groups: [{ groupId: 'g0', size }, { groupId: 'g1', size }] },
      }),
      ...['g0', 'g1'].flatMap((g, i) => [
        logged(tenant, `rolloutgroup-${g}`, 'rollout.group-created', { groupId: g, rolloutId: 'r', index: i, name: g, conditions, at }),
        logged(tenant, `rolloutgroup-${g}`, 'rollout.group-members-added', { chunk: 0, targetIds: Array.from({ length: size }, (_, p) => `${g}-dev-${p}`), at }),
        logged(tenant, `rolloutgroup-${g}`, 'rollout.group-ready', { size, firstActionId: firstActionId + i * size, at }),
      ]),
      logged(tenant, 'rollout-r', 'rollout.rollout-ready', { at }),
    ]);
    return tenant;
  }

  const action = (tenant: string, id: number, type: string, data: Record<string, unknown> = {}) => logged(tenant, `action-${id}`, `action.${type}`, { at: 2, ...data });

  it('moves each action between its group\'s counters, found by the group\'s id range, and ignores actions of no rollout', async () => {
    const tenant = await readyRollout(4, 1000);
    await apply([logged(tenant, 'rolloutgroup-g0', 'rollout.group-scheduled', { at: 2 }), logged(tenant, 'rolloutgroup-g0', 'rollout.group-started', { size: 4, at: 2 })]);
    await apply([
      action(tenant, 1000, 'action-created', { status: 'SCHEDULED', rolloutId: 'r', groupId: 'g0' }), action(tenant, 1000, 'action-retrieved'),
      action(tenant, 1000, 'action-feedback-received', { from: 'RETRIEVED', status: 'FINISHED' }),
      action(tenant, 1001, 'action-created', { status: 'SCHEDULED', rolloutId: 'r', groupId: 'g0' }), action(tenant, 1001, 'action-retrieved'),
      action(tenant, 1001, 'action-attempt-failed', { from: 'RUNNING', attempt: 1, nextAttempt: 2 }),
      action(tenant, 1002, 'action-created', { status: 'SCHEDULED', rolloutId: 'r', groupId: 'g0' }), action(tenant, 1002, 'action-timed-out', { from: 'SCHEDULED' }),
      // A manual assignment (no rollout) just past both groups' ranges, and an action of another tenant in the range.
      action(tenant, 1008, 'action-created', { status: 'SCHEDULED' }), action(tenant, 1008, 'action-retrieved'),
      action(`${tenant}-other`, 1003, 'action-created', { status: 'SCHEDULED' }),
    ]);
    expect(groupPerStatus(await group(tenant, 'g0'))).toEqual({ notstarted: 0, scheduled: 2, running: 0, finished: 1, error: 1, cancelled: 0 });
    expect(groupPerStatus(await group(tenant, 'g1'))).toEqual({ notstarted: 4, scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 0 });
    // An action of the second group, before that group started (it counts where it is, never twice).
    await apply([action(tenant, 1007, 'action-created', { status: 'SCHEDULED', rolloutId: 'r', groupId: 'g1' }), action(tenant, 1007, 'action-rejected', { from: 'SCHEDULED', check: 'architecture', details: [] })]);
    const groups = [await group(tenant, 'g0'), await group(tenant, 'g1')];
    expect(groupPerStatus(groups[1])).toEqual({ notstarted: 3, scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 1 });
    expect(rolloutPerStatus(groups)).toEqual({ notstarted: 3, scheduled: 2, running: 0, finished: 1, error: 1, cancelled: 1 });
  });

  it('moves the counters of a page of action events as it would event by event (property: any statuses, any order of actions)', async () => {
    const step = fc.constantFrom(
      ['action-retrieved', {}], ['action-feedback-received', { status: 'DOWNLOADING' }], ['action-feedback-received', { status: 'FINISHED' }],
      ['action-feedback-received', { status: 'ERROR' }], ['action-attempt-failed', { attempt: 1, nextAttempt: 2 }], ['action-canceled', {}], ['action-timed-out', {}],
    ) as fc.Arbitrary<[string, Record<string, unknown>]>;
    // Per action: its id offset (0-9: both groups and past them, a manual one) and its steps after action-created.
    const actions = fc.uniqueArray(fc.record({ offset: fc.integer({ min: 0, max: 9 }), steps: fc.array(step, { maxLength: 5 }) }), { selector: (a) => a.offset, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(actions, fc.integer({ min: 1, max: 4 }), async (plan, pages) => {
        const [paged, single] = [await readyRollout(4, 100), await readyRollout(4, 100)];
        const start = (tenant: string) => logged(tenant, 'rolloutgroup-g0', 'rollout.group-started', { size: 4, at: 2 });
        const eventsOf = (tenant: string) => plan.flatMap(({ offset, steps }) => [
          action(tenant, 100 + offset, 'action-created', { status: 'SCHEDULED', rolloutId: 'r' }),
          ...steps.map(([type, data]) => action(tenant, 100 + offset, type, data)),
        ]);
        // Interleaved by round: every action's first step, then every second one, ... as devices report.
        const interleave = (events: StoredEvent[]) => events.map((e, i) => ({ e, round: i - events.findIndex((x) => x.streamId === e.streamId) })).sort((a, b) => a.round - b.round).map((x) => x.e);
        const pagedEvents = [start(paged), ...interleave(eventsOf(paged))];
        const size = Math.ceil(pagedEvents.length / pages);
        for (let i = 0; i < pagedEvents.length; i += size) await apply(pagedEvents.slice(i, i + size));
        for (const e of [start(single), ...interleave(eventsOf(single))]) await apply([e]);
        for (const g of ['g0', 'g1']) expect(await group(paged, g)).toEqual(await group(single, g));
      }),
      { numRuns: 25 },
    );
  });

  it('closes the untouched actions of every group when the rollout is stopping', async () => {
    const tenant = await readyRollout(3, 5000);
    await apply([
      logged(tenant, 'rolloutgroup-g0', 'rollout.group-started', { size: 3, at: 2 }),
      action(tenant, 5000, 'action-created', { status: 'SCHEDULED', rolloutId: 'r', groupId: 'g0' }), action(tenant, 5000, 'action-retrieved'),
      logged(tenant, 'rollout-r', 'rollout.rollout-stopping', { reason: 'manual', by: 'admin', at: 3 }),
    ]);
    const groups = [await group(tenant, 'g0'), await group(tenant, 'g1')];
    expect(rolloutPerStatus(groups)).toEqual({ notstarted: 0, scheduled: 0, running: 1, finished: 0, error: 0, cancelled: 5 });
    // The retrieved action's cancellation arrives from its device.
    await apply([action(tenant, 5000, 'action-cancel-requested', { from: 'RETRIEVED', by: 'rollout-stopping' }), action(tenant, 5000, 'action-canceled', { from: 'CANCELING', forced: false })]);
    expect(groupPerStatus(await group(tenant, 'g0'))).toEqual({ notstarted: 0, scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 3 });
  });

  it('shows gates and soaks as waiting_for_gate and soaking, and keeps an errored group error when it finishes', async () => {
    const tenant = await readyRollout(2, 9000);
    const statusAfter = async (type: string, data: Record<string, unknown> = {}) => {
      await apply([logged(tenant, 'rolloutgroup-g0', `rollout.${type}`, { at: 4, ...data })]);
      return (await group(tenant, 'g0')).status;
    };
    expect(await statusAfter('group-scheduled')).toBe('scheduled');
    expect(await statusAfter('group-started', { size: 2 })).toBe('running');
    expect(await statusAfter('group-soak-started', { until: 10, reason: 'success', counters: {} })).toBe('soaking');
    expect(await statusAfter('group-soak-completed')).toBe('running');
    expect(await statusAfter('group-gate-requested', { gate: 'g', counters: {} })).toBe('waiting_for_gate');
    expect(await statusAfter('group-gate-deferred', { verdictId: 'v1', verdict: 'CAUTION', reason: 'few samples' })).toBe('soaking');
    expect(await statusAfter('group-gate-requested', { gate: 'g', counters: {} })).toBe('waiting_for_gate');
    expect(await statusAfter('group-gate-passed', { verdictId: 'v2' })).toBe('running');
    expect(await statusAfter('group-error-condition-met', { errorAction: 'PAUSE', counters: {}, cause: 'threshold' })).toBe('error');
    expect(await statusAfter('group-finished', { counters: {} })).toBe('error');
    const other = await readyRollout(2, 9100);
    await apply([logged(other, 'rolloutgroup-g0', 'rollout.group-started', { size: 2, at: 2 }), logged(other, 'rolloutgroup-g0', 'rollout.group-finished', { counters: {}, at: 3 })]);
    expect((await group(other, 'g0')).status).toBe('finished');
  });

  it('copies consecutive membership chunks from the log in one statement, and a chunk the log lacks from its payload', async () => {
    const tenant = 'copied';
    const at = 1;
    const conditions = { success: { threshold: 100, mode: 'finished' }, error: { kind: 'percentage', threshold: 20 } };
    const ids = (group: string, from: number, count: number) => Array.from({ length: count }, (_, p) => `${group}-dev-${from + p}`);
    const store = new EventStore(pool);
    const stream = (streamId: string, types: Array<[string, Record<string, unknown>]>) => ({
      tenant, streamId, expectedVersion: 0 as const, events: types.map(([type, data]) => ({ type: `io.rollgate.rollout.${type}.v1`, data })),
    });
    await store.appendMany([
      stream('rollout-r', [['rollout-created', {
        rolloutId: 'r', name: 'r', description: '', targetFilterQuery: 'name==*', distributionSetId: 'ds', actionType: 'forced', weight: 1000, createdBy: 'admin', at,
        plan: { groups: [{ groupId: 'g0', size: 5 }, { groupId: 'g1', size: 4 }] },
      }]]),
      stream('rolloutgroup-g0', [['group-created', { groupId: 'g0', rolloutId: 'r', index: 0, name: 'g0', conditions, at }], ['group-members-added', { chunk: 0, targetIds: ids('g0', 0, 3), at }], ['group-members-added', { chunk: 1, targetIds: ids('g0', 3, 2), at }]]),
      stream('rolloutgroup-g1', [['group-created', { groupId: 'g1', rolloutId: 'r', index: 1, name: 'g1', conditions, at }], ['group-members-added', { chunk: 0, targetIds: ids('g1', 0, 3), at }]]),
    ]);
    const page = await store.readAll({ transactionId: 0n, position: 0n }, 100);
    const fromLog = page.filter((e) => e.tenant === tenant);
    expect(fromLog).toHaveLength(6);
    // Not in the log, though its id is a UUID: stored from its payload.
    const unlogged = { ...logged(tenant, 'rolloutgroup-g1', 'rollout.group-members-added', { chunk: 1, targetIds: ids('g1', 3, 1), at }), id: randomUUID() };
    const statements: string[] = [];
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const counting = { query: (text: string, values?: unknown[]) => (statements.push(text), client.query(text, values)) } as unknown as PoolClient;
      // The log's order: the rollout, g0 created, g0's chunks, g1 created, g1's chunk, then the payload's chunk.
      await rolloutsProjection.apply(counting, [...fromLog, unlogged], liveTables);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    // g0's two chunks at once; g1's with the unlogged one; for that one a look in the log, then its payload.
    expect(statements.filter((text) => text.includes('INSERT INTO "rollout_group_members"'))).toHaveLength(4);
    const members = await pool.query(`SELECT group_id, chunk, controller_ids FROM rollout_group_members WHERE tenant = $1 ORDER BY group_id, chunk`, [tenant]);
    expect(members.rows).toEqual([
      { group_id: 'g0', chunk: 0, controller_ids: ids('g0', 0, 3) }, { group_id: 'g0', chunk: 1, controller_ids: ids('g0', 3, 2) },
      { group_id: 'g1', chunk: 0, controller_ids: ids('g1', 0, 3) }, { group_id: 'g1', chunk: 1, controller_ids: ids('g1', 3, 1) },
    ]);
    expect((await pool.query(`SELECT id, total_targets FROM rollout_groups WHERE tenant = $1 ORDER BY id`, [tenant])).rows).toEqual([{ id: 'g0', total_targets: 5 }, { id: 'g1', total_targets: 4 }]);
    expect((await pool.query(`SELECT created_targets FROM rollouts WHERE tenant = $1`, [tenant])).rows).toEqual([{ created_targets: 9 }]);
  });
});
