import type * as EventStoreModule from '@rollgate/event-store';
import { loadBuilt } from '../../test/built-workspace';
import { basic, startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface Action {
  id: number;
  type: string;
  status: string;
  detailStatus: string;
  weight: number;
  forceType: string;
  rollout?: string;
  _links: Record<string, { href: string }>;
}
interface PageOf<T> {
  content: T[];
  total: number;
  size: number;
}
interface Assigned {
  assigned: number;
  alreadyAssigned: number;
  total: number;
  assignedActions: Array<{ id: number; _links: { self: { href: string } } }>;
}

const WINDOW = { schedule: '0 0 2 * * ?', duration: '01:00:00', timezone: '+00:00' };

describe('manual assignment and target actions', () => {
  let planner: Planner;
  let store: EventStoreModule.EventStore;
  let as: Callers;
  let operator: string;
  let setId: string;
  let otherSetId: string;

  const assign = (body: unknown, auth = as.admin, set = setId) => planner.request('POST', `/rest/v1/distributionsets/${set}/assignedTargets`, { auth, body });
  const actionsOf = async (controllerId: string, query = '') => (await planner.request('GET', `/rest/v1/targets/${controllerId}/actions${query}`, { auth: as.reader })).body as PageOf<Action>;
  /** What device-gateway appends when a device reports: the next event of the action's stream. */
  const deviceReports = async (actionId: number, type: string, data: Record<string, unknown>) => {
    const stream = `action-${actionId}`;
    const version = await store.streamVersion('acme', stream);
    await store.append('acme', stream, version, [{ type: `io.rollgate.action.${type}.v1`, data: { at: Date.now(), ...data }, metadata: { source: 'rollgate/device-gateway', actor: 'device:test' } }]);
  };

  beforeAll(async () => {
    planner = await startPlanner();
    store = planner.service.app.get(loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts').EventStore);
    as = await createCallers(planner, ['READ_TARGET', 'READ_DISTRIBUTION_SET']);
    await planner.createUser('acme', 'operator', 'operator-password-1', ['READ_TARGET', 'UPDATE_TARGET', 'READ_DISTRIBUTION_SET', 'READ_ROLLOUT', 'CREATE_ROLLOUT', 'HANDLE_ROLLOUT']);
    operator = basic('acme\\operator', 'operator-password-1');
    const targets = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'].map((controllerId) => ({ controllerId }));
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: targets })).status).toBe(201);
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.otherTenant, body: [{ controllerId: 'd1' }] })).status).toBe(201);
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'image', version: '1.0', type: 'os' }, { name: 'image', version: '2.0', type: 'os' }] });
    const [m1, m2] = (modules.body as Array<{ id: string }>).map((m) => m.id);
    const sets = await planner.request('POST', '/rest/v1/distributionsets', {
      auth: as.admin, body: [{ name: 'fw', version: '1.0', type: 'os', modules: [{ id: m1 }] }, { name: 'fw', version: '2.0', type: 'os', modules: [{ id: m2 }] }],
    });
    [setId, otherSetId] = (sets.body as Array<{ id: string }>).map((s) => s.id);
  });
  afterAll(() => planner?.close());

  describe('POST /distributionsets/{id}/assignedTargets', () => {
    let first: Assigned;

    it('creates one action per target with type, weight, forcetime and maintenance window, answering assignedActions', async () => {
      const answer = await assign([{ id: 'd1' }, { id: 'd2', type: 'soft', weight: 500, maintenanceWindow: WINDOW }, { id: 'd3', type: 'timeforced', forcetime: 1_900_000_000_000 }], operator);
      expect(answer.status).toBe(200);
      first = answer.body as Assigned;
      expect(first).toMatchObject({ assigned: 3, alreadyAssigned: 0, total: 3 });
      const ids = first.assignedActions.map((a) => a.id);
      expect(ids[1]).toBe(ids[0] + 1);
      expect(ids[2]).toBe(ids[0] + 2);
      expect(first.assignedActions[1]._links.self.href).toBe(`/rest/v1/targets/d2/actions/${ids[1]}`);
      const stream = await store.readStream('acme', `action-${ids[1]}`);
      expect(stream.map((e) => e.type)).toEqual(['io.rollgate.action.action-created.v1']);
      expect(stream[0].data).toMatchObject({ actionId: String(ids[1]), targetId: 'd2', distributionSetId: setId, actionType: 'soft', weight: 500, maintenanceWindow: WINDOW, status: 'SCHEDULED' });
      expect((await store.readStream('acme', `action-${ids[2]}`))[0].data).toMatchObject({ actionType: 'timeforced', forceTime: 1_900_000_000_000 });
    });

    it('counts targets already on their way to the set as alreadyAssigned and gives the others new actions', async () => {
      const answer = await assign([{ id: 'd1' }, { id: 'd4' }]);
      expect(answer).toMatchObject({ status: 200, body: { assigned: 1, alreadyAssigned: 1, total: 2 } });
      expect((answer.body as Assigned).assignedActions).toHaveLength(1);
      expect((await actionsOf('d1')).total).toBe(1);
    });

    it('refuses bad bodies field by field, before reserving or writing anything', async () => {
      const bad = await assign([{ id: 'd5', type: 'timeforced' }, { id: 'd5', weight: 2000 }, { id: 'd6', maintenanceWindow: { ...WINDOW, duration: 'an hour' } }]);
      expect(bad.status).toBe(400);
      expect((bad.body as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(['/1/weight']);
      const semantic = await assign([{ id: 'd5', type: 'timeforced' }, { id: 'd5' }, { id: 'd6', maintenanceWindow: { ...WINDOW, duration: 'an hour' } }]);
      expect(semantic).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
      expect((semantic.body as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(['/0/forcetime', '/1/id', '/2/maintenanceWindow']);
      expect(await assign({ id: 'd5' })).toMatchObject({ status: 400 });
      expect(await assign([])).toMatchObject({ status: 400 });
      expect(await assign([{ id: 'd5', extra: true }])).toMatchObject({ status: 400, body: { issues: [{ path: '/0/extra', message: 'is not a known field' }] } });
      expect((await planner.request('POST', `/rest/v1/distributionsets/${setId}/assignedTargets`, { auth: as.admin, rawBody: 'd5', contentType: 'text/plain' })).status).toBe(415);
      expect((await actionsOf('d5')).total).toBe(0);
    });

    it('answers 404 for an unknown set or target, naming the missing targets', async () => {
      expect(await assign([{ id: 'd5' }], as.admin, 'no-such-set')).toMatchObject({ status: 404, body: { code: 'distribution_set_not_found' } });
      const missing = await assign([{ id: 'd5' }, { id: 'ghost' }]);
      expect(missing).toMatchObject({ status: 404, body: { code: 'target_not_found' } });
      expect((missing.body as { message: string }).message).toContain('ghost');
      expect((await actionsOf('d5')).total).toBe(0);
    });

    it('needs UPDATE_TARGET and READ_DISTRIBUTION_SET, and stays within the tenant', async () => {
      expect((await planner.request('POST', `/rest/v1/distributionsets/${setId}/assignedTargets`, { body: [{ id: 'd5' }] })).status).toBe(401);
      expect((await assign([{ id: 'd5' }], as.reader)).status).toBe(403);
      expect((await assign([{ id: 'd5' }], as.nobody)).status).toBe(403);
      // globex has its own d1 but not acme's set: the set is not found, and nothing is assigned in either tenant.
      expect(await assign([{ id: 'd1' }], as.otherTenant)).toMatchObject({ status: 404, body: { code: 'distribution_set_not_found' } });
      expect((await planner.request('GET', '/rest/v1/targets/d1/actions', { auth: as.otherTenant })).body).toMatchObject({ total: 0 });
    });
  });

  describe('GET /targets/{id}/actions, actions/{id}, actions/{id}/status, assignedDS, installedDS', () => {
    it('lists a target\'s actions paged and sorted, with hawkBit fields and links', async () => {
      const page = await actionsOf('d2');
      expect(page).toMatchObject({ total: 1, size: 1 });
      const action = page.content[0];
      expect(action).toMatchObject({ type: 'update', status: 'pending', detailStatus: 'scheduled', weight: 500, forceType: 'soft', maintenanceWindow: WINDOW });
      expect(action._links).toMatchObject({ self: { href: `/rest/v1/targets/d2/actions/${action.id}` }, distributionset: { href: `/rest/v1/distributionsets/${setId}` } });
      expect(await planner.request('GET', `/rest/v1/targets/d2/actions/${action.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { id: action.id, forceType: 'soft' } });
    });

    it('follows device feedback: status history with messages, installedDS once finished', async () => {
      const [action] = (await actionsOf('d1')).content;
      expect((await planner.request('GET', '/rest/v1/targets/d1/assignedDS', { auth: as.reader })).body).toMatchObject({ id: setId, name: 'fw', version: '1.0' });
      expect((await planner.request('GET', '/rest/v1/targets/d1/installedDS', { auth: as.reader })).status).toBe(204);
      await deviceReports(action.id, 'action-retrieved', {});
      await deviceReports(action.id, 'action-feedback-received', { channel: 'deployment', execution: 'proceeding', finished: 'none', details: ['downloading 40%'], from: 'RETRIEVED', status: 'RUNNING' });
      await deviceReports(action.id, 'action-feedback-received', { channel: 'deployment', execution: 'closed', finished: 'success', details: ['installed'], from: 'RUNNING', status: 'FINISHED' });
      await planner.service.app.get(loadBuilt<typeof import('../shared/projections.service')>('apps/rollout-planner/src/shared/projections.service.ts').Projections).catchUp();
      expect(await planner.request('GET', `/rest/v1/targets/d1/actions/${action.id}`, { auth: as.reader })).toMatchObject({ body: { status: 'finished', detailStatus: 'finished' } });
      const history = (await planner.request('GET', `/rest/v1/targets/d1/actions/${action.id}/status`, { auth: as.reader })).body as PageOf<{ type: string; messages: string[]; reportedAt: number }>;
      expect(history).toMatchObject({ total: 4, size: 4 });
      expect(history.content.map((s) => s.type)).toEqual(['finished', 'running', 'retrieved', 'scheduled']);
      expect(history.content[1].messages).toEqual(['downloading 40%']);
      const oldestFirst = (await planner.request('GET', `/rest/v1/targets/d1/actions/${action.id}/status?sort=id:ASC&limit=2&offset=1`, { auth: as.reader })).body as PageOf<{ type: string }>;
      expect(oldestFirst).toMatchObject({ total: 4, size: 2, content: [{ type: 'retrieved' }, { type: 'running' }] });
      expect((await planner.request('GET', '/rest/v1/targets/d1/installedDS', { auth: as.reader })).body).toMatchObject({ id: setId });
      expect((await planner.request('GET', `/rest/v1/distributionsets/${setId}/installedTargets`, { auth: as.reader })).body).toMatchObject({ total: 1, content: [{ controllerId: 'd1' }] });
    });

    it('lists the targets a set is assigned to, paged and filtered, within the tenant', async () => {
      const assigned = (await planner.request('GET', `/rest/v1/distributionsets/${setId}/assignedTargets?sort=controllerId:DESC`, { auth: as.reader })).body as PageOf<{ controllerId: string }>;
      expect(assigned.content.map((t) => t.controllerId)).toEqual(['d4', 'd3', 'd2', 'd1']);
      expect((await planner.request('GET', `/rest/v1/distributionsets/${setId}/assignedTargets?q=controllerId==d2&limit=1`, { auth: as.reader })).body).toMatchObject({ total: 1, size: 1 });
      expect(await planner.request('GET', `/rest/v1/distributionsets/${setId}/assignedTargets?limit=0`, { auth: as.reader })).toMatchObject({ status: 400 });
      expect(await planner.request('GET', `/rest/v1/distributionsets/${setId}/assignedTargets`, { auth: as.otherTenant })).toMatchObject({ status: 404, body: { code: 'distribution_set_not_found' } });
      expect((await planner.request('GET', `/rest/v1/distributionsets/${setId}/installedTargets`, { auth: as.nobody })).status).toBe(403);
    });

    it('refuses bad paging and unknown actions; an action of another target or tenant is not found', async () => {
      const [d2Action] = (await actionsOf('d2')).content;
      expect(await planner.request('GET', '/rest/v1/targets/d2/actions?sort=vendor:ASC', { auth: as.reader })).toMatchObject({ status: 400 });
      expect(await planner.request('GET', '/rest/v1/targets/d2/actions?q=name==x', { auth: as.reader })).toMatchObject({ status: 400, body: { code: 'filter_unknown_field' } });
      expect(await planner.request('GET', `/rest/v1/targets/d2/actions/${d2Action.id}/status?sort=when:ASC`, { auth: as.reader })).toMatchObject({ status: 400 });
      expect(await planner.request('GET', '/rest/v1/targets/d2/actions/abc', { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'action_not_found' } });
      expect(await planner.request('GET', `/rest/v1/targets/d1/actions/${d2Action.id}`, { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'action_not_found' } });
      expect(await planner.request('GET', '/rest/v1/targets/ghost/actions', { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'target_not_found' } });
      expect(await planner.request('GET', `/rest/v1/targets/d1/actions/${d2Action.id}`, { auth: as.otherTenant })).toMatchObject({ status: 404 });
      expect(await planner.request('GET', '/rest/v1/targets/d2/actions', { auth: as.otherTenant })).toMatchObject({ status: 404 });
      expect((await planner.request('GET', '/rest/v1/targets/d2/actions', { auth: as.nobody })).status).toBe(403);
      expect((await planner.request('GET', '/rest/v1/targets/d2/assignedDS', { auth: as.nobody })).status).toBe(403);
      expect((await planner.request('GET', '/rest/v1/targets/d2/actions')).status).toBe(401);
    });
  });

  describe('DELETE /targets/{id}/actions/{id}', () => {
    it('cancels through the action decider, then force-quits with ?force=true; a closed action answers 409', async () => {
      const [action] = (await actionsOf('d2')).content;
      const path = `/rest/v1/targets/d2/actions/${action.id}`;
      expect((await planner.request('DELETE', path, { auth: as.reader })).status).toBe(403);
      expect((await planner.request('DELETE', path, { auth: as.otherTenant })).status).toBe(404);
      expect(await planner.request('DELETE', `${path}?force=maybe`, { auth: operator })).toMatchObject({ status: 400 });
      expect((await planner.request('DELETE', path, { auth: operator })).status).toBe(204);
      expect((await planner.request('GET', path, { auth: as.reader })).body).toMatchObject({ type: 'cancel', status: 'pending', detailStatus: 'canceling' });
      expect((await planner.request('GET', '/rest/v1/targets/d2/assignedDS', { auth: as.reader })).status).toBe(204);
      expect((await planner.request('DELETE', `${path}?force=true`, { auth: operator })).status).toBe(204);
      expect((await planner.request('GET', path, { auth: as.reader })).body).toMatchObject({ type: 'cancel', status: 'finished', detailStatus: 'canceled' });
      expect(await planner.request('DELETE', path, { auth: operator })).toMatchObject({ status: 409, body: { code: 'action_closed' } });
      const types = (await store.readStream('acme', `action-${action.id}`)).map((e) => e.type.split('.')[3]);
      expect(types).toEqual(['action-created', 'action-cancel-requested', 'action-canceled']);
      const history = (await planner.request('GET', `${path}/status`, { auth: as.reader })).body as PageOf<{ type: string; messages: string[] }>;
      expect(history.content[0]).toMatchObject({ type: 'canceled', messages: ['canceled by force by operator'] });
    });

    it('a new assignment to another set gives a target a second action', async () => {
      expect(await assign([{ id: 'd2' }], as.admin, otherSetId)).toMatchObject({ status: 200, body: { assigned: 1, alreadyAssigned: 0 } });
      expect((await planner.request('GET', '/rest/v1/targets/d2/assignedDS', { auth: as.reader })).body).toMatchObject({ id: otherSetId, version: '2.0' });
    });

    it('replaces the open action of another set (hawkBit without multi-assignment): the older one is canceled', async () => {
      const [older] = (await actionsOf('d3')).content;
      expect(older).toMatchObject({ detailStatus: 'scheduled', forceType: 'timeforced' });
      const answer = await assign([{ id: 'd3' }], operator, otherSetId);
      expect(answer).toMatchObject({ status: 200, body: { assigned: 1, alreadyAssigned: 0 } });
      const [newer] = (answer.body as Assigned).assignedActions;
      const page = await actionsOf('d3', '?sort=id:ASC');
      expect(page.content.map((a) => [a.id, a.detailStatus])).toEqual([[older.id, 'canceling'], [newer.id, 'scheduled']]);
      const history = (await planner.request('GET', `/rest/v1/targets/d3/actions/${older.id}/status`, { auth: as.reader })).body as PageOf<{ messages: string[] }>;
      expect(history.content[0].messages).toEqual(['cancellation requested by operator']);
      expect((await planner.request('GET', '/rest/v1/targets/d3/assignedDS', { auth: as.reader })).body).toMatchObject({ id: otherSetId });
    });
  });

  describe('rollout actions no device has touched yet', () => {
    let rolloutId: string;
    let derived: Action;

    it('are listed for their targets once their group started, numbered firstActionId + position', async () => {
      const created = await planner.request('POST', '/rest/v1/rollouts', { auth: operator, body: { name: 'r1', distributionSetId: otherSetId, targetFilterQuery: 'controllerId=in=(d5,d6)', amountGroups: 1 } });
      expect(created.status).toBe(201);
      rolloutId = (created.body as { id: string }).id;
      const events = await planner.service.app.get<symbol, import('pg').Pool>(loadBuilt<typeof import('@rollgate/service-kit')>('libs/service-kit/src/index.ts').PG_POOL).query<{ stream_id: string; type: string; data: { targetIds?: string[]; firstActionId?: number } }>(
        `SELECT stream_id, type, data FROM events WHERE tenant = 'acme' AND type LIKE 'io.rollgate.rollout.group-%' ORDER BY position`,
      );
      const groupStream = events.rows[0].stream_id;
      const members = events.rows.filter((e) => e.type.endsWith('group-members-added.v1')).flatMap((e) => e.data.targetIds ?? []);
      const firstActionId = events.rows.find((e) => e.type.endsWith('group-ready.v1'))?.data.firstActionId ?? 0;
      expect((await actionsOf('d5')).total).toBe(0);
      // What group-scheduler appends when the rollout starts.
      const version = await store.streamVersion('acme', groupStream);
      await store.append('acme', groupStream, version, [
        { type: 'io.rollgate.rollout.group-scheduled.v1', data: { at: Date.now() }, metadata: { actor: 'service:group-scheduler' } },
        { type: 'io.rollgate.rollout.group-started.v1', data: { size: members.length, at: Date.now() }, metadata: { actor: 'service:group-scheduler' } },
      ]);
      await planner.service.app.get(loadBuilt<typeof import('../shared/projections.service')>('apps/rollout-planner/src/shared/projections.service.ts').Projections).catchUp();
      for (const [position, controllerId] of members.entries()) {
        const page = await actionsOf(controllerId);
        expect(page).toMatchObject({ total: 1, content: [{ id: firstActionId + position, detailStatus: 'scheduled', rollout: rolloutId, rolloutName: 'r1', forceType: 'forced' }] });
      }
      derived = (await actionsOf('d5')).content[0];
      const history = (await planner.request('GET', `/rest/v1/targets/d5/actions/${derived.id}/status`, { auth: as.reader })).body as PageOf<{ type: string }>;
      expect(history).toMatchObject({ total: 1, content: [{ type: 'scheduled' }] });
      expect((await planner.request('GET', '/rest/v1/targets/d5/assignedDS', { auth: as.reader })).body).toMatchObject({ id: otherSetId });
    });

    it('are canceled by beginning their stream with action-created and the cancellation in one append', async () => {
      expect((await planner.request('DELETE', `/rest/v1/targets/d5/actions/${derived.id}`, { auth: operator })).status).toBe(204);
      const stream = await store.readStream('acme', `action-${derived.id}`);
      expect(stream.map((e) => e.type.split('.')[3])).toEqual(['action-created', 'action-cancel-requested']);
      expect(stream[0].data).toMatchObject({ actionId: String(derived.id), targetId: 'd5', rolloutId, distributionSetId: otherSetId });
      const page = await actionsOf('d5');
      expect(page).toMatchObject({ total: 1, content: [{ id: derived.id, detailStatus: 'canceling' }] });
    });

    it('are closed when their rollout stops before the device saw them; canceling one then answers 409', async () => {
      const stream = `rollout-${rolloutId}`;
      // What the planner's stop appends (rollout decider); the gateway closes offered actions itself.
      await store.append('acme', stream, await store.streamVersion('acme', stream), [{ type: 'io.rollgate.rollout.rollout-stopping.v1', data: { reason: 'manual', by: 'operator', at: Date.now() }, metadata: { actor: 'user:operator' } }]);
      await planner.service.app.get(loadBuilt<typeof import('../shared/projections.service')>('apps/rollout-planner/src/shared/projections.service.ts').Projections).catchUp();
      const [untouched] = (await actionsOf('d6')).content;
      expect(untouched).toMatchObject({ type: 'cancel', status: 'finished', detailStatus: 'canceled' });
      expect(await planner.request('DELETE', `/rest/v1/targets/d6/actions/${untouched.id}`, { auth: operator })).toMatchObject({ status: 409, body: { code: 'action_closed' } });
      expect(await store.streamVersion('acme', `action-${untouched.id}`)).toBe(0);
      // d5's action had begun its stream: it is the gateway's (and the device's) to close.
      expect((await actionsOf('d5')).content[0]).toMatchObject({ detailStatus: 'canceling' });
    });
  });
});
