import { eventually, type TestDatabase } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { Pool } from 'pg';
import { freshEnvironment, range, startScheduler, TENANT, type LogWriter, type SchedulerUnderTest } from '../test/scheduler.harness';

/** Durable timers (startAt, soak across a restart, deploy timeouts), pacing, health gates, two instances. */
describe('group-scheduler: time, pacing, gates, scale-out', () => {
  let db: TestDatabase;
  let names: BusNames;
  let pool: Pool;
  let log: LogWriter;
  let scheduler: SchedulerUnderTest | undefined;

  beforeAll(async () => {
    ({ db, names, pool, log } = await freshEnvironment());
    scheduler = await startScheduler(db, names);
  });

  afterAll(async () => {
    await scheduler?.close();
    await pool?.end();
    await db?.drop();
  });

  const start = (rolloutId: string, startAt?: number) => log.rolloutCommand(rolloutId, { type: 'start-rollout', by: 'admin', startAt, at: Date.now() });
  const hasEvent = async (streamId: string, type: string) => (await log.types(streamId)).includes(type);
  const dataOf = async (streamId: string, type: string) => (await log.stream(streamId)).filter((e) => e.type.endsWith(`.${type}.v1`)).map((e) => e.data as Record<string, unknown>);

  it('starts a rollout when its startAt arrives', async () => {
    const r = await log.createRollout('later', [{ size: 1 }]);
    await start('later', Date.now() + 3000);
    await eventually(() => hasEvent('rollout-later', 'rollout-start-scheduled'));
    expect(await hasEvent('rollout-later', 'rollout-starting')).toBe(false);
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'), 10_000);
    const [starting] = await dataOf('rollout-later', 'rollout-starting');
    expect(starting.by).toBe('group-scheduler');
  });

  it('keeps a soak across a restart of the scheduler: the stored timer starts the next group afterwards', async () => {
    const r = await log.createRollout('soaked', [{ size: 2 }, { size: 1 }], { soakMs: [1500] });
    await start('soaked');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.devices(r, 0, [0, 1], 'finished');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-soak-started'));
    await scheduler!.close();
    scheduler = undefined;
    const timers = await pool.query(`SELECT kind, due_at FROM scheduler_timers WHERE tenant = $1 AND rollout_id = 'soaked'`, [TENANT]);
    // The soak, beside the soaking group's offline check (it is not decided yet; due in an hour).
    expect(timers.rows.map((t) => t.kind).sort()).toEqual(['offline-check', 'soak']);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
    scheduler = await startScheduler(db, names);
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'));
    expect(await log.types(`rolloutgroup-${r.groups[0].groupId}`)).toEqual(expect.arrayContaining(['group-soak-started', 'group-soak-completed', 'group-success-condition-met', 'group-finished']));
    const [soak] = await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-soak-started');
    const [completed] = await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-soak-completed');
    expect((completed.at as number) - (soak.at as number)).toBeGreaterThanOrEqual(1500);
  });

  it('times out an action without progress (action-timed-out on its stream) and counts it as an error', async () => {
    const r = await log.createRollout('slow', [{ size: 3, conditions: { error: { kind: 'count', threshold: 0 }, errorAction: 'STOP' } }], { deployTimeoutMs: 400 });
    await start('slow');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.device(r, 0, 0, 'running');
    await eventually(() => hasEvent(`action-${r.groups[0].firstActionId}`, 'action-timed-out'), 10_000);
    const [timedOut] = await dataOf(`action-${r.groups[0].firstActionId}`, 'action-timed-out');
    expect(timedOut).toMatchObject({ from: 'RUNNING', timeoutMs: 400 });
    await eventually(() => hasEvent('rollout-slow', 'rollout-stopped'));
    const counters = await pool.query(`SELECT error, running FROM scheduler_groups WHERE tenant = $1 AND group_id = $2`, [TENANT, r.groups[0].groupId]);
    expect(counters.rows[0]).toEqual({ error: 1, running: 0 });
  });

  it('paces a group to maxParallel in flight and releases more as actions end', async () => {
    const r = await log.createRollout('paced', [{ size: 6 }], { maxParallel: 2 });
    await start('paced');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    const [started] = await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-started');
    expect(started).toMatchObject({ size: 6, released: 2 });
    await log.devices(r, 0, [0, 1], 'finished');
    await eventually(async () => (await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-actions-released')).some((d) => d.released === 4));
    await log.devices(r, 0, [2, 3], 'finished');
    await eventually(async () => (await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-actions-released')).some((d) => d.released === 6));
    await log.devices(r, 0, [4, 5], 'finished');
    await eventually(() => hasEvent('rollout-paced', 'rollout-finished'));
  });

  it('releases at the ramped maximumPerMinute: the base rate first, more once devices were notified', async () => {
    const rate = { maximumPerMinute: 600, ramp: { baseRatePerMinute: 3, incrementFactor: 10, notifiedThreshold: 3 } };
    const r = await log.createRollout('ramped', [{ size: 6 }], { rate });
    await start('ramped');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    const [started] = await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-started');
    expect(started).toMatchObject({ size: 6, released: 3 });
    // Three notified devices raise the rate to 30/min; the pacing timer releases the rest as tokens refill.
    await log.devices(r, 0, [0, 1, 2], 'finished');
    await eventually(async () => (await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-actions-released')).some((d) => d.released === 6), 20_000);
    const released = await dataOf(`rolloutgroup-${r.groups[0].groupId}`, 'group-actions-released');
    expect((released.at(-1)!.at as number) - (started.at as number)).toBeGreaterThanOrEqual(3_000);
  });

  it('waits for the health gate: CAUTION soaks and asks again, PASS proceeds, FAIL applies the error action', async () => {
    const gated = { healthGate: 'canary_gate' };
    const r = await log.createRollout('gated', [{ size: 2, conditions: gated }, { size: 2, conditions: { ...gated, errorAction: 'STOP' } }, { size: 1 }], { soakMs: [300, 300] });
    const gate = async (groupIndex: number, verdict: string, verdictId: string) => {
      await log.store.append(TENANT, 'health-gated', 'any', [{
        type: 'io.rollgate.health.gate-evaluated.v1', metadata: { source: 'rollgate/health-evaluator' },
        data: { rolloutId: 'gated', groupId: r.groups[groupIndex].groupId, gate: 'canary_gate', verdictId, verdict, reason: `test ${verdict}`, evidence: {} },
      }]);
    };
    const g0 = `rolloutgroup-${r.groups[0].groupId}`;
    const gateRequests = async (stream: string) => (await log.types(stream)).filter((t) => t === 'group-gate-requested').length;
    await start('gated');
    await eventually(() => hasEvent(g0, 'group-started'));
    await log.devices(r, 0, [0, 1], 'finished');
    await eventually(async () => (await gateRequests(g0)) === 1, 10_000);
    await gate(0, 'CAUTION', 'v1');
    await eventually(() => hasEvent(g0, 'group-gate-deferred'));
    await eventually(async () => (await gateRequests(g0)) === 2, 10_000);
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
    await gate(0, 'PASS', 'v2');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'));
    await log.devices(r, 1, [0, 1], 'finished');
    await eventually(async () => (await gateRequests(`rolloutgroup-${r.groups[1].groupId}`)) === 1, 10_000);
    await gate(1, 'FAIL', 'v3');
    await eventually(() => hasEvent('rollout-gated', 'rollout-stopped'));
    expect(await log.types(`rolloutgroup-${r.groups[1].groupId}`)).toEqual(expect.arrayContaining(['group-gate-failed', 'group-error-condition-met']));
    expect(await hasEvent(`rolloutgroup-${r.groups[2].groupId}`, 'group-started')).toBe(false);
  });

  it('runs as two instances at once without applying any transition twice', async () => {
    const second = await startScheduler(db, names);
    try {
      const r = await log.createRollout('twice', [{ size: 3 }, { size: 3 }, { size: 3 }]);
      await start('twice');
      for (const g of [0, 1, 2]) {
        await eventually(() => hasEvent(`rolloutgroup-${r.groups[g].groupId}`, 'group-started'));
        await Promise.all(range(0, 3).map((p) => log.device(r, g, p, 'finished')));
      }
      await eventually(() => hasEvent('rollout-twice', 'rollout-finished'));
      // Give both instances time to see every event again from the bus before checking for duplicates.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const types = await log.types('rollout-twice');
      for (const once of ['rollout-started', 'rollout-finished']) expect(types.filter((t) => t === once)).toHaveLength(1);
      expect(types.filter((t) => t === 'rollout-group-triggered')).toHaveLength(3);
      expect(types.filter((t) => t === 'rollout-group-succeeded')).toHaveLength(3);
      for (const g of r.groups) {
        const groupTypes = await log.types(`rolloutgroup-${g.groupId}`);
        for (const once of ['group-scheduled', 'group-started', 'group-success-condition-met', 'group-finished']) expect(groupTypes.filter((t) => t === once)).toHaveLength(1);
      }
      const counters = await pool.query(`SELECT finished FROM scheduler_groups WHERE tenant = $1 AND rollout_id = 'twice'`, [TENANT]);
      expect(counters.rows.map((c) => c.finished)).toEqual([3, 3, 3]);
    } finally {
      await second.close();
    }
  });
});
