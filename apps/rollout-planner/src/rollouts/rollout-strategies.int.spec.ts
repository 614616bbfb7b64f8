import type { Pool } from 'pg';
import type * as EventStoreModule from '@rollgate/event-store';
import type * as KitModule from '@rollgate/service-kit';
import type * as ProjectionsFile from '../shared/projections.service';
import { loadBuilt } from '../../test/built-workspace';
import { startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface PageOf<T> {
  content: T[];
  total: number;
  size: number;
}
interface Group {
  id: string;
  name: string;
  totalTargets: number;
  errorCondition: { condition: string; expression: string };
  errorAction: { action: string };
  successAction: { action: string };
  healthGate?: string;
}

const FLEET = 60;
const TYPES = ['gw', 'cam', 'plc'];
const REGIONS = ['eu', 'us'];
const GATEWAY = { source: 'rollgate/device-gateway', actor: 'system:device-gateway' };

/** The seeds' example (edge-fleet-rolling-strategies.md, "Wave Configuration"), in the body's camelCase. */
const SEEDS_BODY = {
  strategy: 'canary-waves',
  canary: { percentage: 3, minDevices: 1, maxDevices: 10, soakMinutes: 30, requireHumanApprovalAfter: true },
  waves: [
    { name: 'wave-1', percentage: 15, soakMinutes: 15, failureThresholdPercent: 5, autoRollback: true },
    { name: 'wave-2', percentage: 35, soakMinutes: 10, failureThresholdPercent: 5, autoRollback: true },
    { name: 'wave-3', percentage: 100, soakMinutes: 10, failureThresholdPercent: 3, autoRollback: true },
  ],
  global: { maxParallelDeploys: 50, deployTimeoutMinutes: 10, offlineDevicePolicy: 'skip_and_queue' },
};

/** Rollgate's rollout extensions (strategy, gates, pacing, timeouts, retries, window) and the dry run. */
describe('/rest/v1/rollouts strategies and dry run', () => {
  let planner: Planner;
  let pool: Pool;
  let as: Callers;
  let setId: string;

  const create = (body: Record<string, unknown>, auth = as.admin) => planner.request('POST', '/rest/v1/rollouts', { auth, body: { distributionSetId: setId, targetFilterQuery: 'name==*', ...body } });
  const dryRun = (body: Record<string, unknown>, query = '', auth = as.admin) => planner.request('POST', `/rest/v1/rollouts/plan${query}`, { auth, body: { distributionSetId: setId, targetFilterQuery: 'name==*', ...body } });
  const groupsOf = async (id: string) => ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups?limit=100`, { auth: as.reader })).body as PageOf<Group>).content;

  beforeAll(async () => {
    planner = await startPlanner();
    pool = planner.service.app.get<symbol, Pool>(loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts').PG_POOL);
    as = await createCallers(planner, ['READ_ROLLOUT']);
    const targets = Array.from({ length: FLEET }, (_, i) => ({ controllerId: `dev-${String(i).padStart(2, '0')}`, name: `dev-${i}` }));
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: targets })).status).toBe(201);
    // Given: the devices reported their type and region as DDI configData (the gateway appends it).
    const { EventStore } = loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts');
    const store = planner.service.app.get(EventStore);
    await store.appendMany(targets.map((t, i) => ({
      tenant: 'acme', streamId: `target-${t.controllerId}`, expectedVersion: 1,
      events: [{ type: 'io.rollgate.target.target-attributes-updated.v1', data: { mode: 'merge', data: { device_type: TYPES[i % 3], region: REGIONS[i % 2] }, at: Date.now() }, metadata: GATEWAY }],
    })));
    await planner.service.app.get(loadBuilt<typeof ProjectionsFile>('apps/rollout-planner/src/shared/projections.service.ts').Projections).catchUp();
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'image', version: '1.0', type: 'os' }] });
    const sets = await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'fw', version: '1.0', type: 'os', modules: [{ id: (modules.body as Array<{ id: string }>)[0].id }] }] });
    setId = (sets.body as Array<{ id: string }>)[0].id;
  });
  afterAll(() => planner?.close());

  describe('POST /rollouts with a strategy', () => {
    it('plans the seeds’ canary plus waves with health gates and ROLLBACK, and records the execution for the scheduler', async () => {
      const created = await create({ name: 'canary-waves', ...SEEDS_BODY, errorAction: { action: 'PAUSE' }, retries: 1, maximumPerMinute: 20, rateRamp: { baseRatePerMinute: 5, incrementFactor: 2, succeededThreshold: 10 } });
      expect(created).toMatchObject({ status: 201, body: { status: 'ready', strategy: 'canary-waves', totalTargets: FLEET, totalGroups: 4 } });
      const id = (created.body as { id: string }).id;
      const groups = await groupsOf(id);
      expect(groups.map((g) => g.name)).toEqual(['canary', 'wave-1', 'wave-2', 'wave-3']);
      expect(groups[0]).toMatchObject({ healthGate: 'canary_gate', successAction: { action: 'PAUSE' }, errorAction: { action: 'PAUSE' } });
      expect(groups.slice(1).map((g) => [g.healthGate, g.errorCondition.expression, g.errorAction.action])).toEqual([
        ['wave_gate', '5', 'ROLLBACK'], ['wave_gate', '5', 'ROLLBACK'], ['completion_gate', '3', 'ROLLBACK'],
      ]);
      // The canary covers every device type and region (3 types, then a region if still missing), within max 10.
      const canary = ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups/${groups[0].id}/targets`, { auth: as.reader })).body as PageOf<{ controllerId: string }>).content;
      const { rows: covered } = await pool.query<{ types: number; regions: number }>(
        `SELECT count(DISTINCT attributes->>'device_type')::int AS types, count(DISTINCT attributes->>'region')::int AS regions FROM targets WHERE tenant = 'acme' AND controller_id = ANY($1)`,
        [canary.map((t) => t.controllerId)],
      );
      expect(covered[0]).toEqual({ types: 3, regions: 2 });
      expect([3, 4]).toContain(canary.length);
      // Waves are percentages of what is left after the canary: ceil(pool × 15 %), ceil(pool × 35 %), the rest.
      const wavePool = FLEET - canary.length;
      expect(groups.map((g) => g.totalTargets)).toEqual([canary.length, Math.ceil(wavePool * 0.15), Math.ceil(wavePool * 0.35), wavePool - Math.ceil(wavePool * 0.15) - Math.ceil(wavePool * 0.35)]);
      const { rows } = await pool.query<{ data: { execution: unknown; plan: { seed: string } } }>(`SELECT data FROM events WHERE tenant = 'acme' AND stream_id = $1 AND type = 'io.rollgate.rollout.rollout-created.v1'`, [`rollout-${id}`]);
      expect(rows[0].data.execution).toEqual({
        strategy: 'canary-waves', soakMs: [1_800_000, 900_000, 600_000, 600_000], maxParallel: 50, deployTimeoutMs: 600_000, maxAttempts: 2,
        rate: { maximumPerMinute: 20, ramp: { baseRatePerMinute: 5, incrementFactor: 2, succeededThreshold: 10 } },
        offlinePolicy: 'skip_and_queue', healthGates: {}, healthPreset: 'default', rollbackTriggers: { enabled: true }, pauseAfterCanary: true,
      });
    });

    it('plans rolling batches of max_unavailable with verified success, count error conditions and a maintenance window', async () => {
      const created = await create({
        name: 'rolling', strategy: 'rolling', rolling: { maxUnavailable: '25%', minReadySeconds: 60, rollbackOnFailure: true }, successMode: 'verified',
        errorCondition: { condition: 'COUNT', expression: '2' }, maintenanceWindow: { schedule: '0 0 2 * * ?', duration: '02:00:00', timezone: '+00:00' },
      });
      expect(created).toMatchObject({ status: 201, body: { strategy: 'rolling', totalGroups: 4 } });
      const groups = await groupsOf((created.body as { id: string }).id);
      expect(groups.map((g) => [g.name, g.totalTargets, g.errorCondition.condition, g.errorCondition.expression, g.errorAction.action])).toEqual([
        ['batch-1', 15, 'COUNT', '2', 'ROLLBACK'], ['batch-2', 15, 'COUNT', '2', 'ROLLBACK'], ['batch-3', 15, 'COUNT', '2', 'ROLLBACK'], ['batch-4', 15, 'COUNT', '2', 'ROLLBACK'],
      ]);
      expect(groups.every((g) => (g as unknown as { successMode: string }).successMode === 'verified')).toBe(true);
    });

    it('answers every bad extension with 400 and the field’s path', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ waves: SEEDS_BODY.waves }, '/waves'],
        [{ strategy: 'canary-waves' }, '/waves'],
        [{ strategy: 'canary-waves', waves: SEEDS_BODY.waves, amountGroups: 3 }, '/amountGroups'],
        [{ strategy: 'rolling' }, '/rolling'],
        [{ strategy: 'blue-green' }, '/strategy'],
        [{ strategy: 'canary-waves', waves: [{ name: 'w', percentage: 0 }] }, '/waves/0/percentage'],
        [{ strategy: 'canary-waves', waves: [{ name: 'w', percentage: 50 }, { name: 'w', percentage: 50 }] }, '/waves/1/name'],
        [{ strategy: 'canary-waves', waves: SEEDS_BODY.waves, canary: { minDevices: 5, maxDevices: 2 } }, '/canary/minDevices'],
        [{ strategy: 'rolling', rolling: { maxUnavailable: '10%', minAvailable: '100%' } }, '/rolling'],
        [{ strategy: 'rolling', rolling: { maxUnavailable: 'ten' } }, '/rolling/maxUnavailable'],
        [{ errorCondition: { condition: 'COUNT', expression: '2.5' } }, '/errorCondition'],
        [{ errorAction: { action: 'EXPLODE' } }, '/errorAction/action'],
        [{ maxParallel: 5, global: { maxParallelDeploys: 10 } }, '/maxParallel'],
        [{ maxParallel: 0 }, '/maxParallel'],
        [{ rateRamp: { baseRatePerMinute: 5, incrementFactor: 2 } }, '/rateRamp'],
        [{ maximumPerMinute: 10, rateRamp: { baseRatePerMinute: 50, incrementFactor: 2 } }, '/rateRamp/baseRatePerMinute'],
        [{ maintenanceWindow: { schedule: 'whenever', duration: '01:00:00', timezone: '+00:00' } }, '/maintenanceWindow'],
        [{ retries: -1 }, '/retries'],
        [{ healthGates: { enabled: true, bogus_gate: {} } }, '/healthGates/bogus_gate'],
      ];
      for (const [extension, path] of cases) {
        const answer = await create({ name: 'bad', ...extension });
        expect([path, answer.status]).toEqual([path, 400]);
        expect([path, (answer.body as { issues: Array<{ path: string }> }).issues.map((i) => i.path)]).toEqual([path, expect.arrayContaining([path])]);
      }
      expect((await planner.request('GET', '/rest/v1/rollouts?q=name==bad', { auth: as.reader })).body).toMatchObject({ total: 0 });
    });
  });

  describe('POST /rollouts/plan (dry run)', () => {
    it('answers groups with sizes by type and region, conditions, execution, forecast and explanations, creating nothing', async () => {
      const before = (await pool.query(`SELECT count(*)::int AS n FROM events`)).rows[0] as { n: number };
      const answer = await dryRun({ ...SEEDS_BODY, maximumPerMinute: 60, forecast: { pollIntervalSeconds: 60, installMinutes: 2 } }, '?limit=5');
      expect(answer.status).toBe(200);
      const plan = answer.body as {
        seed: string; strategy: string; candidateTargets: number; includedTargets: number;
        groups: Array<{ name: string; kind: string; size: number; byType: Record<string, number>; byRegion: Record<string, number>; conditions: { healthGate?: string }; soakMs: number }>;
        forecast: { totalMs: number; groups: Array<{ startsAfterMs: number; durationMs: number }> };
        explanations: PageOf<{ targetId: string; included: boolean; group: string; code: string; message: string }>;
      };
      expect(plan).toMatchObject({ strategy: 'canary-waves', candidateTargets: FLEET, includedTargets: FLEET });
      expect(plan.groups.map((g) => [g.name, g.kind, g.conditions.healthGate, g.soakMs])).toEqual([
        ['canary', 'canary', 'canary_gate', 1_800_000], ['wave-1', 'wave', 'wave_gate', 900_000], ['wave-2', 'wave', 'wave_gate', 600_000], ['wave-3', 'wave', 'completion_gate', 600_000],
      ]);
      const canarySize = plan.groups[0].size;
      expect(Object.keys(plan.groups[0].byType).sort()).toEqual(['cam', 'gw', 'plc']);
      expect(Object.keys(plan.groups[0].byRegion).sort()).toEqual(['eu', 'us']);
      for (const g of plan.groups) {
        expect(Object.values(g.byType).reduce((a, b) => a + b, 0)).toBe(g.size);
        expect(Object.values(g.byRegion).reduce((a, b) => a + b, 0)).toBe(g.size);
      }
      // canary: n devices at 60/min = n s, + half a poll (30 s) + install (120 s) + soak (30 min)
      expect(plan.forecast.groups[0]).toEqual({ name: 'canary', startsAfterMs: 0, durationMs: canarySize * 1_000 + 30_000 + 120_000 + 1_800_000 });
      expect(plan.forecast.totalMs).toBe(plan.forecast.groups.reduce((sum, g) => sum + g.durationMs, 0));
      expect(plan.explanations).toMatchObject({ total: FLEET, size: 5 });
      expect(plan.explanations.content[0]).toMatchObject({ targetId: 'dev-00', included: true, message: expect.any(String) });
      expect((await pool.query(`SELECT count(*)::int AS n FROM events`)).rows[0]).toEqual(before);
    });

    it('replays a plan exactly from its seed, pages explanations and lists exclusions only when asked', async () => {
      const first = (await dryRun({ amountGroups: 3, seed: 'replay-me' }, '?offset=10&limit=10')).body as { seed: string; explanations: PageOf<{ targetId: string; group: string }> };
      const again = (await dryRun({ amountGroups: 3, seed: 'replay-me' }, '?offset=10&limit=10')).body as typeof first;
      expect(first.seed).toBe('replay-me');
      expect(again.explanations).toEqual(first.explanations);
      expect(first.explanations.content.map((e) => e.targetId)).toEqual(Array.from({ length: 10 }, (_, i) => `dev-${10 + i}`));
      expect((await dryRun({ amountGroups: 3 }, '?included=false')).body).toMatchObject({ explanations: { total: 0, content: [] } });
    });

    it('refuses bad bodies and paging with field paths, needs CREATE_ROLLOUT, and stays within the tenant', async () => {
      expect(await dryRun({ strategy: 'rolling' })).toMatchObject({ status: 400, body: { issues: [{ path: '/rolling' }] } });
      expect(await dryRun({ targetFilterQuery: 'vendor==x' })).toMatchObject({ status: 400, body: { code: 'filter_unknown_field', issues: [{ path: '/targetFilterQuery' }] } });
      expect(await dryRun({ bogus: 1 })).toMatchObject({ status: 400, body: { issues: [{ path: '/bogus' }] } });
      expect(await dryRun({}, '?limit=0')).toMatchObject({ status: 400, body: { issues: [{ path: 'limit' }] } });
      expect(await dryRun({}, '?included=maybe')).toMatchObject({ status: 400, body: { issues: [{ path: 'included' }] } });
      expect((await planner.request('POST', '/rest/v1/rollouts/plan', { body: { distributionSetId: setId, targetFilterQuery: 'name==*' } })).status).toBe(401);
      expect(await dryRun({}, '', as.reader)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      expect(await dryRun({}, '', as.otherTenant)).toMatchObject({ status: 404, body: { code: 'distribution_set_not_found' } });
    });
  });
});
