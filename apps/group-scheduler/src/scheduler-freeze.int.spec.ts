import { eventually, type TestDatabase } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { Pool } from 'pg';
import { freshEnvironment, startScheduler, type LogWriter, type SchedulerUnderTest } from '../test/scheduler.harness';

/** Freeze windows: frozen for the first 10 s of every 20 s (cron with seconds), nothing is released meanwhile. */
describe('group-scheduler: freeze windows', () => {
  let db: TestDatabase;
  let names: BusNames;
  let pool: Pool;
  let log: LogWriter;
  let scheduler: SchedulerUnderTest;

  beforeAll(async () => {
    ({ db, names, pool, log } = await freshEnvironment());
    scheduler = await startScheduler(db, names, { ROLLGATE_FREEZE_WINDOWS: JSON.stringify([{ schedule: '*/20 * * * * ?', duration: '00:00:10', timezone: '+00:00' }]) });
  });

  afterAll(async () => {
    await scheduler?.close();
    await pool?.end();
    await db?.drop();
  });

  const dataOf = async (streamId: string, type: string) => (await log.stream(streamId)).filter((e) => e.type.endsWith(`.${type}.v1`)).map((e) => e.data as Record<string, unknown>);

  it('starts a group inside a freeze with nothing released, and releases it when the window closes', async () => {
    const r = await log.createRollout('frozen', [{ size: 3 }]);
    // Start right as a window opens, so the start surely falls inside it.
    await new Promise((resolve) => setTimeout(resolve, 20_000 - (Date.now() % 20_000) + 200));
    await log.rolloutCommand('frozen', { type: 'start-rollout', by: 'admin', at: Date.now() });
    await eventually(async () => (await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-started')).length === 1);
    const [started] = await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-started');
    expect(started).toMatchObject({ size: 3, released: 0 });
    expect((started.at as number) % 20_000).toBeLessThan(10_000);
    await eventually(async () => (await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-actions-released')).length === 1, 25_000);
    const [released] = await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-actions-released');
    expect(released.released).toBe(3);
    expect((released.at as number) % 20_000).toBeGreaterThanOrEqual(10_000);
  });
});
