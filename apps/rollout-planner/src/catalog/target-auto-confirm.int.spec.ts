import { basic, startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface AutoConfirm {
  active: boolean;
  initiator?: string;
  remark?: string;
  activatedAt?: number;
  _links: Record<string, { href: string }>;
}

describe('/rest/v1/targets/{controllerId}/autoConfirm (hawkBit auto-confirmation)', () => {
  let planner: Planner;
  let as: Callers;
  let updater: string;
  const state = async (controllerId: string, auth = as.reader) => planner.request('GET', `/rest/v1/targets/${controllerId}/autoConfirm`, { auth });
  const activate = (controllerId: string, body?: unknown, auth = updater) => planner.request('POST', `/rest/v1/targets/${controllerId}/autoConfirm/activate`, { auth, body });
  const deactivate = (controllerId: string, auth = updater) => planner.request('POST', `/rest/v1/targets/${controllerId}/autoConfirm/deactivate`, { auth });

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_TARGET']);
    await planner.createUser('acme', 'updater', 'updater-password-1', ['READ_TARGET', 'UPDATE_TARGET', 'READ_DISTRIBUTION_SET']);
    updater = basic('acme\\updater', 'updater-password-1');
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: [{ controllerId: 'ac-1' }, { controllerId: 'ac-2' }, { controllerId: 'ac-3' }] })).status).toBe(201);
    expect((await planner.request('POST', '/rest/v1/targets', { auth: as.otherTenant, body: [{ controllerId: 'ac-1' }] })).status).toBe(201);
  });
  afterAll(() => planner?.close());

  it('answers the state with the link that switches it, activates with initiator and remark, and deactivates', async () => {
    expect(await state('ac-1')).toMatchObject({ status: 200, body: { active: false, _links: { activate: { href: '/rest/v1/targets/ac-1/autoConfirm/activate' } } } });
    const before = Date.now();
    expect(await activate('ac-1', { initiator: 'ops-bot', remark: 'trusted fleet' })).toMatchObject({ status: 204 });
    const active = (await state('ac-1')).body as AutoConfirm;
    expect(active).toEqual({ active: true, initiator: 'ops-bot', remark: 'trusted fleet', activatedAt: expect.any(Number), _links: { deactivate: { href: '/rest/v1/targets/ac-1/autoConfirm/deactivate' } } });
    expect(active.activatedAt).toBeGreaterThanOrEqual(before);
    expect(await activate('ac-1', { initiator: 'someone-else' })).toMatchObject({ status: 409, body: { code: 'auto_confirm_already_active' } });
    expect((await deactivate('ac-1')).status).toBe(204);
    expect((await state('ac-1')).body).toMatchObject({ active: false });
    // Deactivating what is not active succeeds and changes nothing, as in hawkBit.
    expect((await deactivate('ac-1')).status).toBe(204);
  });

  it('takes no body at all, or empty fields, as an activation without initiator and remark', async () => {
    expect((await activate('ac-2')).status).toBe(204);
    expect((await state('ac-2')).body).toEqual({ active: true, activatedAt: expect.any(Number), _links: { deactivate: expect.anything() } });
    expect((await deactivate('ac-2')).status).toBe(204);
    expect((await activate('ac-2', { initiator: '', remark: null })).status).toBe(204);
    expect((await state('ac-2')).body).not.toHaveProperty('initiator');
    expect((await deactivate('ac-2')).status).toBe(204);
  });

  it('refuses bad input field by field (400), and answers 404 for a target that does not exist', async () => {
    const bad = await activate('ac-3', { initiator: 5, remark: 'r'.repeat(256), colour: 'red' });
    expect(bad.status).toBe(400);
    const issues = (bad.body as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(['/initiator', '/remark', '/colour']));
    expect((await planner.request('POST', '/rest/v1/targets/ac-3/autoConfirm/activate', { auth: updater, rawBody: '{"initiator":', contentType: 'application/json' })).status).toBe(400);
    expect((await planner.request('POST', '/rest/v1/targets/ac-3/autoConfirm/activate', { auth: updater, rawBody: 'initiator=x', contentType: 'text/plain' })).status).toBe(415);
    expect((await state('ac-3')).body).toMatchObject({ active: false });
    expect(await state('nobody')).toMatchObject({ status: 404, body: { code: 'target_not_found' } });
    expect(await activate('nobody', {})).toMatchObject({ status: 404, body: { code: 'target_not_found' } });
    expect((await deactivate('nobody')).status).toBe(404);
  });

  it('needs READ_TARGET to read and UPDATE_TARGET to change', async () => {
    expect((await planner.request('GET', '/rest/v1/targets/ac-3/autoConfirm')).status).toBe(401);
    expect((await state('ac-3', as.nobody)).status).toBe(403);
    expect(await activate('ac-3', {}, as.reader)).toMatchObject({ status: 403, body: { message: 'missing permission UPDATE_TARGET' } });
    expect((await deactivate('ac-3', as.reader)).status).toBe(403);
    expect((await state('ac-3')).body).toMatchObject({ active: false });
  });

  it("never reads or changes another tenant's target of the same id", async () => {
    expect((await activate('ac-3', { initiator: 'acme' })).status).toBe(204);
    expect((await state('ac-3', as.otherTenant)).status).toBe(404);
    expect((await state('ac-1', as.otherTenant)).body).toMatchObject({ active: false });
    expect((await activate('ac-1', {}, as.otherTenant)).status).toBe(204);
    expect((await state('ac-1')).body).toMatchObject({ active: false });
    expect((await deactivate('ac-3', as.otherTenant)).status).toBe(404);
    expect((await state('ac-3')).body).toMatchObject({ active: true, initiator: 'acme' });
  });

  it('shows autoConfirmActive and links autoConfirm on targets only while the confirmation flow is on, as hawkBit', async () => {
    const target = async () => (await planner.request('GET', '/rest/v1/targets/ac-3', { auth: as.reader })).body as Record<string, unknown> & { _links: Record<string, unknown> };
    expect(await target()).not.toHaveProperty('autoConfirmActive');
    expect((await target())._links).not.toHaveProperty('autoConfirm');
    expect((await planner.request('PUT', '/rest/v1/system/configs/user.confirmation.flow.enabled', { auth: as.admin, body: { value: true } })).status).toBe(200);
    expect(await target()).toMatchObject({ autoConfirmActive: true, _links: { autoConfirm: { href: '/rest/v1/targets/ac-3/autoConfirm' } } });
    const list = (await planner.request('GET', '/rest/v1/targets?q=controllerId==ac-*&sort=controllerId:ASC', { auth: as.reader })).body as { content: Array<{ controllerId: string; autoConfirmActive: boolean }> };
    expect(list.content.map((t) => [t.controllerId, t.autoConfirmActive])).toEqual([['ac-1', false], ['ac-2', false], ['ac-3', true]]);
  });

  it('confirms at assignment an action that needs consent on an auto-confirming target, with hawkBit\'s message', async () => {
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'image', version: '9.0', type: 'os' }] });
    const [module] = modules.body as Array<{ id: string }>;
    const sets = await planner.request('POST', '/rest/v1/distributionsets', { auth: as.admin, body: [{ name: 'fw', version: '9.0', type: 'os', modules: [{ id: module.id }] }] });
    const [set] = sets.body as Array<{ id: string }>;
    const assigned = await planner.request('POST', `/rest/v1/distributionsets/${set.id}/assignedTargets`, { auth: updater, body: [{ id: 'ac-3', confirmationRequired: true }, { id: 'ac-2', confirmationRequired: true }] });
    expect(assigned.status).toBe(200);
    const [auto, waiting] = (assigned.body as { assignedActions: Array<{ id: number }> }).assignedActions.map((a) => a.id);
    expect((await planner.request('GET', `/rest/v1/targets/ac-3/actions/${auto}`, { auth: as.reader })).body).toMatchObject({ detailStatus: 'running' });
    expect((await planner.request('GET', `/rest/v1/targets/ac-2/actions/${waiting}`, { auth: as.reader })).body).toMatchObject({ detailStatus: 'wait_for_confirmation' });
    const history = (await planner.request('GET', `/rest/v1/targets/ac-3/actions/${auto}/status?sort=id:DESC`, { auth: as.reader })).body as { content: Array<{ type: string; messages: string[] }> };
    expect(history.content[0]).toMatchObject({
      type: 'running',
      messages: ["Assignment automatically confirmed by initiator 'acme'. \n\nAuto confirmation activated by system user: 'updater' \n\nRemark: n/a"],
    });
  });
});
