import { ADMIN_PASSWORD, basic, startPlanner, type Planner } from '../../test/planner.harness';

jest.setTimeout(120_000);

const ADMIN = basic('acme\\admin', ADMIN_PASSWORD);

describe('rollout-planner identity: users, tokens, authentication, throttling', () => {
  let planner: Planner;

  beforeAll(async () => {
    planner = await startPlanner({ ROLLGATE_LOGIN_MAX_FAILURES: '3', ROLLGATE_AUTH_CACHE_TTL_MS: '0' });
    await planner.createUser('globex', 'admin', 'globex-admin-password', ['ROLE_ADMIN']);
  });
  afterAll(() => planner?.close());

  it('bootstraps the administrator from the environment, and plain user names resolve to the default tenant', async () => {
    const answer = await planner.request('GET', '/rest/v1/system/users/admin', { auth: basic('admin', ADMIN_PASSWORD) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ username: 'admin', enabled: true, permissions: expect.arrayContaining(['MANAGE_USERS', 'APPROVE_ROLLOUT']) });
  });

  it('answers 401 with a challenge without credentials or with wrong ones, never saying which part was wrong', async () => {
    const none = await planner.request('GET', '/rest/v1/system/users/admin');
    expect(none).toMatchObject({ status: 401, body: { code: 'unauthorized', message: 'credentials required' } });
    expect(none.headers.get('www-authenticate')).toContain('Basic');
    const wrongPassword = await planner.request('GET', '/rest/v1/system/users/admin', { auth: basic('acme\\admin', 'wrong-password-1') });
    const unknownUser = await planner.request('GET', '/rest/v1/system/users/admin', { auth: basic('acme\\nobody', 'wrong-password-1') });
    expect(wrongPassword.body).toEqual({ code: 'unauthorized', message: 'invalid credentials' });
    expect(unknownUser.body).toEqual(wrongPassword.body);
    expect((await planner.request('GET', '/rest/v1/system/users/admin', { auth: 'Bearer nonsense' })).status).toBe(401);
  });

  it('creates a user with field-level validation, and enforces its permissions with 403', async () => {
    const bad = await planner.request('POST', '/rest/v1/system/users', { auth: ADMIN, body: { username: 'viewer', password: 'short' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', issues: expect.arrayContaining([{ path: '/password', message: expect.any(String) }, { path: '/permissions', message: 'is required' }]) });
    const created = await planner.request('POST', '/rest/v1/system/users', { auth: ADMIN, body: { username: 'viewer', password: 'viewer-password-1', permissions: ['READ_TARGET'] } });
    expect(created).toMatchObject({ status: 201, body: { username: 'viewer', permissions: ['READ_TARGET'] } });
    const again = await planner.request('POST', '/rest/v1/system/users', { auth: ADMIN, body: { username: 'viewer', password: 'viewer-password-1', permissions: [] } });
    expect(again).toMatchObject({ status: 409, body: { code: 'user_exists' } });
    const forbidden = await planner.request('GET', '/rest/v1/system/users/admin', { auth: basic('acme\\viewer', 'viewer-password-1') });
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'forbidden', message: 'missing permission MANAGE_USERS' } });
  });

  it('lists the tenant\'s users without any secret, and answers userinfo for any authenticated caller', async () => {
    const page = await planner.request('GET', '/rest/v1/system/users?sort=username:ASC', { auth: ADMIN });
    expect(page.body).toMatchObject({ total: 2, content: [{ username: 'admin', enabled: true, createdBy: 'system:bootstrap' }, { username: 'viewer', permissions: ['READ_TARGET'], createdBy: 'admin' }] });
    expect(JSON.stringify(page.body)).not.toContain('argon2');
    expect((await planner.request('GET', '/rest/v1/system/users?q=name==view*', { auth: ADMIN })).body).toMatchObject({ total: 1 });
    expect((await planner.request('GET', '/rest/v1/system/users', { auth: basic('globex\\admin', 'globex-admin-password') })).body).toMatchObject({ total: 1, content: [{ username: 'admin' }] });
    const info = await planner.request('GET', '/rest/v1/userinfo', { auth: basic('acme\\viewer', 'viewer-password-1') });
    expect(info).toMatchObject({ status: 200, body: { tenant: 'acme', username: 'viewer', permissions: ['READ_TARGET'] } });
    expect((await planner.request('GET', '/rest/v1/userinfo')).status).toBe(401);
  });

  it('keeps tenants apart: another tenant\'s admin cannot see this tenant\'s users', async () => {
    const globex = basic('globex\\admin', 'globex-admin-password');
    const other = await planner.request('GET', '/rest/v1/system/users/viewer', { auth: globex });
    expect(other).toMatchObject({ status: 404, body: { code: 'user_not_found' } });
    expect((await planner.request('PUT', '/rest/v1/system/users/viewer', { auth: globex, body: { permissions: ['ROLE_ADMIN'] } })).status).toBe(404);
    expect((await planner.request('DELETE', '/rest/v1/system/users/viewer', { auth: globex })).status).toBe(404);
    // acme's viewer still has exactly what acme gave it.
    expect((await planner.request('GET', '/rest/v1/userinfo', { auth: basic('acme\\viewer', 'viewer-password-1') })).body).toMatchObject({ permissions: ['READ_TARGET'] });
  });

  it('issues bearer tokens limited to the owner\'s permissions, and revokes them', async () => {
    const escalation = await planner.request('POST', '/rest/v1/system/tokens', { auth: basic('acme\\viewer', 'viewer-password-1'), body: { name: 'ci', permissions: ['MANAGE_USERS'] } });
    expect(escalation).toMatchObject({ status: 422, body: { code: 'token_permission_not_allowed' } });
    const issued = await planner.request('POST', '/rest/v1/system/tokens', { auth: ADMIN, body: { name: 'ci', permissions: ['MANAGE_USERS'] } });
    expect(issued.status).toBe(201);
    const { id, token } = issued.body as { id: string; token: string };
    expect(token).toMatch(/^rgt\.acme\.[a-f0-9]{16}\./);
    expect((await planner.request('GET', '/rest/v1/system/users/admin', { auth: `Bearer ${token}` })).status).toBe(200);
    expect((await planner.request('DELETE', `/rest/v1/system/tokens/${id}`, { auth: basic('globex\\admin', 'globex-admin-password') })).status).toBe(404);
    expect((await planner.request('DELETE', `/rest/v1/system/tokens/${id}`, { auth: ADMIN })).status).toBe(204);
    expect((await planner.request('GET', '/rest/v1/system/users/admin', { auth: `Bearer ${token}` })).status).toBe(401);
  });

  it('refuses an expired token and a token issued in the past', async () => {
    const past = await planner.request('POST', '/rest/v1/system/tokens', { auth: ADMIN, body: { name: 'old', expiresAt: 1_000 } });
    expect(past).toMatchObject({ status: 422, body: { code: 'token_expiry_invalid' } });
    const soon = await planner.request('POST', '/rest/v1/system/tokens', { auth: ADMIN, body: { name: 'short', expiresAt: Date.now() + 1_500 } });
    const { token } = soon.body as { token: string };
    expect((await planner.request('GET', '/rest/v1/userinfo', { auth: `Bearer ${token}` })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await planner.request('GET', '/rest/v1/userinfo', { auth: `Bearer ${token}` })).status).toBe(401);
  });

  it('refuses further attempts with 429 after repeated failed logins, even with the right password', async () => {
    await planner.request('POST', '/rest/v1/system/users', { auth: ADMIN, body: { username: 'victim', password: 'victim-password-1', permissions: ['MANAGE_USERS'] } });
    const victim = (password: string) => planner.request('GET', '/rest/v1/system/users/victim', { auth: basic('acme\\victim', password) });
    for (let i = 0; i < 3; i++) expect((await victim('guess-password-' + i)).status).toBe(401);
    const blocked = await victim('victim-password-1');
    expect(blocked).toMatchObject({ status: 429, body: { code: 'too_many_requests' } });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('disables a user, after which its credentials stop working', async () => {
    await planner.request('POST', '/rest/v1/system/users', { auth: ADMIN, body: { username: 'leaver', password: 'leaver-password-1', permissions: ['MANAGE_USERS'] } });
    expect((await planner.request('DELETE', '/rest/v1/system/users/leaver', { auth: ADMIN })).status).toBe(204);
    expect((await planner.request('GET', '/rest/v1/system/users/leaver', { auth: basic('acme\\leaver', 'leaver-password-1') })).status).toBe(401);
  });
});
