import { eventually, type TestDatabase } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { Pool } from 'pg';
import { freshEnvironment, startScheduler, type LogWriter, type SchedulerUnderTest } from '../test/scheduler.harness';

/** The tenant-wide change budget: devices updating at once across all rollouts (ROLLGATE_CHANGE_BUDGET=3). */
describe('group-scheduler: change budget', () => {
  let db: TestDatabase;
  let names: BusNames;
  let pool: Pool;
  let log: LogWriter;
  let scheduler: SchedulerUnderTest;

  beforeAll(async () => {
    ({ db, names, pool, log } = await freshEnvironment());
    scheduler = await startScheduler(db, names, { ROLLGATE_CHANGE_BUDGET: '3' });
  });

  afterAll(async () => {
    await scheduler?.close();
    await pool?.end();
    await db?.drop();
  });

  const released = async (groupId: string) => {
    const stream = await log.stream(`rolloutgroup-${groupId}`);
    const started = stream.find((e) => e.type.endsWith('.group-started.v1'))?.data as { size: number; released?: number } | undefined;
    const more = stream.filter((e) => e.type.endsWith('.group-actions-released.v1')).map((e) => (e.data as { released: number }).released);
    return started ? Math.max(started.released ?? started.size, ...more) : undefined;
  };

  it('shares the budget between rollouts: the second waits until the first frees its slots', async () => {
    const first = await log.createRollout('budget-a', [{ size: 3 }]);
    const second = await log.createRollout('budget-b', [{ size: 2 }]);
    await log.rolloutCommand('budget-a', { type: 'start-rollout', by: 'admin', at: Date.now() });
    await eventually(async () => (await released(first.groups[0].groupId)) === 3);
    await log.rolloutCommand('budget-b', { type: 'start-rollout', by: 'admin', at: Date.now() });
    await eventually(async () => (await released(second.groups[0].groupId)) === 0);
    await log.devices(first, 0, [0, 1, 2], 'finished');
    // The budget's retry timer (5 s) opens the second rollout's actions once the first's have ended.
    await eventually(async () => (await released(second.groups[0].groupId)) === 2, 15_000);
  });
});
