import { startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

describe('/rest/v1/system/configs', () => {
  let planner: Planner;
  let as: Callers;

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_TENANT_CONFIGURATION']);
  });
  afterAll(() => planner?.close());

  it('answers defaults as global values, then the tenant\'s own value once set, readable back at once', async () => {
    const before = await planner.request('GET', '/rest/v1/system/configs/pollingTime', { auth: as.reader });
    expect(before).toMatchObject({ status: 200, body: { value: '00:05:00', global: true } });
    const set = await planner.request('PUT', '/rest/v1/system/configs/pollingTime', { auth: as.admin, body: { value: '00:01:00' } });
    expect(set).toMatchObject({ status: 200, body: { value: '00:01:00', global: false, lastModifiedBy: 'admin' } });
    const all = await planner.request('GET', '/rest/v1/system/configs', { auth: as.reader });
    expect(all.body).toMatchObject({ pollingTime: { value: '00:01:00', global: false }, 'rollout.approval.enabled': { value: false, global: true } });
    expect((await planner.request('DELETE', '/rest/v1/system/configs/pollingTime', { auth: as.admin })).status).toBe(204);
    expect((await planner.request('GET', '/rest/v1/system/configs/pollingTime', { auth: as.reader })).body).toMatchObject({ value: '00:05:00', global: true });
  });

  it('refuses bad values and unknown keys with field-level messages, and a non-JSON body with 415', async () => {
    const wrongKind = await planner.request('PUT', '/rest/v1/system/configs/rollout.approval.enabled', { auth: as.admin, body: { value: 'yes' } });
    expect(wrongKind).toMatchObject({ status: 400, body: { code: 'validation_failed', issues: [{ path: '/value', message: 'must be true or false' }] } });
    const missing = await planner.request('PUT', '/rest/v1/system/configs/pollingTime', { auth: as.admin, body: {} });
    expect(missing).toMatchObject({ status: 400, body: { issues: [{ path: '/value', message: 'is required' }] } });
    expect(await planner.request('GET', '/rest/v1/system/configs/colour', { auth: as.reader })).toMatchObject({ status: 400, body: { code: 'config_key_unknown' } });
    const text = await planner.request('PUT', '/rest/v1/system/configs/pollingTime', { auth: as.admin, rawBody: 'value=1', contentType: 'text/plain' });
    expect(text).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
  });

  it('hides the gateway token from callers without READ_GATEWAY_SECURITY_TOKEN', async () => {
    await planner.request('PUT', '/rest/v1/system/configs/authentication.gatewaytoken.key', { auth: as.admin, body: { value: 'gw-secret' } });
    expect((await planner.request('GET', '/rest/v1/system/configs/authentication.gatewaytoken.key', { auth: as.admin })).body).toMatchObject({ value: 'gw-secret' });
    expect((await planner.request('GET', '/rest/v1/system/configs/authentication.gatewaytoken.key', { auth: as.reader })).status).toBe(403);
    expect((await planner.request('GET', '/rest/v1/system/configs', { auth: as.reader })).body).not.toHaveProperty(['authentication.gatewaytoken.key']);
  });

  it('answers 401 without credentials and 403 without the permission', async () => {
    expect((await planner.request('GET', '/rest/v1/system/configs')).status).toBe(401);
    expect(await planner.request('GET', '/rest/v1/system/configs', { auth: as.nobody })).toMatchObject({ status: 403, body: { code: 'forbidden', message: 'missing permission READ_TENANT_CONFIGURATION' } });
    expect((await planner.request('PUT', '/rest/v1/system/configs/pollingTime', { auth: as.reader, body: { value: '00:02:00' } })).status).toBe(403);
  });

  it('keeps each tenant\'s configuration its own', async () => {
    await planner.request('PUT', '/rest/v1/system/configs/minPollingTime', { auth: as.admin, body: { value: '00:00:10' } });
    const other = await planner.request('GET', '/rest/v1/system/configs/minPollingTime', { auth: as.otherTenant });
    expect(other.body).toMatchObject({ value: '00:00:30', global: true });
    expect((await planner.request('DELETE', '/rest/v1/system/configs/minPollingTime', { auth: as.otherTenant })).status).toBe(404);
  });
});
