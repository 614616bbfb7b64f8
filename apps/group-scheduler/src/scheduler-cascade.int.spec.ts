import { eventually, type TestDatabase } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { Pool } from 'pg';
import { freshEnvironment, range, startScheduler, TENANT, type LogWriter, type SchedulerUnderTest } from '../test/scheduler.harness';

/**
 * group-scheduler against the real PostgreSQL and NATS: the test plays the planner (rollout commands) and the
 * gateway (action events), appending to the log as they would; the scheduler reacts through the relay, the
 * bus and its counters' log reader.
 */
describe('group-scheduler: start, cascade, errors', () => {
  let db: TestDatabase;
  let names: BusNames;
  let pool: Pool;
  let log: LogWriter;
  let scheduler: SchedulerUnderTest;

  beforeAll(async () => {
    ({ db, names, pool, log } = await freshEnvironment());
    scheduler = await startScheduler(db, names);
  });

  afterAll(async () => {
    await scheduler?.close();
    await pool?.end();
    await db?.drop();
  });

  const start = (rolloutId: string) => log.rolloutCommand(rolloutId, { type: 'start-rollout', by: 'admin', at: Date.now() });
  const hasEvent = async (streamId: string, type: string) => (await log.types(streamId)).includes(type);
  const count = async (streamId: string, type: string) => (await log.types(streamId)).filter((t) => t === type).length;

  it('schedules every group, starts the first with one event, cascades on success and finishes', async () => {
    const r = await log.createRollout('cascade', [{ size: 4 }, { size: 3 }, { size: 2 }]);
    await start('cascade');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    expect(await log.types(`rolloutgroup-${r.groups[1].groupId}`)).toEqual(['group-created', 'group-members-added', 'group-ready', 'group-scheduled']);
    // Starting a group is one event: no per-target events anywhere.
    const started = (await log.stream(`rolloutgroup-${r.groups[0].groupId}`)).filter((e) => e.type.endsWith('.group-started.v1'));
    expect(started.map((e) => e.data)).toEqual([expect.objectContaining({ size: 4 })]);

    await log.devices(r, 0, range(0, 3), 'finished');
    // 3 of 4 is below the 100 % threshold: the next group must not start yet.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
    await log.device(r, 0, 3, 'finished');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'));
    await log.devices(r, 1, range(0, 3), 'finished');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[2].groupId}`, 'group-started'));
    await log.devices(r, 2, range(0, 2), 'finished');
    await eventually(() => hasEvent('rollout-cascade', 'rollout-finished'));

    // The last report of a group meets success and finishes it: the cascade is continued first.
    expect(await log.types('rollout-cascade')).toEqual([
      'rollout-created', 'rollout-ready', 'rollout-starting', 'rollout-started', 'rollout-group-triggered',
      'rollout-group-succeeded', 'rollout-group-triggered', 'rollout-group-completed',
      'rollout-group-succeeded', 'rollout-group-triggered', 'rollout-group-completed',
      'rollout-group-succeeded', 'rollout-group-completed', 'rollout-finished',
    ]);
    const counters = await pool.query(`SELECT group_id, finished, scheduled, running FROM scheduler_groups WHERE rollout_id = 'cascade' ORDER BY idx`);
    expect(counters.rows).toEqual([
      { group_id: r.groups[0].groupId, finished: 4, scheduled: 0, running: 0 },
      { group_id: r.groups[1].groupId, finished: 3, scheduled: 0, running: 0 },
      { group_id: r.groups[2].groupId, finished: 2, scheduled: 0, running: 0 },
    ]);
  });

  it('pauses after a group whose success action is PAUSE; resume starts the next group at once', async () => {
    const r = await log.createRollout('pausing', [{ size: 2, conditions: { successAction: 'PAUSE' } }, { size: 2 }]);
    await start('pausing');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.devices(r, 0, [0, 1], 'finished');
    await eventually(() => hasEvent('rollout-pausing', 'rollout-paused'));
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
    await log.rolloutCommand('pausing', { type: 'resume-rollout', by: 'admin', at: Date.now() });
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'));
    const triggered = (await log.stream('rollout-pausing')).filter((e) => e.type.endsWith('.rollout-group-triggered.v1')).map((e) => (e.data as { reason: string }).reason);
    expect(triggered).toEqual(['first', 'resume']);
  });

  it('starts the group the planner triggered by hand (triggerNextGroup)', async () => {
    const r = await log.createRollout('manual', [{ size: 2 }, { size: 2 }]);
    await start('manual');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.rolloutCommand('manual', { type: 'trigger-next-group', by: 'admin', at: Date.now() });
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'));
    expect(await count(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(1);
  });

  it('applies the error action PAUSE on a percentage threshold and starts nothing more', async () => {
    const r = await log.createRollout('err-pause', [{ size: 5, conditions: { error: { kind: 'percentage', threshold: 20 }, errorAction: 'PAUSE' } }, { size: 2 }]);
    await start('err-pause');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.device(r, 0, 0, 'error'); // 20 %: not above the threshold
    await log.devices(r, 0, [1, 2], 'finished');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await hasEvent('rollout-err-pause', 'rollout-paused')).toBe(false);
    await log.device(r, 0, 3, 'error'); // 40 %
    await eventually(() => hasEvent('rollout-err-pause', 'rollout-paused'));
    const paused = (await log.stream('rollout-err-pause')).find((e) => e.type.endsWith('.rollout-paused.v1'));
    expect(paused?.data).toMatchObject({ reason: 'error-action', groupId: r.groups[0].groupId });
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
  });

  it('two-phase success: in verified mode only health-evaluator\'s device-verified counts toward the threshold', async () => {
    const r = await log.createRollout('verified', [{ size: 2, conditions: { success: { threshold: 100, mode: 'verified' } } }, { size: 1 }]);
    await start('verified');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.devices(r, 0, [0, 1], 'finished');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
    for (const p of [0, 1]) {
      await log.store.append(TENANT, 'health-verified', 'any', [{
        type: 'io.rollgate.health.device-verified.v1', metadata: { source: 'rollgate/health-evaluator' },
        data: { rolloutId: 'verified', groupId: r.groups[0].groupId, controllerId: r.groups[0].targets[p], actionId: r.groups[0].firstActionId + p, at: Date.now() },
      }]);
    }
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'));
    const met = (await log.stream(`rolloutgroup-${r.groups[0].groupId}`)).find((e) => e.type.endsWith('.group-success-condition-met.v1'));
    expect(met?.data).toMatchObject({ counters: { finished: 2, verified: 2 } });
  });

  it('completes a manual stop from the planner, and a stopped rollout cascades no further', async () => {
    const r = await log.createRollout('manual-stop', [{ size: 2 }, { size: 2 }]);
    await start('manual-stop');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.rolloutCommand('manual-stop', { type: 'stop-rollout', by: 'admin', at: Date.now() });
    await eventually(() => hasEvent('rollout-manual-stop', 'rollout-stopped'));
    await log.devices(r, 0, [0, 1], 'finished');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-success-condition-met'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
    const types = await log.types('rollout-manual-stop');
    expect(types.slice(types.indexOf('rollout-stopping'))).toEqual(['rollout-stopping', 'rollout-stopped']);
  });

  it('skips an event whose payload breaks its contract without holding the consumer back', async () => {
    const r = await log.createRollout('malformed', [{ size: 1 }, { size: 1 }]);
    await start('malformed');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    // Without its startAt the timer could not be stored: retried, the event would stall the consumer until dead-lettered.
    await log.store.append(TENANT, 'rollout-malformed', 'any', [{ type: 'io.rollgate.rollout.rollout-start-scheduled.v1', data: { by: 'admin', at: Date.now() }, metadata: { source: 'rollgate/test' } }]);
    await log.device(r, 0, 0, 'finished');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started'));
    const deadLetters = await pool.query(`SELECT count(*)::int AS n FROM dead_letters WHERE consumer = 'group-scheduler'`);
    expect(deadLetters.rows[0].n).toBe(0);
  });

  it('STOP on an error count: stopping (which cancels every open action in that one event), then stopped', async () => {
    const r = await log.createRollout('err-stop', [{ size: 6, conditions: { error: { kind: 'count', threshold: 1 }, errorAction: 'STOP' } }, { size: 2 }]);
    await start('err-stop');
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.devices(r, 0, [0, 1], 'running');
    await log.devices(r, 0, [2, 3], 'error');
    await eventually(() => hasEvent('rollout-err-stop', 'rollout-stopped'));
    const types = await log.types('rollout-err-stop');
    expect(types.slice(types.indexOf('rollout-group-failed'))).toEqual(['rollout-group-failed', 'rollout-stopping', 'rollout-stopped']);
    const stopping = (await log.stream('rollout-err-stop')).find((e) => e.type.endsWith('.rollout-stopping.v1'));
    expect(stopping?.data).toMatchObject({ reason: 'emergency', groupId: r.groups[0].groupId });
    expect(await log.types(`rolloutgroup-${r.groups[0].groupId}`)).toContain('group-error-condition-met');
    expect(await hasEvent(`rolloutgroup-${r.groups[1].groupId}`, 'group-started')).toBe(false);
  });
});
