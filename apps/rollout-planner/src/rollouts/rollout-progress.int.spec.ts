import type { BusNames } from '@rollgate/contracts';
import { projectionLockKey } from '@rollgate/event-store';
import { actionsProjection } from '@rollgate/read-models';
import { eventually, serviceBusEnv } from '@rollgate/testing';
import { Client } from 'pg';
import type * as SchedulerServiceFile from '../../../group-scheduler/src/scheduler.service';
import { loadBuilt } from '../../test/built-workspace';
import { startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';
import { DeviceLog, NO_TARGETS, type PerStatus } from './rollout-device-log.fixture';

jest.setTimeout(120_000);

interface RolloutRead {
  id: string;
  status: string;
  totalTargetsPerStatus: PerStatus;
}

/**
 * Rollout progress through HTTP with the real group-scheduler running the rollouts and devices reporting as
 * device-gateway appends it: stops, rejections and error conditions in `totalTargetsPerStatus` and the
 * groups' statuses; and the rollout write path (signed artifacts, read models it waits for).
 */
describe('rollout progress and the rollout write path', () => {
  let planner: Planner & { db: { url: string }; names: BusNames };
  let scheduler: { close(): Promise<void> };
  let devices: DeviceLog;
  let as: Callers;
  let setId: string;
  let moduleId: string;

  const read = async (path: string): Promise<RolloutRead> => (await planner.request('GET', path, { auth: as.reader })).body as RolloutRead;
  const groupIdsOf = async (id: string): Promise<string[]> =>
    ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups?sort=index:ASC`, { auth: as.reader })).body as { content: Array<{ id: string }> }).content.map((g) => g.id);
  const createRollout = async (body: Record<string, unknown>): Promise<string> => {
    const created = await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, body: { distributionSetId: setId, ...body } });
    expect(created).toMatchObject({ status: 201, body: { status: 'ready' } });
    return (created.body as { id: string }).id;
  };
  const startAndAwaitFirstGroup = async (id: string): Promise<string[]> => {
    expect((await planner.request('POST', `/rest/v1/rollouts/${id}/start`, { auth: as.admin })).status).toBe(200);
    const groupIds = await groupIdsOf(id);
    await eventually(async () => (await read(`/rest/v1/rollouts/${id}/deploygroups/${groupIds[0]}`)).status === 'running');
    return groupIds;
  };

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_ROLLOUT']);
    const { startGroupScheduler } = loadBuilt<typeof SchedulerServiceFile>('apps/group-scheduler/src/scheduler.service.ts');
    scheduler = await startGroupScheduler({ DATABASE_URL: planner.db.url, PORT: '0', LOG_LEVEL: 'fatal', ROLLGATE_TIMER_POLL_MS: '50', ...serviceBusEnv(planner.names) });
    devices = new DeviceLog(planner.db.url);
    const targets = Array.from({ length: 30 }, (_, i) => ({ controllerId: `unit-${String(i).padStart(2, '0')}`, name: `unit-${i}` }));
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: targets })).status).toBe(201);
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'firmware', version: '3.0', type: 'os' }] });
    moduleId = (modules.body as Array<{ id: string }>)[0].id;
    const sets = await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'fw', version: '3.0', type: 'os', modules: [{ id: moduleId }] }] });
    setId = (sets.body as Array<{ id: string }>)[0].id;
  });
  afterAll(async () => {
    await scheduler?.close();
    await devices?.close();
    await planner?.close();
  });

  it('counts a rejected device and, once stopped, every untouched action as cancelled', async () => {
    const id = await createRollout({ name: 'stopped', targetFilterQuery: 'controllerId==unit-0*', amountGroups: 2 });
    const groupIds = await startAndAwaitFirstGroup(id);
    expect((await read(`/rest/v1/rollouts/${id}`)).totalTargetsPerStatus).toEqual({ ...NO_TARGETS, scheduled: 5, notstarted: 5 });
    const members = await devices.membersOf(groupIds[0]);
    await devices.report(id, groupIds[0], members, 0, 'running');
    await devices.report(id, groupIds[0], members, 1, 'rejected');
    await devices.report(id, groupIds[0], members, 2, 'success');
    const counted = await eventually(async () => {
      const rollout = await read(`/rest/v1/rollouts/${id}`);
      return rollout.totalTargetsPerStatus.finished === 1 && rollout.totalTargetsPerStatus;
    });
    expect(counted).toEqual({ ...NO_TARGETS, running: 1, cancelled: 1, finished: 1, scheduled: 2, notstarted: 5 });

    expect((await planner.request('POST', `/rest/v1/rollouts/${id}/stop`, { auth: as.admin })).status).toBe(200);
    // The stop closes the untouched actions of both groups; the running device's cancellation is its own.
    const stopped = await read(`/rest/v1/rollouts/${id}`);
    expect(stopped.totalTargetsPerStatus).toEqual({ ...NO_TARGETS, running: 1, finished: 1, cancelled: 8 });
    expect((await read(`/rest/v1/rollouts/${id}/deploygroups/${groupIds[1]}`)).totalTargetsPerStatus).toEqual({ ...NO_TARGETS, cancelled: 5 });
  });

  it('shows a group whose error condition was met as error, with its failed devices', async () => {
    const id = await createRollout({
      name: 'failing', targetFilterQuery: 'controllerId==unit-1*', amountGroups: 1,
      errorCondition: { condition: 'THRESHOLD', expression: '20' }, errorAction: { action: 'PAUSE', expression: '' },
    });
    const [groupId] = await startAndAwaitFirstGroup(id);
    const members = await devices.membersOf(groupId);
    for (const position of [0, 1, 2]) await devices.report(id, groupId, members, position, 'failure');
    const group = await eventually(async () => {
      const g = await read(`/rest/v1/rollouts/${id}/deploygroups/${groupId}`);
      return g.status === 'error' && g;
    });
    expect(group.totalTargetsPerStatus).toEqual({ ...NO_TARGETS, error: 3, scheduled: 7 });
    expect(await eventually(async () => (await read(`/rest/v1/rollouts/${id}`)).status === 'paused')).toBe(true);
  });

  it('refuses a rollout of a set that requires signed artifacts while one is unsigned (422), creating nothing', async () => {
    await devices.addUnsignedArtifact(moduleId, 'unsigned.swu');
    const sets = await planner.request('POST', '/rest/v1/distributionsets', {
      auth: as.admin, body: [{ name: 'strict', version: '3.0', type: 'os', modules: [{ id: moduleId }], requireSignedArtifacts: true }],
    });
    expect(sets.status).toBe(201);
    const strictId = (sets.body as Array<{ id: string }>)[0].id;
    const refused = await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, body: { name: 'unsigned', distributionSetId: strictId, targetFilterQuery: 'name==*' } });
    expect(refused).toMatchObject({ status: 422, body: { code: 'unsigned_artifacts_not_allowed' } });
    expect((refused.body as { message: string }).message).toContain('unsigned.swu');
    expect(await planner.request('GET', '/rest/v1/rollouts?q=name==unsigned', { auth: as.reader })).toMatchObject({ status: 200, body: { total: 0 } });
  });

  it('answers rollout writes while an unrelated read model is held up', async () => {
    // Another session holds the actions read model's lock, so that read model cannot apply anything.
    const blocker = new Client({ connectionString: planner.db.url });
    await blocker.connect();
    try {
      await blocker.query('SELECT pg_advisory_lock($1)', [projectionLockKey(actionsProjection)]);
      const created = await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, body: { name: 'unblocked', distributionSetId: setId, targetFilterQuery: 'controllerId==unit-2*', amountGroups: 2 } });
      expect(created).toMatchObject({ status: 201, body: { status: 'ready', totalTargets: 10, totalTargetsPerStatus: { ...NO_TARGETS, notstarted: 10 } } });
      const id = (created.body as { id: string }).id;
      expect(await planner.request('PUT', `/rest/v1/rollouts/${id}`, { auth: as.admin, body: { description: 'still answered' } })).toMatchObject({ status: 200, body: { description: 'still answered' } });
    } finally {
      await blocker.end();
    }
  });

  it('documents the bodies of rollout creation, dry run and update in the OpenAPI document, as they are validated', async () => {
    type Operation = { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> } };
    const document = (await planner.request('GET', '/rest/v1/openapi.json', { auth: as.reader })).body as { paths: Record<string, Record<string, Operation>> };
    const bodyOf = (path: string, method: string) => document.paths[path][method].requestBody?.content['application/json'].schema;
    expect(bodyOf('/rest/v1/rollouts', 'post')).toMatchObject({ required: expect.arrayContaining(['name', 'distributionSetId', 'targetFilterQuery']) });
    expect(Object.keys(bodyOf('/rest/v1/rollouts/plan', 'post')?.properties ?? {})).toEqual(expect.arrayContaining(['distributionSetId', 'seed']));
    expect(Object.keys(bodyOf('/rest/v1/rollouts/{id}', 'put')?.properties ?? {})).toEqual(expect.arrayContaining(['name', 'description']));
    // The documented body is the checked one: a body without its required fields is refused field by field.
    expect(await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, body: { name: 'no-set' } })).toMatchObject({ status: 400 });
  });
});
