import { eventually, type TestDatabase } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { Pool } from 'pg';
import { DEFAULT_CONDITIONS, freshEnvironment, startScheduler, TENANT, type LogWriter, type SchedulerUnderTest } from '../test/scheduler.harness';

/** Dynamic rollouts: targets created after the rollout that match its filter join in dynamic groups. */
describe('group-scheduler: dynamic rollouts', () => {
  let db: TestDatabase;
  let names: BusNames;
  let pool: Pool;
  let log: LogWriter;
  let scheduler: SchedulerUnderTest;

  beforeAll(async () => {
    ({ db, names, pool, log } = await freshEnvironment());
    scheduler = await startScheduler(db, names, { ROLLGATE_DYNAMIC_FLUSH_MS: '600' });
  });

  afterAll(async () => {
    await scheduler?.close();
    await pool?.end();
    await db?.drop();
  });

  const hasEvent = async (streamId: string, type: string) => (await log.types(streamId)).includes(type);
  const dataOf = async (streamId: string, type: string) => (await log.stream(streamId)).filter((e) => e.type.endsWith(`.${type}.v1`)).map((e) => e.data as Record<string, unknown>);

  it('gathers matching new targets into dynamic groups after the planned ones (full groups at once, the rest on the flush timer)', async () => {
    const template = { conditions: DEFAULT_CONDITIONS, targetsPerGroup: 2, namePrefix: 'dynamic' };
    const r = await log.createRollout('dyn', [{ size: 1 }], {}, { dynamicGroupTemplate: template, targetFilterQuery: 'name==new-*' });
    await log.rolloutCommand('dyn', { type: 'start-rollout', by: 'admin', at: Date.now() });
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await eventually(async () => (await pool.query(`SELECT 1 FROM scheduler_dynamic_rollouts WHERE tenant = $1 AND rollout_id = 'dyn'`, [TENANT])).rowCount === 1);
    for (const id of ['new-a', 'old-style-b', 'new-c', 'new-d']) await log.createTarget(id);

    // new-a and new-c fill the first dynamic group; it waits behind the planned group, which is still running.
    await eventually(() => hasEvent('rollout-dyn', 'rollout-dynamic-group-added'));
    const [first] = await dataOf('rollout-dyn', 'rollout-dynamic-group-added');
    expect(first).toMatchObject({ groupId: 'dyn-dynamic-1', size: 2, index: 1 });
    expect((await dataOf('rolloutgroup-dyn-dynamic-1', 'group-members-added')).flatMap((d) => d.targetIds as string[])).toEqual(['new-a', 'new-c']);
    expect(await hasEvent('rolloutgroup-dyn-dynamic-1', 'group-started')).toBe(false);

    // The planned group succeeds: the cascade reaches the dynamic group.
    await log.device(r, 0, 0, 'finished');
    await eventually(() => hasEvent('rolloutgroup-dyn-dynamic-1', 'group-started'));
    // new-d alone never fills a group: the flush timer makes a group of one, started when the first ends.
    await eventually(async () => (await dataOf('rollout-dyn', 'rollout-dynamic-group-added')).length === 2, 10_000);
    const members = await pool.query(`SELECT target_id, group_id FROM scheduler_dynamic_members WHERE tenant = $1 AND rollout_id = 'dyn' ORDER BY target_id`, [TENANT]);
    expect(members.rows).toEqual([
      { target_id: 'new-a', group_id: 'dyn-dynamic-1' },
      { target_id: 'new-c', group_id: 'dyn-dynamic-1' },
      { target_id: 'new-d', group_id: 'dyn-dynamic-2' },
    ]);
    // A dynamic rollout keeps running for targets still to come.
    expect(await hasEvent('rollout-dyn', 'rollout-finished')).toBe(false);
  });
});
