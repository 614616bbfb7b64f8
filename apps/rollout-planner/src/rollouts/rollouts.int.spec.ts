import type { Pool } from 'pg';
import type * as EventStoreModule from '@rollgate/event-store';
import type * as ReadModelsModule from '@rollgate/read-models';
import type * as KitModule from '@rollgate/service-kit';
import { loadBuilt } from '../../test/built-workspace';
import { basic, startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface Rollout {
  id: string;
  status: string;
  totalTargets: number;
  totalGroups: number;
  totalTargetsPerStatus: Record<string, number>;
}
interface Group {
  id: string;
  name: string;
  totalTargets: number;
}
interface PageOf<T> {
  content: T[];
  total: number;
  size: number;
}

const FLEET = 24;

describe('/rest/v1/rollouts', () => {
  let planner: Planner;
  let pool: Pool;
  let as: Callers;
  let operator: string;
  let setId: string;
  let rollout: Rollout;

  const create = (body: Record<string, unknown>, auth = as.admin) => planner.request('POST', '/rest/v1/rollouts', { auth, body: { distributionSetId: setId, targetFilterQuery: 'name==*', ...body } });

  beforeAll(async () => {
    planner = await startPlanner();
    pool = planner.service.app.get<symbol, Pool>(loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts').PG_POOL);
    as = await createCallers(planner, ['READ_ROLLOUT']);
    await planner.createUser('acme', 'operator', 'operator-password-1', ['READ_ROLLOUT', 'HANDLE_ROLLOUT', 'DELETE_ROLLOUT']);
    operator = basic('acme\\operator', 'operator-password-1');
    const targets = Array.from({ length: FLEET }, (_, i) => ({ controllerId: `dev-${String(i).padStart(2, '0')}`, name: i < 8 ? `edge-${i}` : `core-${i}` }));
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: targets })).status).toBe(201);
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'image', version: '1.0', type: 'os' }] });
    const moduleId = (modules.body as Array<{ id: string }>)[0].id;
    const sets = await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'fw', version: '1.0', type: 'os', modules: [{ id: moduleId }] }] });
    setId = (sets.body as Array<{ id: string }>)[0].id;
  });
  afterAll(() => planner?.close());

  describe('POST /rollouts', () => {
    it('plans amountGroups over the filtered targets and answers READY with hawkBit fields', async () => {
      const created = await create({ name: 'wave-1', description: 'first', amountGroups: 4, successCondition: { condition: 'THRESHOLD', expression: '80' }, weight: 500 });
      expect(created.status).toBe(201);
      rollout = created.body as Rollout;
      expect(rollout).toMatchObject({
        name: 'wave-1', description: 'first', status: 'ready', type: 'forced', weight: 500, distributionSetId: setId, totalTargets: FLEET, totalGroups: 4,
        totalTargetsPerStatus: { notstarted: FLEET, scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 0 }, createdBy: 'admin', deleted: false,
      });
    });

    it('records membership in chunked group events and the seed in the creation event, never an event per target', async () => {
      const { rows } = await pool.query<{ stream_id: string; type: string; data: Record<string, unknown> }>(
        `SELECT stream_id, type, data FROM events WHERE tenant = 'acme' AND (stream_id = $1 OR type LIKE 'io.rollgate.rollout.group-%') ORDER BY position`, [`rollout-${rollout.id}`],
      );
      expect(rows.filter((r) => r.stream_id === `rollout-${rollout.id}`).map((r) => r.type)).toEqual(['io.rollgate.rollout.rollout-created.v1', 'io.rollgate.rollout.rollout-ready.v1']);
      const created = rows[0].data as { plan: { seed: string; groups: Array<{ size: number }> } };
      expect(created.plan.seed).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.plan.groups.map((g) => g.size)).toEqual([6, 6, 6, 6]);
      const chunks = rows.filter((r) => r.type === 'io.rollgate.rollout.group-members-added.v1');
      expect(chunks).toHaveLength(4);
      const members = chunks.flatMap((c) => c.data.targetIds as string[]);
      expect(new Set(members).size).toBe(FLEET);
    });

    it('splits explicit groups by their own filters and percentages, with inherited conditions', async () => {
      const created = await create({
        name: 'explicit', errorCondition: { condition: 'THRESHOLD', expression: '20' }, errorAction: { action: 'PAUSE' },
        groups: [{ name: 'edge', targetFilterQuery: 'name==edge-*', targetPercentage: 100, successCondition: { condition: 'THRESHOLD', expression: '50' } }, { name: 'rest', targetPercentage: 100 }],
      });
      expect(created).toMatchObject({ status: 201, body: { totalTargets: FLEET, totalGroups: 2 } });
      const id = (created.body as Rollout).id;
      const groups = (await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups`, { auth: as.reader })).body as PageOf<Group>;
      expect(groups.content).toMatchObject([
        { name: 'edge', totalTargets: 8, successCondition: { expression: '50' }, errorCondition: { expression: '20' }, errorAction: { action: 'PAUSE' } },
        { name: 'rest', totalTargets: 16, successCondition: { expression: '100' }, errorCondition: { expression: '20' } },
      ]);
      const edge = (await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups/${groups.content[0].id}/targets?limit=100`, { auth: as.reader })).body as PageOf<{ name: string }>;
      expect(edge.total).toBe(8);
      expect(edge.content.every((t) => t.name.startsWith('edge-'))).toBe(true);
    });

    it('refuses bad bodies and filters by field, unknown sets, empty matches and duplicate names', async () => {
      expect(await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, body: { targetFilterQuery: 'name==*' } })).toMatchObject({
        status: 400, body: { code: 'validation_failed', issues: expect.arrayContaining([{ path: '/name', message: 'is required' }, { path: '/distributionSetId', message: 'is required' }]) },
      });
      expect(await create({ name: 'x', targetFilterQuery: 'vendor==acme' })).toMatchObject({ status: 400, body: { code: 'filter_unknown_field', issues: [{ path: '/targetFilterQuery' }] } });
      expect(await create({ name: 'x', amountGroups: 2, groups: [{ name: 'a', targetPercentage: 100 }] })).toMatchObject({ status: 400, body: { issues: [{ path: '/groups' }] } });
      expect(await create({ name: 'x', type: 'timeforced' })).toMatchObject({ status: 400, body: { issues: [{ path: '/forcetime' }] } });
      expect(await create({ name: 'x', successCondition: { condition: 'THRESHOLD', expression: '150' } })).toMatchObject({ status: 400, body: { issues: [{ path: '/successCondition/expression' }] } });
      expect(await create({ name: 'x', groups: [{ name: 'half', targetPercentage: 50 }] })).toMatchObject({ status: 400, body: { issues: [{ path: '/groups' }] } });
      expect(await create({ name: 'x', targetFilterQuery: 'name==nothing-here' })).toMatchObject({ status: 400, body: { issues: [{ path: '/targetFilterQuery', message: 'matches no target' }] } });
      expect(await create({ name: 'x', distributionSetId: 'no-such-set' })).toMatchObject({ status: 404, body: { code: 'distribution_set_not_found' } });
      expect(await create({ name: 'wave-1' })).toMatchObject({ status: 409, body: { code: 'rollout_already_exists' } });
      expect((await planner.request('POST', '/rest/v1/rollouts', { auth: as.admin, rawBody: 'name=x', contentType: 'text/plain' })).status).toBe(415);
    });

    it('needs CREATE_ROLLOUT and credentials, and never sees another tenant’s distribution sets', async () => {
      expect((await planner.request('POST', '/rest/v1/rollouts', { body: { name: 'x' } })).status).toBe(401);
      expect(await create({ name: 'x' }, as.reader)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      expect(await create({ name: 'x' }, as.otherTenant)).toMatchObject({ status: 404, body: { code: 'distribution_set_not_found' } });
    });
  });

  describe('reads', () => {
    it('lists rollouts paged and filtered, and reads one with its progress keys', async () => {
      const page = (await planner.request('GET', '/rest/v1/rollouts?sort=name:DESC&limit=1', { auth: as.reader })).body as PageOf<Rollout & { name: string }>;
      expect(page).toMatchObject({ total: 2, size: 1, content: [{ name: 'wave-1' }] });
      expect((await planner.request('GET', '/rest/v1/rollouts?q=name==expl*', { auth: as.reader })).body).toMatchObject({ total: 1, content: [{ name: 'explicit' }] });
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { id: rollout.id, totalTargetsPerStatus: { notstarted: FLEET } } });
      expect(await planner.request('GET', '/rest/v1/rollouts?limit=0', { auth: as.reader })).toMatchObject({ status: 400, body: { issues: [{ path: 'limit' }] } });
      expect(await planner.request('GET', '/rest/v1/rollouts?q=updateStatus==ERROR', { auth: as.reader })).toMatchObject({ status: 400, body: { code: 'filter_unknown_field' } });
    });

    it('reads deployment groups and pages a group’s targets', async () => {
      const groups = (await planner.request('GET', `/rest/v1/rollouts/${rollout.id}/deploygroups?limit=2`, { auth: as.reader })).body as PageOf<Group>;
      expect(groups).toMatchObject({ total: 4, size: 2, content: [{ name: 'group-1', status: 'ready', totalTargets: 6, successCondition: { condition: 'THRESHOLD', expression: '80' } }, { name: 'group-2' }] });
      const group = groups.content[1];
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}/deploygroups/${group.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { id: group.id, totalTargetsPerStatus: { notstarted: 6 } } });
      const first = (await planner.request('GET', `/rest/v1/rollouts/${rollout.id}/deploygroups/${group.id}/targets?limit=4`, { auth: as.reader })).body as PageOf<{ controllerId: string }>;
      const rest = (await planner.request('GET', `/rest/v1/rollouts/${rollout.id}/deploygroups/${group.id}/targets?offset=4`, { auth: as.reader })).body as PageOf<{ controllerId: string }>;
      expect([first.total, first.size, rest.size]).toEqual([6, 4, 2]);
      expect(new Set([...first.content, ...rest.content].map((t) => t.controllerId)).size).toBe(6);
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}/deploygroups/${group.id}/targets?sort=vendor:ASC`, { auth: as.reader })).toMatchObject({ status: 400 });
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}/deploygroups/not-a-group`, { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'rollout_group_not_found' } });
    });

    it('guards every read with READ_ROLLOUT and the tenant', async () => {
      const group = ((await planner.request('GET', `/rest/v1/rollouts/${rollout.id}/deploygroups`, { auth: as.reader })).body as PageOf<Group>).content[0];
      const paths = ['/rest/v1/rollouts', `/rest/v1/rollouts/${rollout.id}`, `/rest/v1/rollouts/${rollout.id}/deploygroups`, `/rest/v1/rollouts/${rollout.id}/deploygroups/${group.id}`, `/rest/v1/rollouts/${rollout.id}/deploygroups/${group.id}/targets`];
      for (const path of paths) {
        expect([path, (await planner.request('GET', path)).status]).toEqual([path, 401]);
        expect([path, (await planner.request('GET', path, { auth: as.nobody })).status]).toEqual([path, 403]);
      }
      expect((await planner.request('GET', '/rest/v1/rollouts', { auth: as.otherTenant })).body).toMatchObject({ total: 0 });
      for (const path of paths.slice(1)) expect([path, (await planner.request('GET', path, { auth: as.otherTenant })).status]).toEqual([path, 404]);
      expect(await planner.request('GET', '/rest/v1/rollouts/no-such-rollout', { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'rollout_not_found' } });
    });

    it('answers 503 read_model_lagging, not 404, for a rollout the log holds but the read model does not show yet', async () => {
      const created = await create({ name: 'lagging', amountGroups: 2 });
      expect(created.status).toBe(201);
      const id = (created.body as Rollout).id;
      // What a read model behind a large creation's backlog looks like: the log has the rollout, the table not yet.
      const { rows } = await pool.query<Record<string, unknown>>('DELETE FROM rollouts WHERE tenant = $1 AND id = $2 RETURNING *', ['acme', id]);
      try {
        expect(await planner.request('GET', `/rest/v1/rollouts/${id}`, { auth: as.reader })).toMatchObject({ status: 503, body: { code: 'read_model_lagging' } });
        expect(await planner.request('GET', `/rest/v1/rollouts/${id}`, { auth: as.otherTenant })).toMatchObject({ status: 404, body: { code: 'rollout_not_found' } });
      } finally {
        // The read model catches up (as it would): the rebuild test below compares it with the log.
        const columns = Object.keys(rows[0]);
        await pool.query(`INSERT INTO rollouts (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, columns.map((c) => rows[0][c]));
      }
    });
  });

  describe('transitions', () => {
    it('starts a READY rollout into STARTING and leaves execution to the group-scheduler', async () => {
      expect(await planner.request('POST', `/rest/v1/rollouts/${rollout.id}/start`, { auth: operator })).toMatchObject({ status: 200, body: { status: 'starting', totalTargetsPerStatus: { notstarted: FLEET } } });
    });

    it('answers an illegal transition with 409 and the current state', async () => {
      expect(await planner.request('POST', `/rest/v1/rollouts/${rollout.id}/start`, { auth: operator })).toMatchObject({ status: 409, body: { code: 'rollout_not_ready', state: 'starting' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${rollout.id}/pause`, { auth: operator })).toMatchObject({ status: 409, body: { code: 'rollout_not_running', state: 'starting' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${rollout.id}/resume`, { auth: operator })).toMatchObject({ status: 409, body: { code: 'rollout_not_paused', state: 'starting' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${rollout.id}/approve?remark=ok`, { auth: as.admin })).toMatchObject({ status: 409, body: { code: 'rollout_not_awaiting_approval', state: 'starting' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${rollout.id}/deny`, { auth: as.admin })).toMatchObject({ status: 409, body: { code: 'rollout_not_awaiting_approval', state: 'starting' } });
    });

    it('keeps a rollout with actions DELETING for the scheduler, and removes one that never started', async () => {
      expect((await planner.request('DELETE', `/rest/v1/rollouts/${rollout.id}`, { auth: operator })).status).toBe(200);
      expect(await planner.request('GET', `/rest/v1/rollouts/${rollout.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { status: 'deleting' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${rollout.id}/start`, { auth: operator })).toMatchObject({ status: 409, body: { code: 'rollout_deleted', state: 'deleting' } });
      const unstarted = ((await planner.request('GET', '/rest/v1/rollouts?q=name==explicit', { auth: as.reader })).body as PageOf<Rollout>).content[0];
      expect((await planner.request('DELETE', `/rest/v1/rollouts/${unstarted.id}`, { auth: operator })).status).toBe(200);
      expect((await planner.request('GET', `/rest/v1/rollouts/${unstarted.id}`, { auth: as.reader })).status).toBe(404);
      expect((await planner.request('GET', `/rest/v1/rollouts/${unstarted.id}/deploygroups`, { auth: as.reader })).status).toBe(404);
    });

    it('pauses and resumes a rollout the group-scheduler has set RUNNING', async () => {
      const id = ((await create({ name: 'running', amountGroups: 2 })).body as Rollout).id;
      expect((await planner.request('POST', `/rest/v1/rollouts/${id}/start`, { auth: operator })).status).toBe(200);
      // Given: what the group-scheduler appends once it has started the rollout (it does not exist yet).
      const { EventStore } = loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts');
      const store = planner.service.app.get(EventStore);
      const stream = `rollout-${id}`;
      const head = (await store.readStream('acme', stream)).length;
      const groupIds = ((await planner.request('GET', `/rest/v1/rollouts/${id}/deploygroups`, { auth: as.reader })).body as PageOf<Group>).content.map((g) => g.id);
      const metadata = { source: 'rollgate/group-scheduler', actor: 'system:group-scheduler' };
      await store.append('acme', stream, head, [
        { type: 'io.rollgate.rollout.rollout-started.v1', data: { groupIds, at: Date.now() }, metadata },
        { type: 'io.rollgate.rollout.rollout-group-triggered.v1', data: { groupId: groupIds[0], index: 0, reason: 'first', at: Date.now() }, metadata },
      ]);
      expect(await planner.request('POST', `/rest/v1/rollouts/${id}/pause`, { auth: operator })).toMatchObject({ status: 200, body: { status: 'paused', lastModifiedBy: 'operator' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${id}/pause`, { auth: operator })).toMatchObject({ status: 409, body: { code: 'rollout_not_running', state: 'paused' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${id}/resume`, { auth: operator })).toMatchObject({ status: 200, body: { status: 'running' } });
      expect(await planner.request('POST', `/rest/v1/rollouts/${id}/resume`, { auth: operator })).toMatchObject({ status: 409, body: { code: 'rollout_not_paused', state: 'running' } });
    });

    it('guards transitions with their permissions and the tenant', async () => {
      const fresh = ((await create({ name: 'guarded' })).body as Rollout).id;
      for (const action of ['start', 'pause', 'resume', 'approve', 'deny']) {
        expect([action, (await planner.request('POST', `/rest/v1/rollouts/${fresh}/${action}`)).status]).toEqual([action, 401]);
        expect([action, (await planner.request('POST', `/rest/v1/rollouts/${fresh}/${action}`, { auth: as.reader })).status]).toEqual([action, 403]);
        expect([action, (await planner.request('POST', `/rest/v1/rollouts/${fresh}/${action}`, { auth: as.otherTenant })).status]).toEqual([action, 404]);
      }
      expect((await planner.request('POST', `/rest/v1/rollouts/${fresh}/approve`, { auth: operator })).status).toBe(403);
      expect((await planner.request('DELETE', `/rest/v1/rollouts/${fresh}`)).status).toBe(401);
      expect((await planner.request('DELETE', `/rest/v1/rollouts/${fresh}`, { auth: as.reader })).status).toBe(403);
      expect((await planner.request('DELETE', `/rest/v1/rollouts/${fresh}`, { auth: as.otherTenant })).status).toBe(404);
      expect((await planner.request('DELETE', '/rest/v1/rollouts/no-such-rollout', { auth: operator })).status).toBe(404);
      expect(await planner.request('GET', `/rest/v1/rollouts/${fresh}`, { auth: as.reader })).toMatchObject({ status: 200, body: { status: 'ready' } });
    });
  });
  describe('read model', () => {
    it('rebuilds from the log to exactly what the live projection holds', async () => {
      const { EventStore, rebuildProjection } = loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts');
      const { rolloutsProjection } = loadBuilt<typeof ReadModelsModule>('libs/read-models/src/index.ts');
      const snapshot = async () => ({
        rollouts: (await pool.query('SELECT * FROM rollouts ORDER BY tenant, id')).rows,
        groups: (await pool.query('SELECT * FROM rollout_groups ORDER BY tenant, id')).rows,
        members: (await pool.query('SELECT * FROM rollout_group_members ORDER BY tenant, group_id, chunk')).rows,
      });
      const live = await snapshot();
      expect(live.members.length).toBeGreaterThan(0);
      const result = await rebuildProjection(pool, planner.service.app.get(EventStore), rolloutsProjection);
      expect(result.eventsReplayed).toBeGreaterThan(0);
      expect(await snapshot()).toEqual(live);
    });
  });
});
