import type { BusNames } from '@rollgate/contracts';
import { eventually, serviceBusEnv } from '@rollgate/testing';
import type * as SchedulerServiceFile from '../../../group-scheduler/src/scheduler.service';
import { loadBuilt } from '../../test/built-workspace';
import { basic, startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';
import { DeviceLog, NO_TARGETS as NONE, type PerStatus } from './rollout-device-log.fixture';


jest.setTimeout(120_000);

/**
 * The hawkBit-style script, with plain HTTP calls only: targets, a software module, a distribution set, a
 * rollout of five groups with a success threshold, approval by a second user (approval switched on in the
 * tenant's configuration), start, and the progress keys.
 */
describe('hawkBit rollout flow with approval', () => {
  let planner: Planner & { db: { url: string }; names: BusNames };
  let scheduler: { close(): Promise<void> };
  let devices: DeviceLog;
  let as: Callers;
  let approver: string;
  let setId: string;

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_ROLLOUT']);
    await planner.createUser('acme', 'approver', 'approver-password-1', ['ROLE_ROLLOUT_ADMIN']);
    approver = basic('acme\\approver', 'approver-password-1');
    // The real group-scheduler on the planner's database and bus: it runs the rollout once started.
    const { startGroupScheduler } = loadBuilt<typeof SchedulerServiceFile>('apps/group-scheduler/src/scheduler.service.ts');
    scheduler = await startGroupScheduler({ DATABASE_URL: planner.db.url, PORT: '0', LOG_LEVEL: 'fatal', ROLLGATE_TIMER_POLL_MS: '50', ...serviceBusEnv(planner.names) });
    devices = new DeviceLog(planner.db.url);
  });
  afterAll(async () => {
    await scheduler?.close();
    await devices?.close();
    await planner?.close();
  });

  it('creates, waits for approval, is approved by a second user, starts and reports totalTargetsPerStatus', async () => {
    expect((await planner.request('PUT', '/rest/v1/system/configs/rollout.approval.enabled', { auth: as.admin, body: { value: true } })).status).toBe(200);
    const targets = Array.from({ length: 50 }, (_, i) => ({ controllerId: `device-${i}`, name: `device-${i}` }));
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: targets })).status).toBe(201);
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'firmware', version: '2.1', type: 'os' }] });
    expect(modules.status).toBe(201);
    const sets = await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'fw', version: '2.1', type: 'os', modules: [{ id: (modules.body as Array<{ id: string }>)[0].id }] }] });
    expect(sets.status).toBe(201);
    setId = (sets.body as Array<{ id: string }>)[0].id;

    const created = await planner.request('POST', '/rest/v1/rollouts', {
      auth: as.admin,
      body: {
        name: 'fw-2.1', distributionSetId: setId, targetFilterQuery: 'controllerId==device-*', amountGroups: 5,
        successCondition: { condition: 'THRESHOLD', expression: '80' }, successAction: { action: 'NEXTGROUP', expression: '' },
        errorCondition: { condition: 'THRESHOLD', expression: '20' }, errorAction: { action: 'PAUSE', expression: '' },
      },
    });
    expect(created).toMatchObject({ status: 201, body: { status: 'waiting_for_approval', totalTargets: 50, totalGroups: 5 } });
    const id = (created.body as { id: string }).id;
    const groups = (await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups`, { auth: as.reader })).body as { content: Array<{ totalTargets: number }> };
    expect(groups.content.map((g) => g.totalTargets)).toEqual([10, 10, 10, 10, 10]);

    expect(await planner.request('POST', `/rest/v1/rollouts/${id}/start`, { auth: approver })).toMatchObject({ status: 409, body: { state: 'waiting_for_approval' } });
    expect(await planner.request('POST', `/rest/v1/rollouts/${id}/approve?remark=mine`, { auth: as.admin })).toMatchObject({ status: 403, body: { code: 'approver_is_creator' } });
    const approved = await planner.request('POST', `/rest/v1/rollouts/${id}/approve?remark=${encodeURIComponent('looks good')}`, { auth: approver });
    expect(approved).toMatchObject({ status: 200, body: { status: 'ready', approvalRemark: 'looks good', approveDecidedBy: 'approver' } });

    expect(await planner.request('POST', `/rest/v1/rollouts/${id}/start`, { auth: approver })).toMatchObject({ status: 200, body: { status: 'starting' } });
    const perStatus = async (path: string) => ((await planner.request('GET', path, { auth: as.reader })).body as { status: string; totalTargetsPerStatus: PerStatus });
    const groupIds = ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups?sort=index:ASC`, { auth: as.reader })).body as { content: Array<{ id: string }> }).content.map((g) => g.id);

    // The scheduler starts the first group: its untouched members are scheduled, the others not started.
    await eventually(async () => (await perStatus(`/rest/v1/rollouts/${id}`)).status === 'running');
    expect((await perStatus(`/rest/v1/rollouts/${id}`)).totalTargetsPerStatus).toEqual({ ...NONE, notstarted: 40, scheduled: 10 });

    // Devices report group by group as device-gateway appends it: the first group has one failure (10%,
    // under the 20% error threshold), every other device installs the set.
    for (const [g, groupId] of groupIds.entries()) {
      await eventually(async () => (await perStatus(`/rest/v1/rollouts/${id}/deploygroups/${groupId}`)).status === 'running');
      const members = await devices.membersOf(groupId);
      if (g === 0) {
        await devices.report(id, groupId, members, 0, 'running');
        expect(await eventually(async () => {
          const read = await perStatus(`/rest/v1/rollouts/${id}/deploygroups/${groupId}`);
          return read.totalTargetsPerStatus.running === 1 && read.totalTargetsPerStatus;
        })).toEqual({ ...NONE, running: 1, scheduled: 9 });
      }
      for (let p = 0; p < members.targetIds.length; p++) await devices.report(id, groupId, members, p, g === 0 && p === 3 ? 'failure' : 'success');
    }

    const finished = await eventually(async () => {
      const read = await perStatus(`/rest/v1/rollouts/${id}`);
      return read.status === 'finished' && read;
    });
    expect(finished.totalTargetsPerStatus).toEqual({ ...NONE, finished: 49, error: 1 });
    const firstGroup = await perStatus(`/rest/v1/rollouts/${id}/deploygroups/${groupIds[0]}`);
    expect(firstGroup.totalTargetsPerStatus).toEqual({ ...NONE, finished: 9, error: 1 });
    const lastGroup = await perStatus(`/rest/v1/rollouts/${id}/deploygroups/${groupIds[4]}`);
    expect(lastGroup).toMatchObject({ status: 'finished', totalTargetsPerStatus: { ...NONE, finished: 10 } });
  });

  it('denies with a remark, after which the rollout cannot start', async () => {
    const created = await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, body: { name: 'fw-denied', distributionSetId: setId, targetFilterQuery: 'name==device-1*' } });
    const id = (created.body as { id: string }).id;
    expect(await planner.request('POST', `/rest/v1/rollouts/${id}/deny?remark=not%20now`, { auth: approver })).toMatchObject({ status: 200, body: { status: 'approval_denied', approvalRemark: 'not now', approveDecidedBy: 'approver' } });
    expect(await planner.request('POST', `/rest/v1/rollouts/${id}/start`, { auth: approver })).toMatchObject({ status: 409, body: { code: 'rollout_not_ready', state: 'approval_denied' } });
    expect(await planner.request('POST', `/rest/v1/rollouts/${id}/approve`, { auth: approver })).toMatchObject({ status: 409, body: { state: 'approval_denied' } });
  });
});

