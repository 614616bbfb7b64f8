import { startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface Resource {
  id: string;
  name: string;
}

describe('/rest/v1/softwaremodules, /distributionsets, /targetfilters', () => {
  let planner: Planner;
  let as: Callers;
  let os: Resource;
  let app: Resource;
  let set: Resource;
  let filter: Resource;

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_SOFTWARE_MODULE', 'READ_DISTRIBUTION_SET', 'READ_TARGET']);
  });
  afterAll(() => planner?.close());

  describe('software modules', () => {
    it('creates modules as an array and reads them back, paged and filtered', async () => {
      const created = await planner.request('POST', '/rest/v1/softwaremodules', {
        auth: as.admin,
        body: [{ name: 'image', version: '1.2.0', type: 'os', vendor: 'acme' }, { name: 'agent', version: '3.1', type: 'application' }],
      });
      expect(created.status).toBe(201);
      [os, app] = created.body as Resource[];
      expect(os).toMatchObject({ name: 'image', version: '1.2.0', type: 'os', vendor: 'acme', createdBy: 'admin', _links: { self: { href: `/rest/v1/softwaremodules/${os.id}` } } });
      expect(await planner.request('GET', `/rest/v1/softwaremodules/${app.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { name: 'agent', type: 'application' } });
      const page = await planner.request('GET', '/rest/v1/softwaremodules?sort=name:DESC&limit=1', { auth: as.reader });
      expect(page.body).toMatchObject({ total: 2, size: 1, content: [{ name: 'image' }] });
      expect((await planner.request('GET', '/rest/v1/softwaremodules?q=name==ag*', { auth: as.reader })).body).toMatchObject({ total: 1, content: [{ name: 'agent' }] });
      const updated = await planner.request('PUT', `/rest/v1/softwaremodules/${app.id}`, { auth: as.admin, body: { description: 'the agent' } });
      expect(updated.body).toMatchObject({ description: 'the agent', name: 'agent' });
    });

    it('refuses duplicates, unknown types, bad bodies and filters on fields modules do not have', async () => {
      expect(await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'image', version: '1.2.0', type: 'os' }] })).toMatchObject({ status: 409, body: { code: 'software_module_exists' } });
      expect(await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'x', version: '1', type: 'firmware' }] })).toMatchObject({ status: 422, body: { code: 'software_module_type_invalid' } });
      expect(await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'x' }] })).toMatchObject({ status: 400, body: { issues: [{ path: '/0/version' }, { path: '/0/type' }] } });
      expect(await planner.request('GET', '/rest/v1/softwaremodules?q=updateStatus==ERROR', { auth: as.reader })).toMatchObject({ status: 400, body: { code: 'filter_unknown_field' } });
    });

    it('guards with permissions and tenants', async () => {
      expect((await planner.request('GET', '/rest/v1/softwaremodules')).status).toBe(401);
      expect((await planner.request('GET', '/rest/v1/softwaremodules', { auth: as.nobody })).status).toBe(403);
      expect((await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.reader, body: [{ name: 'x', version: '1', type: 'os' }] })).status).toBe(403);
      expect((await planner.request('GET', `/rest/v1/softwaremodules/${os.id}`, { auth: as.otherTenant })).status).toBe(404);
      expect((await planner.request('GET', '/rest/v1/softwaremodules', { auth: as.otherTenant })).body).toMatchObject({ total: 0 });
      expect((await planner.request('DELETE', `/rest/v1/softwaremodules/${os.id}`, { auth: as.otherTenant })).status).toBe(404);
    });
  });

  describe('distribution sets', () => {
    it('creates a set from existing modules whose types fit', async () => {
      const created = await planner.request('POST', '/rest/v1/distributionsets', {
        auth: as.admin,
        body: [{ name: 'fw', version: '2.0', type: 'os_app', modules: [{ id: os.id }, { id: app.id }] }],
      });
      expect(created.status).toBe(201);
      [set] = created.body as Resource[];
      expect(set).toMatchObject({ name: 'fw', version: '2.0', type: 'os_app', complete: true, requiredMigrationStep: false, modules: [{ id: os.id, type: 'os' }, { id: app.id, type: 'application' }] });
      expect(await planner.request('GET', `/rest/v1/distributionsets/${set.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { name: 'fw' } });
      expect((await planner.request('GET', '/rest/v1/distributionsets', { auth: as.reader })).body).toMatchObject({ total: 1, content: [{ id: set.id }] });
      expect((await planner.request('PUT', `/rest/v1/distributionsets/${set.id}`, { auth: as.admin, body: { requiredMigrationStep: true } })).body).toMatchObject({ requiredMigrationStep: true });
    });

    it('refuses unknown modules by field, misfits and duplicates', async () => {
      const unknown = await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'x', version: '1', type: 'os', modules: [{ id: 'nope' }] }] });
      expect(unknown).toMatchObject({ status: 400, body: { issues: [{ path: '/0/modules/0/id', message: 'no such software module' }] } });
      expect(await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'x', version: '1', type: 'os', modules: [{ id: app.id }] }] })).toMatchObject({ status: 422, body: { code: 'distribution_set_modules_invalid' } });
      expect(await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'fw', version: '2.0', type: 'os', modules: [{ id: os.id }] }] })).toMatchObject({ status: 409, body: { code: 'distribution_set_exists' } });
    });

    it('guards with permissions and tenants, and deletes', async () => {
      expect((await planner.request('GET', '/rest/v1/distributionsets')).status).toBe(401);
      expect((await planner.request('GET', '/rest/v1/distributionsets', { auth: as.nobody })).status).toBe(403);
      expect((await planner.request('DELETE', `/rest/v1/distributionsets/${set.id}`, { auth: as.reader })).status).toBe(403);
      expect((await planner.request('GET', `/rest/v1/distributionsets/${set.id}`, { auth: as.otherTenant })).status).toBe(404);
      // Another tenant cannot build on this tenant's modules either.
      expect((await planner.request('POST', '/rest/v1/distributionsets', { auth: as.otherTenant, body: [{ name: 'x', version: '1', type: 'os', modules: [{ id: os.id }] }] })).status).toBe(400);
      expect((await planner.request('DELETE', `/rest/v1/distributionsets/${set.id}`, { auth: as.admin })).status).toBe(200);
      expect((await planner.request('GET', `/rest/v1/distributionsets/${set.id}`, { auth: as.reader })).status).toBe(404);
    });
  });

  describe('target filters', () => {
    it('creates, lists, updates and deletes a named query', async () => {
      const created = await planner.request('POST', '/rest/v1/targetfilters', { auth: as.admin, body: { name: 'eu boards', query: 'attribute.region==eu;updateStatus!=PENDING' } });
      expect(created.status).toBe(201);
      filter = created.body as Resource;
      expect(filter).toMatchObject({ name: 'eu boards', query: 'attribute.region==eu;updateStatus!=PENDING', createdBy: 'admin' });
      expect((await planner.request('GET', '/rest/v1/targetfilters?q=name==eu*', { auth: as.reader })).body).toMatchObject({ total: 1, content: [{ id: filter.id }] });
      expect((await planner.request('PUT', `/rest/v1/targetfilters/${filter.id}`, { auth: as.admin, body: { query: 'updateStatus==ERROR' } })).body).toMatchObject({ name: 'eu boards', query: 'updateStatus==ERROR' });
    });

    it('refuses a query that does not parse, naming the position', async () => {
      const bad = await planner.request('POST', '/rest/v1/targetfilters', { auth: as.admin, body: { name: 'broken', query: 'name==a;;' } });
      expect(bad).toMatchObject({ status: 400, body: { code: 'filter_syntax_error', issues: [{ path: 'q', message: expect.stringMatching(/at position \d+/) }] } });
      expect(await planner.request('POST', '/rest/v1/targetfilters', { auth: as.admin, body: { name: 'x' } })).toMatchObject({ status: 400, body: { issues: [{ path: '/query', message: 'is required' }] } });
    });

    it('guards with permissions and tenants, and deletes', async () => {
      expect((await planner.request('GET', '/rest/v1/targetfilters')).status).toBe(401);
      expect((await planner.request('GET', '/rest/v1/targetfilters', { auth: as.nobody })).status).toBe(403);
      expect((await planner.request('POST', '/rest/v1/targetfilters', { auth: as.reader, body: { name: 'x', query: 'name==x' } })).status).toBe(403);
      expect((await planner.request('GET', `/rest/v1/targetfilters/${filter.id}`, { auth: as.otherTenant })).status).toBe(404);
      expect((await planner.request('PUT', `/rest/v1/targetfilters/${filter.id}`, { auth: as.otherTenant, body: { name: 'x' } })).status).toBe(404);
      expect((await planner.request('DELETE', `/rest/v1/targetfilters/${filter.id}`, { auth: as.admin })).status).toBe(200);
      expect((await planner.request('GET', `/rest/v1/targetfilters/${filter.id}`, { auth: as.reader })).status).toBe(404);
    });
  });
});
