import { startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface Tag {
  id: number;
  name: string;
  description: string;
  colour: string;
}
interface PageOf<T> {
  content: T[];
  total: number;
}

describe('/rest/v1/targettags and tag assignment', () => {
  let planner: Planner;
  let as: Callers;
  let eu: Tag;
  let prod: Tag;

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_TARGET']);
    const targets = ['d1', 'd2', 'd3'].map((controllerId) => ({ controllerId }));
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: targets })).status).toBe(201);
  });
  afterAll(() => planner?.close());

  it('creates tags as an array with numeric ids, lists, gets and updates them', async () => {
    const created = await planner.request('POST', '/rest/v1/targettags', { auth: as.admin, body: [{ name: 'eu', description: 'Europe', colour: '#00f' }, { name: 'prod' }] });
    expect(created.status).toBe(201);
    [eu, prod] = created.body as Tag[];
    expect(eu).toMatchObject({ name: 'eu', description: 'Europe', colour: '#00f', createdBy: 'admin', _links: { self: { href: `/rest/v1/targettags/${eu.id}` } } });
    expect(typeof eu.id).toBe('number');
    expect(prod).toMatchObject({ name: 'prod', colour: '#2c3e50' });
    expect((await planner.request('GET', '/rest/v1/targettags?sort=name:DESC', { auth: as.reader })).body).toMatchObject({ total: 2, content: [{ name: 'prod' }, { name: 'eu' }] });
    expect((await planner.request('GET', '/rest/v1/targettags?q=name==e*', { auth: as.reader })).body).toMatchObject({ total: 1, content: [{ name: 'eu' }] });
    expect(await planner.request('GET', `/rest/v1/targettags/${prod.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { name: 'prod' } });
    expect(await planner.request('PUT', `/rest/v1/targettags/${prod.id}`, { auth: as.admin, body: { description: 'production', colour: '#ff0000' } })).toMatchObject({ status: 200, body: { description: 'production', colour: '#ff0000', lastModifiedBy: 'admin' } });
  });

  it('refuses duplicate names, renames, bad colours and bad bodies', async () => {
    expect(await planner.request('POST', '/rest/v1/targettags', { auth: as.admin, body: [{ name: 'eu' }] })).toMatchObject({ status: 409, body: { code: 'target_tag_exists' } });
    expect(await planner.request('POST', '/rest/v1/targettags', { auth: as.admin, body: [{ name: 'x' }, { name: 'x' }] })).toMatchObject({ status: 400, body: { issues: [{ path: '/1/name' }] } });
    expect(await planner.request('POST', '/rest/v1/targettags', { auth: as.admin, body: [{ name: 'x', colour: 'blue' }] })).toMatchObject({ status: 400, body: { issues: [{ path: '/colour' }] } });
    expect(await planner.request('POST', '/rest/v1/targettags', { auth: as.admin, body: { name: 'x' } })).toMatchObject({ status: 400 });
    expect(await planner.request('PUT', `/rest/v1/targettags/${eu.id}`, { auth: as.admin, body: { name: 'europe' } })).toMatchObject({ status: 400, body: { issues: [{ path: '/name' }] } });
    expect(await planner.request('GET', '/rest/v1/targettags/999999', { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'target_tag_not_found' } });
    expect((await planner.request('GET', '/rest/v1/targettags', { auth: as.reader })).body).toMatchObject({ total: 2 });
  });

  it('assigns a tag to targets (both hawkBit body shapes), which the filter language then finds by tags.name', async () => {
    const assigned = await planner.request('POST', `/rest/v1/targettags/${eu.id}/assigned`, { auth: as.admin, body: ['d1', { controllerId: 'd2' }] });
    expect(assigned).toMatchObject({ status: 200, body: [{ controllerId: 'd1' }, { controllerId: 'd2' }] });
    // Assigning again changes nothing.
    expect((await planner.request('POST', `/rest/v1/targettags/${eu.id}/assigned`, { auth: as.admin, body: ['d1'] })).status).toBe(200);
    expect(await planner.request('POST', `/rest/v1/targettags/${prod.id}/assigned`, { auth: as.admin, body: ['d2'] })).toMatchObject({ status: 200 });
    expect((await planner.request('GET', `/rest/v1/targettags/${eu.id}/assigned`, { auth: as.reader })).body).toMatchObject({ total: 2, content: [{ controllerId: 'd1' }, { controllerId: 'd2' }] });
    const filtered = (await planner.request('GET', '/rest/v1/targets?q=tags.name==eu;tags.name==prod', { auth: as.reader })).body as PageOf<{ controllerId: string }>;
    expect(filtered.content.map((t) => t.controllerId)).toEqual(['d2']);
    expect((await planner.request('GET', '/rest/v1/targets/d2/tags', { auth: as.reader })).body).toMatchObject([{ id: eu.id, name: 'eu' }, { id: prod.id, name: 'prod' }]);
    expect((await planner.request('GET', '/rest/v1/targets/d2', { auth: as.reader })).body).toMatchObject({
      _links: { self: { href: '/rest/v1/targets/d2' }, tags: { href: '/rest/v1/targets/d2/tags' }, actions: { href: '/rest/v1/targets/d2/actions' }, assignedDS: { href: '/rest/v1/targets/d2/assignedDS' } },
    });
  });

  it('refuses unknown targets and tags, and unassigns', async () => {
    expect(await planner.request('POST', `/rest/v1/targettags/${eu.id}/assigned`, { auth: as.admin, body: ['d3', 'ghost'] })).toMatchObject({ status: 404, body: { code: 'target_not_found' } });
    expect((await planner.request('GET', '/rest/v1/targets/d3/tags', { auth: as.reader })).body).toEqual([]);
    expect(await planner.request('POST', '/rest/v1/targettags/999999/assigned', { auth: as.admin, body: ['d3'] })).toMatchObject({ status: 404, body: { code: 'target_tag_not_found' } });
    expect(await planner.request('POST', `/rest/v1/targettags/${eu.id}/assigned`, { auth: as.admin, body: [] })).toMatchObject({ status: 400 });
    expect((await planner.request('DELETE', `/rest/v1/targettags/${eu.id}/assigned/d1`, { auth: as.admin })).status).toBe(200);
    expect(await planner.request('DELETE', `/rest/v1/targettags/${eu.id}/assigned/d1`, { auth: as.admin })).toMatchObject({ status: 404, body: { code: 'target_tag_assignment_not_found' } });
    expect((await planner.request('GET', `/rest/v1/targettags/${eu.id}/assigned`, { auth: as.reader })).body).toMatchObject({ total: 1, content: [{ controllerId: 'd2' }] });
  });

  it('deleting a tag removes it from every target', async () => {
    expect((await planner.request('DELETE', `/rest/v1/targettags/${eu.id}`, { auth: as.admin })).status).toBe(200);
    expect((await planner.request('GET', '/rest/v1/targets?q=tags.name==eu', { auth: as.reader })).body).toMatchObject({ total: 0 });
    expect((await planner.request('GET', '/rest/v1/targets/d2/tags', { auth: as.reader })).body).toMatchObject([{ name: 'prod' }]);
    // The name is free again, under a new id.
    const again = await planner.request('POST', '/rest/v1/targettags', { auth: as.admin, body: [{ name: 'eu' }] });
    expect(again.status).toBe(201);
    const [renewed] = again.body as Tag[];
    expect(renewed.id).not.toBe(eu.id);
    expect((await planner.request('GET', `/rest/v1/targettags/${renewed.id}/assigned`, { auth: as.reader })).body).toMatchObject({ total: 0 });
    expect(await planner.request('POST', `/rest/v1/targettags/${renewed.id}/assigned`, { auth: as.admin, body: ['d2'] })).toMatchObject({ status: 200 });
    expect((await planner.request('GET', '/rest/v1/targets?q=tags.name==eu', { auth: as.reader })).body).toMatchObject({ total: 1 });
  });

  it('guards with permissions and tenants', async () => {
    expect((await planner.request('GET', '/rest/v1/targettags')).status).toBe(401);
    expect((await planner.request('GET', '/rest/v1/targettags', { auth: as.nobody })).status).toBe(403);
    expect((await planner.request('POST', '/rest/v1/targettags', { auth: as.reader, body: [{ name: 'r' }] })).status).toBe(403);
    expect((await planner.request('PUT', `/rest/v1/targettags/${prod.id}`, { auth: as.reader, body: { description: 'x' } })).status).toBe(403);
    expect((await planner.request('DELETE', `/rest/v1/targettags/${prod.id}`, { auth: as.reader })).status).toBe(403);
    expect((await planner.request('POST', `/rest/v1/targettags/${prod.id}/assigned`, { auth: as.reader, body: ['d3'] })).status).toBe(403);
    expect((await planner.request('DELETE', `/rest/v1/targettags/${prod.id}/assigned/d2`, { auth: as.reader })).status).toBe(403);
    expect((await planner.request('GET', '/rest/v1/targettags', { auth: as.otherTenant })).body).toMatchObject({ total: 0 });
    expect((await planner.request('GET', `/rest/v1/targettags/${prod.id}`, { auth: as.otherTenant })).status).toBe(404);
    expect((await planner.request('GET', `/rest/v1/targettags/${prod.id}/assigned`, { auth: as.otherTenant })).status).toBe(404);
    expect((await planner.request('POST', `/rest/v1/targettags/${prod.id}/assigned`, { auth: as.otherTenant, body: ['d2'] })).status).toBe(404);
    expect((await planner.request('DELETE', `/rest/v1/targettags/${prod.id}`, { auth: as.otherTenant })).status).toBe(404);
    expect((await planner.request('GET', '/rest/v1/targets/d2/tags', { auth: as.otherTenant })).status).toBe(404);
  });
});
