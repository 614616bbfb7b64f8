import { eventually, type TestDatabase } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { Pool } from 'pg';
import { freshEnvironment, startScheduler, TENANT, type LogWriter, type SchedulerUnderTest } from '../test/scheduler.harness';

/** Error action ROLLBACK and health-evaluator's rollback triggers, end to end through the log and the bus. */
describe('group-scheduler: rollback orchestration', () => {
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

  const hasEvent = async (streamId: string, type: string) => (await log.types(streamId)).includes(type);
  const dataOf = async (streamId: string, type: string) => (await log.stream(streamId)).filter((e) => e.type.endsWith(`.${type}.v1`)).map((e) => e.data as Record<string, unknown>);

  it('ROLLBACK: stops, rolls the affected devices back to their previous set in batches of maxParallel, records the incident', async () => {
    const r = await log.createRollout('rb', [{ size: 4, conditions: { error: { kind: 'count', threshold: 0 }, errorAction: 'ROLLBACK' } }, { size: 2 }], { maxParallel: 2 });
    for (const target of r.groups[0].targets) await log.install(target, 'ds-old');
    await log.rolloutCommand('rb', { type: 'start-rollout', by: 'admin', at: Date.now() });
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.devices(r, 0, [0, 1], 'finished');
    await eventually(async () => (await pool.query(`SELECT finished FROM scheduler_groups WHERE group_id = $1`, [r.groups[0].groupId])).rows[0]?.finished === 2);
    await log.device(r, 0, 2, 'error');
    await eventually(() => hasEvent('rollout-rb', 'rollout-incident-recorded'), 15_000);

    const types = await log.types('rollout-rb');
    expect(types.slice(types.indexOf('rollout-group-failed'))).toEqual(['rollout-group-failed', 'rollout-stopping', 'rollout-rollback-requested', 'rollout-stopped', 'rollout-incident-recorded']);
    const [incident] = await dataOf('rollout-rb', 'rollout-incident-recorded');
    const rollbacks = incident.rollbackRollouts as Array<{ rolloutId: string; distributionSetId: string; devices: number }>;
    expect(rollbacks).toEqual([{ rolloutId: expect.any(String), distributionSetId: 'ds-old', devices: 3 }]);
    expect(incident).toMatchObject({ groupId: r.groups[0].groupId, devicesWithoutPrevious: 0 });

    const rollbackId = rollbacks[0].rolloutId;
    const [created] = await dataOf(`rollout-${rollbackId}`, 'rollout-created');
    expect(created).toMatchObject({ distributionSetId: 'ds-old', rollbackOf: { rolloutId: 'rb', groupId: r.groups[0].groupId }, plan: { groups: [{ size: 2 }, { size: 1 }] } });
    // Started at once, without approval; the first batch runs, the second waits for it.
    await eventually(() => hasEvent(`rollout-${rollbackId}`, 'rollout-started'));
    const batches = (created.plan as { groups: Array<{ groupId: string }> }).groups.map((g) => g.groupId);
    await eventually(() => hasEvent(`rolloutgroup-${batches[0]}`, 'group-started'));
    expect(await hasEvent(`rolloutgroup-${batches[1]}`, 'group-started')).toBe(false);
    const members = (await dataOf(`rolloutgroup-${batches[0]}`, 'group-members-added')).flatMap((d) => d.targetIds as string[]);
    expect(members).toEqual([r.groups[0].targets[0], r.groups[0].targets[1]]);
    const deployments = await pool.query(`SELECT target_id, installed_ds, previous_installed_ds FROM target_deployments WHERE tenant = $1 AND target_id = $2`, [TENANT, r.groups[0].targets[0]]);
    expect(deployments.rows[0]).toEqual({ target_id: r.groups[0].targets[0], installed_ds: 'ds-new', previous_installed_ds: 'ds-old' });
  });

  it('executes rollback triggers from health-evaluator: halt_and_assess pauses, rollback_device rolls one device back and goes on', async () => {
    const r = await log.createRollout('trig', [{ size: 3 }, { size: 2 }]);
    for (const target of r.groups[0].targets) await log.install(target, 'ds-old');
    await log.rolloutCommand('trig', { type: 'start-rollout', by: 'admin', at: Date.now() });
    await eventually(() => hasEvent(`rolloutgroup-${r.groups[0].groupId}`, 'group-started'));
    await log.device(r, 0, 0, 'finished');
    const trigger = async (action: string, controllerIds: string[]) =>
      log.store.append(TENANT, 'health-trig', 'any', [{
        type: 'io.rollgate.health.rollback-triggered.v1', metadata: { source: 'rollgate/health-evaluator' },
        data: { rolloutId: 'trig', groupId: r.groups[0].groupId, trigger: 'crash_loop', action, controllerIds, evidence: {} },
      }]);
    await eventually(async () => (await pool.query(`SELECT finished FROM target_deployments t JOIN (SELECT 1 AS finished) x ON true WHERE t.tenant = $1 AND t.target_id = $2 AND t.installed_ds = 'ds-new'`, [TENANT, r.groups[0].targets[0]])).rowCount === 1);
    await trigger('rollback_device', [r.groups[0].targets[0]]);
    await eventually(() => hasEvent('rollout-trig', 'rollout-incident-recorded'), 15_000);
    expect(await hasEvent('rollout-trig', 'rollout-stopping')).toBe(false);
    const [requested] = await dataOf('rollout-trig', 'rollout-rollback-requested');
    expect(requested).toMatchObject({ scope: 'device', controllerIds: [r.groups[0].targets[0]], cause: 'health:crash_loop' });
    await trigger('halt_and_assess', []);
    await eventually(() => hasEvent('rollout-trig', 'rollout-paused'));
    const [paused] = await dataOf('rollout-trig', 'rollout-paused');
    expect(paused).toMatchObject({ reason: 'error-action', by: 'health-trigger:crash_loop' });
  });
});
