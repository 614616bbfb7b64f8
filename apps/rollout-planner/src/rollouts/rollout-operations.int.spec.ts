import type { Pool } from 'pg';
import { actionDecider, type ActionCommand, type ActionEvent, type ActionState } from '@rollgate/rollout-domain';
import type * as EventStoreModule from '@rollgate/event-store';
import type * as KitModule from '@rollgate/service-kit';
import { loadBuilt } from '../../test/built-workspace';
import { basic, startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface Rollout {
  id: string;
  name: string;
  description: string;
  status: string;
  totalTargets: number;
  totalGroups: number;
}
interface PageOf<T> {
  content: T[];
  total: number;
}

const FLEET = 12;
const SCHEDULER = { source: 'rollgate/group-scheduler', actor: 'system:group-scheduler' };
const GATEWAY = { source: 'rollgate/device-gateway', actor: 'system:device-gateway' };

/** Update, stop, triggerNextGroup and retry: the operator's rollout commands beyond hawkBit's start/pause/resume. */
describe('/rest/v1/rollouts operator commands', () => {
  let planner: Planner;
  let pool: Pool;
  let store: InstanceType<typeof EventStoreModule.EventStore>;
  let as: Callers;
  let operator: string;
  let editor: string;
  let setId: string;

  const create = async (name: string, body: Record<string, unknown> = {}): Promise<Rollout> => {
    const answer = await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, body: { name, distributionSetId: setId, targetFilterQuery: 'name==*', ...body } });
    expect(answer.status).toBe(201);
    return answer.body as Rollout;
  };
  const post = (id: string, action: string, auth?: string) => planner.request('POST', `/rest/v1/rollouts/${id}/${action}`, { auth });
  const groupIds = async (id: string) => ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups`, { auth: as.reader })).body as PageOf<{ id: string }>).content.map((g) => g.id);
  const rolloutEvents = async (id: string) => (await store.readStream('acme', `rollout-${id}`)).map((e) => ({ type: e.type.split('.')[3], data: e.data as Record<string, unknown> }));

  /** Given: what the group-scheduler appends once it has started the rollout and its first group (it is another service). */
  const markRunning = async (id: string): Promise<string[]> => {
    expect((await post(id, 'start', operator)).status).toBe(200);
    const groups = await groupIds(id);
    const head = (await store.readStream('acme', `rollout-${id}`)).length;
    await store.append('acme', `rollout-${id}`, head, [
      { type: 'io.rollgate.rollout.rollout-started.v1', data: { groupIds: groups, at: Date.now() }, metadata: SCHEDULER },
      { type: 'io.rollgate.rollout.rollout-group-triggered.v1', data: { groupId: groups[0], index: 0, reason: 'first', at: Date.now() }, metadata: SCHEDULER },
    ]);
    return groups;
  };

  beforeAll(async () => {
    planner = await startPlanner();
    pool = planner.service.app.get<symbol, Pool>(loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts').PG_POOL);
    store = planner.service.app.get(loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts').EventStore);
    as = await createCallers(planner, ['READ_ROLLOUT']);
    await planner.createUser('acme', 'operator', 'operator-password-1', ['READ_ROLLOUT', 'HANDLE_ROLLOUT']);
    await planner.createUser('acme', 'editor', 'editor-password-1', ['READ_ROLLOUT', 'UPDATE_ROLLOUT', 'CREATE_ROLLOUT']);
    operator = basic('acme\\operator', 'operator-password-1');
    editor = basic('acme\\editor', 'editor-password-1');
    const targets = Array.from({ length: FLEET }, (_, i) => ({ controllerId: `dev-${String(i).padStart(2, '0')}`, name: `dev-${i}` }));
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: targets })).status).toBe(201);
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'image', version: '1.0', type: 'os' }] });
    const sets = await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'fw', version: '1.0', type: 'os', modules: [{ id: (modules.body as Array<{ id: string }>)[0].id }] }] });
    setId = (sets.body as Array<{ id: string }>)[0].id;
  });
  afterAll(() => planner?.close());

  describe('PUT /rollouts/{id}', () => {
    it('renames and redescribes a rollout (hawkBit: name and description only) and records who did it', async () => {
      const rollout = await create('to-edit', { description: 'before' });
      const updated = await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: editor, body: { name: 'edited', description: 'after' } });
      expect(updated).toMatchObject({ status: 200, body: { id: rollout.id, name: 'edited', description: 'after', status: 'ready', lastModifiedBy: 'editor' } });
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}`, { auth: as.reader })).toMatchObject({ body: { name: 'edited', description: 'after' } });
      expect((await rolloutEvents(rollout.id)).map((e) => e.type)).toEqual(['rollout-created', 'rollout-ready', 'rollout-updated']);
      // The same values again change nothing and append nothing.
      expect((await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: editor, body: { name: 'edited' } })).status).toBe(200);
      expect(await rolloutEvents(rollout.id)).toHaveLength(3);
    });

    it('refuses plan fields and bad values with their paths, and a deleted rollout with 409 and its state', async () => {
      const rollout = await create('edit-refusals');
      expect(await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: editor, body: { amountGroups: 3 } })).toMatchObject({
        status: 400, body: { code: 'validation_failed', issues: [{ path: '/amountGroups', message: 'is not a known field' }] },
      });
      expect(await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: editor, body: { name: '' } })).toMatchObject({ status: 400, body: { issues: [{ path: '/name' }] } });
      expect((await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: editor, rawBody: 'name=x', contentType: 'text/plain' })).status).toBe(415);
      expect((await planner.request('DELETE', `/rest/v1/rollouts/${rollout.id}`, { auth: as.admin })).status).toBe(200);
      expect(await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: editor, body: { name: 'late' } })).toMatchObject({ status: 409, body: { code: 'rollout_deleted', state: 'deleted' } });
    });

    it('needs UPDATE_ROLLOUT and the tenant', async () => {
      const rollout = await create('edit-guarded');
      expect((await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { body: { name: 'x' } })).status).toBe(401);
      expect(await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: operator, body: { name: 'x' } })).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      expect(await planner.request('PUT', `/rest/v1/rollouts/${rollout.id}`, { auth: as.otherTenant, body: { name: 'x' } })).toMatchObject({ status: 404, body: { code: 'rollout_not_found' } });
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}`, { auth: as.reader })).toMatchObject({ body: { name: 'edit-guarded' } });
    });
  });

  describe('POST /rollouts/{id}/stop', () => {
    it('stops a READY rollout at once (no action can exist) and refuses a second stop with 409 and the state', async () => {
      const rollout = await create('stop-ready');
      expect(await post(rollout.id, 'stop', operator)).toMatchObject({ status: 200, body: { status: 'stopped', lastModifiedBy: 'operator' } });
      expect((await rolloutEvents(rollout.id)).map((e) => e.type)).toEqual(['rollout-created', 'rollout-ready', 'rollout-stopping', 'rollout-stopped']);
      expect(await post(rollout.id, 'stop', operator)).toMatchObject({ status: 409, body: { code: 'rollout_not_stoppable', state: 'stopped' } });
      expect(await post(rollout.id, 'start', operator)).toMatchObject({ status: 409, body: { code: 'rollout_not_ready', state: 'stopped' } });
    });

    it('leaves a started rollout STOPPING for the scheduler and gateway to cancel its actions', async () => {
      const rollout = await create('stop-running', { amountGroups: 2 });
      await markRunning(rollout.id);
      expect(await post(rollout.id, 'stop', operator)).toMatchObject({ status: 200, body: { status: 'stopping' } });
      expect((await rolloutEvents(rollout.id)).at(-1)).toMatchObject({ type: 'rollout-stopping', data: { reason: 'manual', by: 'operator' } });
    });

    it('needs HANDLE_ROLLOUT and the tenant', async () => {
      const rollout = await create('stop-guarded');
      expect((await post(rollout.id, 'stop')).status).toBe(401);
      expect((await post(rollout.id, 'stop', editor)).status).toBe(403);
      expect((await post(rollout.id, 'stop', as.otherTenant)).status).toBe(404);
      expect((await post('no-such-rollout', 'stop', operator)).status).toBe(404);
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}`, { auth: as.reader })).toMatchObject({ body: { status: 'ready' } });
    });
  });

  describe('POST /rollouts/{id}/triggerNextGroup', () => {
    it('starts the next group of a RUNNING rollout now, and answers 409 once none is left', async () => {
      const rollout = await create('trigger', { amountGroups: 3 });
      expect(await post(rollout.id, 'triggerNextGroup', editor)).toMatchObject({ status: 409, body: { code: 'rollout_not_running', state: 'ready' } });
      const groups = await markRunning(rollout.id);
      expect(await post(rollout.id, 'triggerNextGroup', editor)).toMatchObject({ status: 200, body: { status: 'running' } });
      expect((await rolloutEvents(rollout.id)).at(-1)).toEqual({ type: 'rollout-group-triggered', data: expect.objectContaining({ groupId: groups[1], index: 1, reason: 'manual' }) });
      expect((await post(rollout.id, 'triggerNextGroup', editor)).status).toBe(200);
      expect(await post(rollout.id, 'triggerNextGroup', editor)).toMatchObject({ status: 409, body: { code: 'no_next_group', state: 'running' } });
    });

    it('needs UPDATE_ROLLOUT and the tenant', async () => {
      const rollout = await create('trigger-guarded', { amountGroups: 2 });
      await markRunning(rollout.id);
      expect((await post(rollout.id, 'triggerNextGroup')).status).toBe(401);
      expect((await post(rollout.id, 'triggerNextGroup', operator)).status).toBe(403);
      expect((await post(rollout.id, 'triggerNextGroup', as.otherTenant)).status).toBe(404);
      expect((await rolloutEvents(rollout.id)).filter((e) => e.type === 'rollout-group-triggered')).toHaveLength(1);
    });
  });

  describe('POST /rollouts/{id}/retry', () => {
    let finished: Rollout;
    let failedTargets: string[];

    /** Given: the rollout ran to FINISHED; devices' actions ended as the gateway and scheduler record them. */
    beforeAll(async () => {
      finished = await create('to-retry', { amountGroups: 2, errorCondition: { condition: 'COUNT', expression: '5' }, errorAction: { action: 'STOP' } });
      const groups = await markRunning(finished.id);
      const members = ((await planner.request('GET', `/rest/v1/rollouts/${finished.id}/deploygroups/${groups[0]}/targets?limit=100&sort=controllerId:ASC`, { auth: as.reader })).body as PageOf<{ controllerId: string }>).content.map((t) => t.controllerId);
      const at = Date.now();
      const outcomes: Array<[string, ActionCommand[]]> = [
        [members[0], [feedback('closed', 'failure', at)]],
        [members[1], [feedback('proceeding', 'none', at), { type: 'time-out-action', at: at + 120_000 }]],
        [members[2], [feedback('closed', 'success', at)]],
        // failed once, retried by its second attempt, then finished: not a failed target
        [members[3], [feedback('closed', 'failure', at), feedback('closed', 'success', at + 1)]],
      ];
      for (const [i, [targetId, commands]] of outcomes.entries()) {
        const actionId = String(900_000 + i);
        const events = decideAll([{ type: 'create-action', actionId, targetId, distributionSetId: setId, rolloutId: finished.id, groupId: groups[0], maxAttempts: i === 3 ? 2 : 1, progressTimeoutMs: 60_000, at }, ...commands]);
        await store.append('acme', `action-${actionId}`, 0, events.map((e) => ({ type: `io.rollgate.action.${e.type}.v1`, data: e.data, metadata: GATEWAY })));
      }
      const head = (await store.readStream('acme', `rollout-${finished.id}`)).length;
      await store.append('acme', `rollout-${finished.id}`, head, [
        { type: 'io.rollgate.rollout.rollout-group-triggered.v1', data: { groupId: groups[1], index: 1, reason: 'success-condition', at }, metadata: SCHEDULER },
        { type: 'io.rollgate.rollout.rollout-finished.v1', data: { at }, metadata: SCHEDULER },
      ]);
      failedTargets = [members[0], members[1]].sort();
    });

    it('creates <name>_retry over exactly the targets whose actions ended in error or timeout, with the original’s conditions', async () => {
      const retried = await post(finished.id, 'retry', editor);
      expect(retried).toMatchObject({ status: 201, body: { name: 'to-retry_retry', status: 'ready', totalTargets: 2, totalGroups: 1, distributionSetId: setId } });
      const id = (retried.body as Rollout).id;
      const [group] = ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups`, { auth: as.reader })).body as PageOf<{ id: string }>).content;
      expect(group).toMatchObject({ errorCondition: { condition: 'COUNT', expression: '5' }, errorAction: { action: 'STOP' } });
      const members = ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups/${group.id}/targets`, { auth: as.reader })).body as PageOf<{ controllerId: string }>).content;
      expect(members.map((t) => t.controllerId).sort()).toEqual(failedTargets);
      expect((await rolloutEvents(finished.id)).at(-1)).toEqual({ type: 'rollout-retry-requested', data: expect.objectContaining({ newRolloutId: id, name: 'to-retry_retry', failedTargets: 2, by: 'editor' }) });
    });

    it('answers 409 with the state for a rollout that has not finished, or was already retried', async () => {
      const ready = await create('retry-too-early');
      expect(await post(ready.id, 'retry', editor)).toMatchObject({ status: 409, body: { code: 'rollout_not_finished', state: 'ready' } });
      expect(await post(finished.id, 'retry', editor)).toMatchObject({ status: 409, body: { code: 'rollout_already_exists' } });
    });

    it('needs CREATE_ROLLOUT and the tenant', async () => {
      expect((await post(finished.id, 'retry')).status).toBe(401);
      expect((await post(finished.id, 'retry', operator)).status).toBe(403);
      expect((await post(finished.id, 'retry', as.otherTenant)).status).toBe(404);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM rollouts WHERE tenant = 'globex'`);
      expect(rows[0]).toEqual({ n: 0 });
    });
  });
});

function feedback(execution: string, finished: string, at: number): ActionCommand {
  return { type: 'report-action-feedback', feedback: { execution, finished }, at };
}

function decideAll(commands: ActionCommand[]): ActionEvent[] {
  let state: ActionState = actionDecider.initialState;
  return commands.flatMap((command) => {
    const events = actionDecider.decide(command, state);
    state = events.reduce(actionDecider.evolve, state);
    return events;
  });
}
