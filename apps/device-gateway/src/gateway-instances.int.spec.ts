import {
  configure, createDistributionSet, createTarget, gatewayToken, gatewayWorld, startGateway, startRollout, targetToken, type Gateway, type World,
} from '../test/gateway.harness';

const T = 'acme';
const GATEWAY_KEY = 'gw-key-0123456789abcdef';
const AT = 1_764_000_000_000;
const ddi = (controllerId: string, rest = ''): string => `/${T}/controller/v1/${controllerId}${rest}`;
const feedback = (execution: string, finished = 'none') => ({ id: 1, status: { execution, result: { finished } } });
const links = (answer: { body: unknown }): Record<string, { href: string }> => (answer.body as { _links: Record<string, { href: string }> })._links;
const FLEET = 60;
const device = (i: number): string => `fleet-${i}`;

describe('device-gateway: several instances, manual assignments, scheduler decisions, group commit', () => {
  let world: World;
  let a: Gateway;
  let b: Gateway;

  beforeAll(async () => {
    world = await gatewayWorld();
    await configure(world, T, {
      'authentication.targettoken.enabled': true, 'authentication.gatewaytoken.enabled': true, 'authentication.gatewaytoken.key': GATEWAY_KEY, 'target.autoregistration.enabled': true,
    });
    for (const id of ['dev-1', 'dev-2', 'dev-3']) await createTarget(world, T, id, `token${id.replace('-', '')}`);
    for (let i = 0; i < FLEET; i++) await createTarget(world, T, device(i), `fleet${i}`);
    await createDistributionSet(world, T, 'v3', { sha256: 'd'.repeat(64), sha1: 'e'.repeat(40), md5: 'f'.repeat(32), size: 10, fileName: 'app.bin' });
    [a, b] = await Promise.all([startGateway(world.db, world.names, world.store), startGateway(world.db, world.names, world.store)]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await world?.close();
  });

  it('every instance sees a manual assignment (action-created from the planner) and the feedback another instance recorded', async () => {
    await world.append(T, 'action-500', 'action', [['action-created', { actionId: '500', targetId: 'dev-1', distributionSetId: 'ds-v3', actionType: 'soft', weight: 800, maxAttempts: 1, status: 'SCHEDULED', at: AT }]]);
    await Promise.all([a.synced(), b.synced()]);
    const auth = targetToken('tokendev1');
    for (const gw of [a, b]) expect(links(await gw.request('GET', ddi('dev-1'), { auth })).deploymentBase.href).toContain('/deploymentBase/500');
    expect((await a.request('GET', ddi('dev-1', '/deploymentBase/500'), { auth })).body).toMatchObject({ deployment: { download: 'attempt', update: 'attempt' } });
    expect((await a.request('POST', ddi('dev-1', '/deploymentBase/500/feedback'), { auth, body: feedback('closed', 'success') })).status).toBe(200);
    await b.synced();
    const fromB = links(await b.request('GET', ddi('dev-1'), { auth }));
    expect(fromB.deploymentBase).toBeUndefined();
    expect(fromB.installedBase.href).toContain('/installedBase/500');
    expect((await b.request('POST', ddi('dev-1', '/deploymentBase/500/feedback'), { auth, body: feedback('proceeding') })).status).toBe(410);
  });

  it('two instances writing the same action at once both succeed, one after the other in the stream', async () => {
    await world.append(T, 'action-501', 'action', [['action-created', { actionId: '501', targetId: 'dev-2', distributionSetId: 'ds-v3', actionType: 'forced', weight: 1000, maxAttempts: 1, status: 'SCHEDULED', at: AT }]]);
    await Promise.all([a.synced(), b.synced()]);
    const auth = targetToken('tokendev2');
    const answers = await Promise.all([a, b, a, b].map((gw) => gw.request('POST', ddi('dev-2', '/deploymentBase/501/feedback'), { auth, body: feedback('proceeding') })));
    expect(answers.map((x) => x.status)).toEqual([200, 200, 200, 200]);
    const events = await world.stream(T, 'action-501');
    expect(events.map((e) => e.type)).toEqual(['action-created', ...Array(4).fill('action-feedback-received')]);
    expect(events.slice(1).map((e) => e.data.status)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
  });

  it('closes an action the scheduler timed out, and offers a failed attempt again while retries remain', async () => {
    await startRollout(world, T, 'r-retry', 'ds-v3', ['dev-3'], 600, { maxAttempts: 2 });
    await a.synced();
    const auth = targetToken('tokendev3');
    expect((await a.request('POST', ddi('dev-3', '/deploymentBase/600/feedback'), { auth, body: feedback('closed', 'failure') })).status).toBe(200);
    expect((await world.stream(T, 'action-600')).map((e) => e.type)).toEqual(['action-created', 'action-attempt-failed']);
    expect(links(await a.request('GET', ddi('dev-3'), { auth })).deploymentBase.href).toContain('/deploymentBase/600');
    expect((await a.request('GET', ddi('dev-3', '/deploymentBase/600'), { auth })).status).toBe(200);
    await world.append(T, 'action-600', 'action', [['action-timed-out', { from: 'RETRIEVED', lastProgressAt: AT, timeoutMs: 1000, at: Date.now() }]]);
    await Promise.all([a.synced(), b.synced()]);
    for (const gw of [a, b]) expect(links(await gw.request('GET', ddi('dev-3'), { auth })).deploymentBase).toBeUndefined();
    expect((await b.request('POST', ddi('dev-3', '/deploymentBase/600/feedback'), { auth, body: feedback('proceeding') })).status).toBe(410);
  });

  it('many devices\' feedback at once: every post answered after its own event committed (batching: group-committer.int.spec)', async () => {
    await startRollout(world, T, 'r-fleet', 'ds-v3', Array.from({ length: FLEET }, (_, i) => device(i)), 1000);
    await a.synced();
    const answers = await Promise.all(Array.from({ length: FLEET }, (_, i) => a.request('POST', ddi(device(i), `/deploymentBase/${1000 + i}/feedback`), { auth: targetToken(`fleet${i}`), body: feedback('download') })));
    expect(answers.every((x) => x.status === 200)).toBe(true);
    const { rows } = await world.pool.query(
      `SELECT count(*)::int AS events FROM events WHERE tenant = $1 AND stream_id LIKE 'action-1%' AND type LIKE '%action-feedback-received%'`,
      [T],
    );
    expect(rows[0].events).toBe(FLEET);
  });

  it('registers an unknown device on first contact when the tenant allows it (GatewayToken), never with a TargetToken', async () => {
    expect((await a.request('GET', ddi('newcomer'), { auth: targetToken('whatever') })).status).toBe(401);
    const first = await a.request('GET', ddi('newcomer'), { auth: gatewayToken(GATEWAY_KEY) });
    expect(first.status).toBe(200);
    const created = await world.stream(T, 'target-newcomer');
    expect(created.map((e) => e.type)).toEqual(['target-created']);
    expect(created[0].data.securityToken).toMatch(/^[A-Za-z0-9]{32}$/);
    await b.synced();
    expect((await b.request('GET', ddi('newcomer'), { auth: targetToken(String(created[0].data.securityToken)) })).status).toBe(200);
  });
});
