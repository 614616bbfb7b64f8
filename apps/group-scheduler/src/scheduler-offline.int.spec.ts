import { eventually, type TestDatabase } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { Pool } from 'pg';
import { freshEnvironment, startScheduler, TENANT, type LogWriter, type SchedulerUnderTest } from '../test/scheduler.harness';

/** skip_and_queue: a device that never polls does not block its group (pollingOverdueTime shortened to 700 ms). */
describe('group-scheduler: offline devices', () => {
  let db: TestDatabase;
  let names: BusNames;
  let pool: Pool;
  let log: LogWriter;
  let scheduler: SchedulerUnderTest;

  beforeAll(async () => {
    ({ db, names, pool, log } = await freshEnvironment());
    scheduler = await startScheduler(db, names, { ROLLGATE_POLLING_OVERDUE_MS: '700' });
  });

  afterAll(async () => {
    await scheduler?.close();
    await pool?.end();
    await db?.drop();
  });

  const hasEvent = async (streamId: string, type: string) => (await log.types(streamId)).includes(type);
  const progressOf = async (groupId: string) => (await pool.query(`SELECT queued, scheduled, finished FROM scheduler_groups WHERE tenant = $1 AND group_id = $2`, [TENANT, groupId])).rows[0];

  it('queues a member whose device never polls, judges the group on the others, and lets the device back in later', async () => {
    const r = await log.createRollout('offline', [{ size: 4 }, { size: 1 }]);
    await log.rolloutCommand('offline', { type: 'start-rollout', by: 'admin', at: Date.now() });
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.devices(r, 0, [0, 1, 2], 'finished');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'), 10_000);
    expect(await progressOf(r.groups[0].groupId)).toEqual({ queued: 1, scheduled: 1, finished: 3 });
    const met = (await log.stream(`rolloutgroup-${r.groups[0].groupId}`)).find((e) => e.type.endsWith('.group-success-condition-met.v1'));
    expect(met?.data).toMatchObject({ counters: { finished: 3, scheduled: 1, queued: 1 } });
    // Its action stayed open: when the device finally polls and installs, it leaves the queue.
    await log.device(r, 0, 3, 'finished');
    await eventually(async () => (await progressOf(r.groups[0].groupId)).finished === 4);
    expect(await progressOf(r.groups[0].groupId)).toEqual({ queued: 0, scheduled: 0, finished: 4 });
  });
});
