import { startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface Target {
  controllerId: string;
  name: string;
  securityToken?: string;
  updateStatus: string;
}
interface TargetPage {
  content: Target[];
  total: number;
  size: number;
}

describe('/rest/v1/targets', () => {
  let planner: Planner;
  let as: Callers;

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_TARGET']);
  });
  afterAll(() => planner?.close());

  it('creates targets in bulk and answers them at once, the token only for READ_TARGET_SECURITY_TOKEN', async () => {
    const created = await planner.request('POST', '/rest/v1/targets', {
      auth: as.admin,
      body: [{ controllerId: 'dev-1', name: 'Device 1', address: 'https://10.0.0.1' }, { controllerId: 'dev-2', securityToken: 'tok2' }, { controllerId: 'dev-3', description: 'spare' }],
    });
    expect(created.status).toBe(201);
    const body = created.body as Target[];
    expect(body.map((t) => t.controllerId)).toEqual(['dev-1', 'dev-2', 'dev-3']);
    expect(body[0]).toMatchObject({ name: 'Device 1', address: 'https://10.0.0.1', updateStatus: 'unknown', createdBy: 'admin', _links: { self: { href: '/rest/v1/targets/dev-1' } } });
    expect(body[0].securityToken).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(body[1]).toMatchObject({ name: 'dev-2', securityToken: 'tok2' });
    const asReader = await planner.request('GET', '/rest/v1/targets/dev-2', { auth: as.reader });
    expect(asReader).toMatchObject({ status: 200, body: { controllerId: 'dev-2' } });
    expect(asReader.body).not.toHaveProperty('securityToken');
  });

  it('pages, sorts and filters with hawkBit\'s parameters', async () => {
    const page = await planner.request('GET', '/rest/v1/targets?offset=1&limit=1&sort=controllerId:DESC', { auth: as.reader });
    expect(page.body).toMatchObject({ total: 3, size: 1, content: [{ controllerId: 'dev-2' }] });
    const filtered = await planner.request('GET', `/rest/v1/targets?q=${encodeURIComponent('name==Device*,description==spare')}`, { auth: as.reader });
    expect((filtered.body as TargetPage).content.map((t) => t.controllerId)).toEqual(['dev-1', 'dev-3']);
  });

  it('refuses bad paging, a bad filter naming its position, and invalid bodies field by field', async () => {
    expect(await planner.request('GET', '/rest/v1/targets?limit=501', { auth: as.reader })).toMatchObject({ status: 400, body: { issues: [{ path: 'limit' }] } });
    expect(await planner.request('GET', '/rest/v1/targets?sort=colour:ASC', { auth: as.reader })).toMatchObject({ status: 400, body: { issues: [{ path: 'sort' }] } });
    const badFilter = await planner.request('GET', `/rest/v1/targets?q=${encodeURIComponent('name==a;colour==red')}`, { auth: as.reader });
    expect(badFilter).toMatchObject({ status: 400, body: { code: 'filter_unknown_field', issues: [{ path: 'q', message: expect.stringMatching(/position 8/) }] } });
    const invalid = await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: [{ controllerId: 'ok-1' }, { name: 'no id' }, { controllerId: 'bad id' }] });
    expect(invalid).toMatchObject({ status: 400, body: { code: 'validation_failed', issues: [{ path: '/1/controllerId', message: 'is required' }] } });
    const badId = await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: [{ controllerId: 'ok-1' }, { controllerId: 'bad id' }] });
    expect(badId).toMatchObject({ status: 400, body: { issues: [{ path: '/controllerId' }] } });
    // All or nothing: the valid target of the refused batch was not created.
    expect((await planner.request('GET', '/rest/v1/targets/ok-1', { auth: as.reader })).status).toBe(404);
    expect(await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: [{ controllerId: 'dev-1' }] })).toMatchObject({ status: 409, body: { code: 'target_exists' } });
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, rawBody: '<targets/>', contentType: 'application/xml' })).status).toBe(415);
  });

  it('updates, answers attributes and deletes', async () => {
    const updated = await planner.request('PUT', '/rest/v1/targets/dev-3', { auth: as.admin, body: { name: 'Spare', address: null } });
    expect(updated).toMatchObject({ status: 200, body: { controllerId: 'dev-3', name: 'Spare', description: 'spare' } });
    expect(await planner.request('GET', '/rest/v1/targets/dev-3/attributes', { auth: as.reader })).toMatchObject({ status: 200, body: {} });
    expect((await planner.request('PUT', '/rest/v1/targets/dev-3', { auth: as.admin, body: { controllerId: 'other' } })).status).toBe(400);
    expect((await planner.request('DELETE', '/rest/v1/targets/dev-3', { auth: as.admin })).status).toBe(200);
    expect(await planner.request('GET', '/rest/v1/targets/dev-3', { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'target_not_found' } });
    expect((await planner.request('DELETE', '/rest/v1/targets/dev-3', { auth: as.admin })).status).toBe(404);
  });

  it('answers 401 without credentials and 403 without the permission', async () => {
    expect((await planner.request('GET', '/rest/v1/targets')).status).toBe(401);
    expect((await planner.request('GET', '/rest/v1/targets/dev-1', { auth: as.nobody })).status).toBe(403);
    expect(await planner.request('POST', '/rest/v1/targets', { auth: as.reader, body: [{ controllerId: 'x' }] })).toMatchObject({ status: 403, body: { message: 'missing permission CREATE_TARGET' } });
    expect((await planner.request('PUT', '/rest/v1/targets/dev-1', { auth: as.reader, body: { name: 'x' } })).status).toBe(403);
    expect((await planner.request('DELETE', '/rest/v1/targets/dev-1', { auth: as.reader })).status).toBe(403);
  });

  it('never shows or changes another tenant\'s targets, and lets it use the same controller ids', async () => {
    expect((await planner.request('GET', '/rest/v1/targets', { auth: as.otherTenant })).body).toEqual({ content: [], total: 0, size: 0 });
    expect((await planner.request('GET', '/rest/v1/targets/dev-1', { auth: as.otherTenant })).status).toBe(404);
    expect((await planner.request('PUT', '/rest/v1/targets/dev-1', { auth: as.otherTenant, body: { name: 'hijack' } })).status).toBe(404);
    expect((await planner.request('DELETE', '/rest/v1/targets/dev-1', { auth: as.otherTenant })).status).toBe(404);
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.otherTenant, body: [{ controllerId: 'dev-1', name: 'Globex 1' }] })).status).toBe(201);
    expect((await planner.request('GET', '/rest/v1/targets/dev-1', { auth: as.reader })).body).toMatchObject({ name: 'Device 1' });
  });
});
