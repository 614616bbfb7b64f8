import { createHmac } from 'node:crypto';
import { downloadLinkPayload } from '@rollgate/contracts';
import { connectTestNats, eventually } from '@rollgate/testing';
import {
  configure, createDistributionSet, createTarget, gatewayToken, gatewayWorld, startGateway, startRollout, targetToken, type ArtifactFixture, type Gateway, type World,
} from '../test/gateway.harness';

const T = 'acme';
const GATEWAY_KEY = 'gw-key-0123456789abcdef';
const LINK_SECRET = 'link-secret-0123456789abcdef0123456789';
const ARTIFACTS_URL = 'http://artifacts.example:8082';
const artifact: ArtifactFixture = { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 1000, fileName: 'image.swu', architecture: 'arm64' };
const ddi = (controllerId: string, rest = ''): string => `/${T}/controller/v1/${controllerId}${rest}`;
const feedback = (execution: string, finished = 'none', details: string[] = []) => ({ id: 'ignored', status: { execution, result: { finished }, details } });

describe('device-gateway DDI (real PostgreSQL, NATS and HTTP)', () => {
  let world: World;
  let gw: Gateway;
  let moduleId: string;

  beforeAll(async () => {
    world = await gatewayWorld();
    await configure(world, T, { 'authentication.targettoken.enabled': true, 'authentication.gatewaytoken.enabled': true, 'authentication.gatewaytoken.key': GATEWAY_KEY, pollingTime: '00:01:00' });
    for (const id of ['dev-1', 'dev-2', 'dev-3', 'dev-4']) await createTarget(world, T, id, `token${id.replace('-', '')}`);
    ({ moduleId } = await createDistributionSet(world, T, 'v2', artifact));
    await startRollout(world, T, 'r1', 'ds-v2', ['dev-1', 'dev-2'], 100);
    gw = await startGateway(world.db, world.names, world.store, { ARTIFACTS_LINK_SECRET: LINK_SECRET, ARTIFACTS_PUBLIC_URL: ARTIFACTS_URL, DDI_MAX_BODY_BYTES: '4096' });
  });

  afterAll(async () => {
    await gw?.close();
    await world?.close();
  });

  it('answers a poll from memory with the tenant polling time, the offered action and an ETag (304 when unchanged)', async () => {
    const poll = await gw.request('GET', ddi('dev-1'), { auth: targetToken('tokendev1') });
    expect(poll.status).toBe(200);
    const body = poll.body as { config: { polling: { sleep: string } }; _links: Record<string, { href: string }> };
    expect(body.config.polling.sleep).toBe('00:01:00');
    expect(body._links.deploymentBase.href).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+${ddi('dev-1')}/deploymentBase/100\\?c=-?\\d+$`));
    expect(body._links.configData.href).toMatch(/\/configData$/);
    const again = await gw.request('GET', ddi('dev-1'), { auth: targetToken('tokendev1'), headers: { 'if-none-match': poll.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    // No action stream exists yet: a poll writes nothing.
    expect(await world.stream(T, 'action-100')).toEqual([]);
  });

  it('runs an update: deploymentBase creates the action lazily, feedback is appended, a closed action answers 410', async () => {
    const deployment = await gw.request('GET', ddi('dev-1', '/deploymentBase/100?actionHistory=5'), { auth: targetToken('tokendev1') });
    expect(deployment.status).toBe(200);
    const body = deployment.body as { id: string; deployment: { download: string; update: string; chunks: Array<{ part: string; name: string; artifacts: Array<{ filename: string; size: number; hashes: object; _links: Record<string, { href: string }> }> }> } };
    expect(body.id).toBe('100');
    expect(body.deployment).toMatchObject({ download: 'forced', update: 'forced' });
    const [chunk] = body.deployment.chunks;
    expect(chunk).toMatchObject({ part: 'os', name: 'firmware-v2' });
    expect(chunk.artifacts[0]).toMatchObject({ filename: 'image.swu', size: 1000, hashes: { sha1: artifact.sha1, md5: artifact.md5, sha256: artifact.sha256 } });
    expect(chunk.artifacts[0]._links['download-http'].href).toContain(`${ARTIFACTS_URL}/artifacts/v1/${T}/${artifact.sha256}?expires=`);
    expect((await world.stream(T, 'action-100')).map((e) => e.type)).toEqual(['action-created', 'action-retrieved']);

    expect((await gw.request('POST', ddi('dev-1', '/deploymentBase/100/feedback'), { auth: targetToken('tokendev1'), body: { ...feedback('proceeding', 'none', ['downloading']), id: 100 } })).status).toBe(200);
    expect((await gw.request('POST', ddi('dev-1', '/deploymentBase/100/feedback'), { auth: targetToken('tokendev1'), body: feedback('closed', 'success', ['installed']) })).status).toBe(200);
    const events = await world.stream(T, 'action-100');
    expect(events.map((e) => e.type)).toEqual(['action-created', 'action-retrieved', 'action-feedback-received', 'action-feedback-received']);
    expect(events[0].data).toMatchObject({ targetId: 'dev-1', rolloutId: 'r1', groupId: 'r1-g0', distributionSetId: 'ds-v2', weight: 500 });
    expect(events[3].data).toMatchObject({ execution: 'closed', finished: 'success', status: 'FINISHED', details: ['installed'], from: 'RUNNING' });

    const late = await gw.request('POST', ddi('dev-1', '/deploymentBase/100/feedback'), { auth: targetToken('tokendev1'), body: feedback('proceeding') });
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ code: 'action_closed' });
    const poll = (await gw.request('GET', ddi('dev-1'), { auth: targetToken('tokendev1') })).body as { _links: Record<string, { href: string }> };
    expect(poll._links.deploymentBase).toBeUndefined();
    expect(poll._links.installedBase.href).toMatch(/\/installedBase\/100$/);
    const installed = await gw.request('GET', ddi('dev-1', '/installedBase/100'), { auth: targetToken('tokendev1') });
    expect(installed.status).toBe(200);
  });

  it('authenticates devices: TargetToken only for its own device, GatewayToken for any device of the tenant', async () => {
    expect((await gw.request('GET', ddi('dev-2'))).status).toBe(401);
    expect((await gw.request('GET', ddi('dev-2'), { auth: targetToken('wrong') })).status).toBe(401);
    const foreign = await gw.request('GET', ddi('dev-2'), { auth: targetToken('tokendev1') });
    expect(foreign.status).toBe(401);
    expect(foreign.body).toEqual({ code: 'credentials_invalid', message: 'invalid credentials' });
    expect((await gw.request('GET', ddi('dev-2'), { auth: gatewayToken('nope') })).status).toBe(401);
    expect((await gw.request('GET', ddi('dev-2'), { auth: gatewayToken(GATEWAY_KEY) })).status).toBe(200);
    expect((await gw.request('GET', `/other/controller/v1/dev-2`, { auth: gatewayToken(GATEWAY_KEY) })).status).toBe(401);
    expect((await gw.request('GET', ddi('nobody'), { auth: gatewayToken(GATEWAY_KEY) })).status).toBe(404);
  });

  it("never shows a device another device's actions or artifacts", async () => {
    const auth = targetToken('tokendev3');
    expect((await gw.request('GET', ddi('dev-3', '/deploymentBase/101'), { auth })).status).toBe(404);
    expect((await gw.request('POST', ddi('dev-3', '/deploymentBase/101/feedback'), { auth, body: feedback('proceeding') })).status).toBe(404);
    expect((await gw.request('GET', ddi('dev-3', '/cancelAction/101'), { auth })).status).toBe(404);
    expect((await gw.request('GET', ddi('dev-3', `/softwaremodules/${moduleId}/artifacts/image.swu`), { auth })).status).toBe(404);
    expect((await gw.request('GET', ddi('dev-3', `/softwaremodules/${moduleId}/artifacts`), { auth })).status).toBe(404);
    expect(await world.stream(T, 'action-101')).toEqual([]);
  });

  it('hands a device a signed link to the distributor for an artifact of its own open action', async () => {
    const download = await gw.request('GET', ddi('dev-2', `/softwaremodules/${moduleId}/artifacts/image.swu`), { auth: targetToken('tokendev2') });
    expect(download.status).toBe(302);
    const location = new URL(download.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${ARTIFACTS_URL}/artifacts/v1/${T}/${artifact.sha256}`);
    const expires = Number(location.searchParams.get('expires'));
    expect(location.searchParams.get('signature')).toBe(createHmac('sha256', LINK_SECRET).update(downloadLinkPayload(T, artifact.sha256, expires)).digest('hex'));
    const md5 = await gw.request('GET', ddi('dev-2', `/softwaremodules/${moduleId}/artifacts/image.swu.MD5SUM`), { auth: targetToken('tokendev2') });
    expect(new URL(md5.headers.get('location') ?? '').pathname).toBe(`/artifacts/v1/${T}/${artifact.sha256}.MD5SUM`);
  });

  it('refuses bad input with clear 4xx codes', async () => {
    const auth = targetToken('tokendev2');
    const malformed = await gw.request('POST', ddi('dev-2', '/deploymentBase/101/feedback'), { auth, rawBody: '{"status": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'malformed_json' });
    expect((malformed.body as { message: string }).message).toMatch(/malformed JSON: /);
    const unknownExecution = await gw.request('POST', ddi('dev-2', '/deploymentBase/101/feedback'), { auth, body: feedback('exploded') });
    expect(unknownExecution.status).toBe(400);
    expect(unknownExecution.body).toMatchObject({ code: 'invalid_feedback' });
    const noStatus = await gw.request('POST', ddi('dev-2', '/deploymentBase/101/feedback'), { auth, body: { id: 1 } });
    expect(noStatus.status).toBe(400);
    expect(noStatus.body).toMatchObject({ code: 'feedback_invalid' });
    expect((await gw.request('POST', ddi('dev-2', '/deploymentBase/999/feedback'), { auth, body: feedback('proceeding') })).status).toBe(404);
    expect((await gw.request('GET', ddi('dev-2', '/deploymentBase/abc'), { auth })).status).toBe(404);
    const huge = await gw.request('PUT', ddi('dev-2', '/configData'), { auth, body: { data: { blob: 'x'.repeat(10_000) } } });
    expect(huge.status).toBe(413);
    const badMode = await gw.request('PUT', ddi('dev-2', '/configData'), { auth, body: { mode: 'shred', data: { a: '1' } } });
    expect(badMode.status).toBe(400);
    // None of it wrote anything for the action.
    expect(await world.stream(T, 'action-101')).toEqual([]);
  });

  it('records configData as target attributes (merge by default, then remove)', async () => {
    const auth = targetToken('tokendev4');
    expect((await gw.request('PUT', ddi('dev-4', '/configData'), { auth, body: { data: { hwRevision: '2', region: 'eu' }, time: '20261122T025257', status: { execution: 'closed' } } })).status).toBe(200);
    expect((await gw.request('PUT', ddi('dev-4', '/configData'), { auth, body: { mode: 'remove', data: { region: '' } } })).status).toBe(200);
    expect(await world.stream(T, 'target-dev-4')).toEqual([
      expect.objectContaining({ type: 'target-created' }),
      { type: 'target-attributes-updated', data: expect.objectContaining({ mode: 'merge', data: { hwRevision: '2', region: 'eu' } }) },
      { type: 'target-attributes-updated', data: expect.objectContaining({ mode: 'remove', data: { region: '' } }) },
    ]);
    const poll = (await gw.request('GET', ddi('dev-4'), { auth })).body as { _links: Record<string, unknown> };
    expect(poll._links.configData).toBeUndefined();
  });

  it('offers the cancel of a stopped rollout to a device that retrieved its action, and records the cancel feedback', async () => {
    const auth = targetToken('tokendev2');
    expect((await gw.request('GET', ddi('dev-2', '/deploymentBase/101'), { auth })).status).toBe(200);
    await world.append(T, 'rollout-r1', 'rollout', [['rollout-stopping', { reason: 'manual', by: 'ops', at: Date.now() }]]);
    await gw.synced();
    const poll = (await gw.request('GET', ddi('dev-2'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(poll._links.deploymentBase).toBeUndefined();
    expect(poll._links.cancelAction.href).toMatch(/\/cancelAction\/101$/);
    const cancel = await gw.request('GET', ddi('dev-2', '/cancelAction/101'), { auth });
    expect(cancel.body).toEqual({ id: '101', cancelAction: { stopId: '101' } });
    expect((await gw.request('POST', ddi('dev-2', '/cancelAction/101/feedback'), { auth, body: feedback('canceled') })).status).toBe(200);
    expect((await world.stream(T, 'action-101')).map((e) => e.type)).toEqual(['action-created', 'action-retrieved', 'action-cancel-requested', 'action-canceled']);
    const after = (await gw.request('GET', ddi('dev-2'), { auth })).body as { _links: Record<string, unknown> };
    expect(after._links.cancelAction).toBeUndefined();
    // dev-1's action 100 had finished; an untouched action of the stopped rollout is gone without a trace.
    await createTarget(world, T, 'dev-6', 'tokendev6');
    await startRollout(world, T, 'r4', 'ds-v2', ['dev-6'], 400);
    await world.append(T, 'rollout-r4', 'rollout', [['rollout-stopping', { reason: 'emergency', at: Date.now() }]]);
    await gw.synced();
    const auth6 = targetToken('tokendev6');
    expect((await gw.request('GET', ddi('dev-6'), { auth: auth6 })).body).toMatchObject({ _links: { configData: expect.anything() } });
    expect(((await gw.request('GET', ddi('dev-6'), { auth: auth6 })).body as { _links: object })._links).not.toHaveProperty('deploymentBase');
    expect((await gw.request('GET', ddi('dev-6', '/deploymentBase/400'), { auth: auth6 })).status).toBe(410);
    expect((await gw.request('POST', ddi('dev-6', '/deploymentBase/400/feedback'), { auth: auth6, body: feedback('proceeding') })).status).toBe(410);
    expect(await world.stream(T, 'action-400')).toEqual([]);
  });

  it('rejects an action whose pre-deploy check fails (architecture) without counting it as an error', async () => {
    const auth = targetToken('tokendev3');
    await gw.request('PUT', ddi('dev-3', '/configData'), { auth, body: { data: { architecture: 'x86_64' } } });
    await startRollout(world, T, 'r2', 'ds-v2', ['dev-3'], 200);
    await gw.synced();
    const offered = (await gw.request('GET', ddi('dev-3'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(offered._links.deploymentBase.href).toContain('/deploymentBase/200');
    const refused = await gw.request('GET', ddi('dev-3', '/deploymentBase/200'), { auth });
    expect(refused.status).toBe(410);
    expect(refused.body).toMatchObject({ code: 'action_rejected' });
    const events = await world.stream(T, 'action-200');
    expect(events.map((e) => e.type)).toEqual(['action-created', 'action-rejected']);
    expect(events[1].data).toMatchObject({ check: 'architecture', details: [expect.stringContaining('x86_64')] });
  });

  it('publishes telemetry samples to the telemetry stream, never to the log', async () => {
    const nc = await connectTestNats();
    const subscription = nc.subscribe(`${world.names.subjectRoot}.tel.${T}.dev-4`, { max: 2 });
    const received: unknown[] = [];
    const done = (async () => {
      for await (const message of subscription) received.push(message.json());
    })();
    const auth = targetToken('tokendev4');
    const answer = await gw.request('POST', ddi('dev-4', '/health'), { auth, body: { samples: [{ at: 1, errorRate: 0.01, cpuPct: 20 }, { at: 2, restarts: 1 }] } });
    expect(answer.status).toBe(202);
    await done;
    await nc.close();
    expect(received).toEqual([{ at: 1, errorRate: 0.01, cpuPct: 20, tenant: T, controllerId: 'dev-4' }, { at: 2, restarts: 1, tenant: T, controllerId: 'dev-4' }]);
    const bad = await gw.request('POST', ddi('dev-4', '/health'), { auth, body: { at: 1, errorRate: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'telemetry_invalid' });
  });

  it('limits each device to its rate (429 with Retry-After) while other devices go on', async () => {
    const limited = await startGateway(world.db, world.names, world.store, { DDI_RATE_LIMIT_PER_SECOND: '1', DDI_RATE_LIMIT_BURST: '3' });
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, () => limited.request('GET', ddi('dev-4'), { auth: targetToken('tokendev4') })));
      const refused = answers.filter((a) => a.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(2);
      expect(Number(refused[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await limited.request('GET', ddi('dev-3'), { auth: targetToken('tokendev3') })).status).toBe(200);
      // A storm of unauthenticated requests for dev-3 does not spend dev-3's budget.
      await Promise.all(Array.from({ length: 20 }, () => limited.request('GET', ddi('dev-3'), { auth: targetToken('bad') })));
      expect((await limited.request('GET', ddi('dev-3'), { auth: targetToken('tokendev3') })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('asks for consent first when the tenant runs the confirmation flow; a denial keeps the action waiting', async () => {
    await configure(world, T, { 'user.confirmation.flow.enabled': true });
    await createTarget(world, T, 'dev-5', 'tokendev5');
    await startRollout(world, T, 'r3', 'ds-v2', ['dev-5'], 300);
    await gw.synced();
    const auth = targetToken('tokendev5');
    const poll = (await gw.request('GET', ddi('dev-5'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(poll._links.deploymentBase).toBeUndefined();
    expect(poll._links.confirmationBase.href).toContain('/confirmationBase/300');
    expect((await gw.request('GET', ddi('dev-5', '/confirmationBase'), { auth })).body).toMatchObject({ autoConfirm: { active: false }, _links: { confirmationBase: { href: expect.stringContaining('/confirmationBase/300') } } });
    expect((await gw.request('GET', ddi('dev-5', '/confirmationBase/300'), { auth })).body).toMatchObject({ id: '300', confirmation: { download: 'forced', update: 'forced' } });
    expect((await gw.request('POST', ddi('dev-5', '/confirmationBase/300/feedback'), { auth, body: { confirmation: 'Denied', details: ['not now'] } })).status).toBe(200);
    expect((await gw.request('POST', ddi('dev-5', '/confirmationBase/300/feedback'), { auth, body: { confirmation: 'Confirmed' } })).status).toBe(200);
    expect((await world.stream(T, 'action-300')).map((e) => [e.type, e.data.status ?? null])).toEqual([
      ['action-created', 'WAIT_FOR_CONFIRMATION'], ['action-confirmation-denied', null], ['action-confirmed', null],
    ]);
    const after = (await gw.request('GET', ddi('dev-5'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(after._links.deploymentBase.href).toContain('/deploymentBase/300');
    await configure(world, T, { 'user.confirmation.flow.enabled': false });
  });

  it("auto-confirms as hawkBit: the device switches it on, its waiting action is confirmed and offered, later ones are confirmed at once, and switching it off brings consent back", async () => {
    await configure(world, T, { 'user.confirmation.flow.enabled': true });
    await createTarget(world, T, 'dev-8', 'tokendev8');
    await startRollout(world, T, 'ac1', 'ds-v2', ['dev-8'], 800);
    await gw.synced();
    const auth = targetToken('tokendev8');
    // The device's user says no: the action's stream exists and waits for consent.
    expect((await gw.request('POST', ddi('dev-8', '/confirmationBase/800/feedback'), { auth, body: { confirmation: 'Denied' } })).status).toBe(200);
    const before = await gw.request('GET', ddi('dev-8', '/confirmationBase'), { auth });
    expect(before.body).toEqual({
      autoConfirm: { active: false },
      _links: { activateAutoConfirm: { href: expect.stringMatching(/\/confirmationBase\/activateAutoConfirm$/) }, confirmationBase: { href: expect.stringMatching(/\/confirmationBase\/800$/) } },
    });

    const bad = await gw.request('POST', ddi('dev-8', '/confirmationBase/activateAutoConfirm'), { auth, body: { initiator: 7 } });
    expect(bad.status).toBe(400);
    const tooLong = await gw.request('POST', ddi('dev-8', '/confirmationBase/activateAutoConfirm'), { auth, body: { remark: 'r'.repeat(256) } });
    expect(tooLong).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect((await gw.request('POST', ddi('dev-8', '/confirmationBase/activateAutoConfirm'), { auth, body: { initiator: 'user-on-device', remark: 'trusted' } })).status).toBe(200);
    const again = await gw.request('POST', ddi('dev-8', '/confirmationBase/activateAutoConfirm'), { auth, body: {} });
    expect(again).toMatchObject({ status: 409, body: { code: 'auto_confirm_already_active' } });
    expect((await world.stream(T, 'target-dev-8')).map((e) => [e.type, e.data.by ?? null])).toEqual([['target-created', 'admin'], ['target-auto-confirm-activated', 'device:dev-8']]);

    const message = "Assignment automatically confirmed by initiator 'user-on-device'. \n\nAuto confirmation activated by system user: 'device:dev-8' \n\nRemark: trusted";
    await eventually(async () => {
      const events = await world.stream(T, 'action-800');
      return events.at(-1)?.type === 'action-confirmed' ? events : undefined;
    }, 10_000, 50);
    expect((await world.stream(T, 'action-800')).map((e) => e.type)).toEqual(['action-created', 'action-confirmation-denied', 'action-confirmed']);
    expect((await world.stream(T, 'action-800'))[2].data).toMatchObject({ details: [message], auto: { initiator: 'user-on-device', activatedBy: 'device:dev-8' } });
    const state = (await gw.request('GET', ddi('dev-8', '/confirmationBase'), { auth })).body as { autoConfirm: Record<string, unknown>; _links: Record<string, unknown> };
    expect(state.autoConfirm).toEqual({ active: true, initiator: 'user-on-device', remark: 'trusted', activatedAt: expect.any(Number) });
    expect(Object.keys(state._links)).toEqual(['deactivateAutoConfirm']);
    const poll = (await gw.request('GET', ddi('dev-8'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(poll._links.confirmationBase).toBeUndefined();
    expect(poll._links.deploymentBase.href).toContain('/deploymentBase/800');
    expect((await gw.request('GET', ddi('dev-8', '/deploymentBase/800'), { auth })).status).toBe(200);
    expect((await gw.request('POST', ddi('dev-8', '/deploymentBase/800/feedback'), { auth, body: feedback('closed', 'success') })).status).toBe(200);

    // A rollout action that arrives while it is on: offered for deployment at once, created and confirmed in one append.
    await startRollout(world, T, 'ac2', 'ds-v2', ['dev-8'], 900);
    await gw.synced();
    const next = (await gw.request('GET', ddi('dev-8'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(next._links.deploymentBase.href).toContain('/deploymentBase/900');
    expect((await gw.request('GET', ddi('dev-8', '/deploymentBase/900'), { auth })).status).toBe(200);
    expect((await world.stream(T, 'action-900')).map((e) => [e.type, e.data.status ?? null])).toEqual([['action-created', 'WAIT_FOR_CONFIRMATION'], ['action-confirmed', null]]);
    expect((await gw.request('POST', ddi('dev-8', '/deploymentBase/900/feedback'), { auth, body: feedback('closed', 'success') })).status).toBe(200);

    // Off again (a second time changes nothing): the next action asks for consent.
    expect((await gw.request('POST', ddi('dev-8', '/confirmationBase/deactivateAutoConfirm'), { auth })).status).toBe(200);
    expect((await gw.request('POST', ddi('dev-8', '/confirmationBase/deactivateAutoConfirm'), { auth })).status).toBe(200);
    expect((await world.stream(T, 'target-dev-8')).map((e) => e.type)).toEqual(['target-created', 'target-auto-confirm-activated', 'target-auto-confirm-deactivated']);
    await startRollout(world, T, 'ac3', 'ds-v2', ['dev-8'], 1000);
    await gw.synced();
    const off = (await gw.request('GET', ddi('dev-8'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(off._links.deploymentBase).toBeUndefined();
    expect(off._links.confirmationBase.href).toContain('/confirmationBase/1000');
    expect((await gw.request('GET', ddi('dev-8', '/confirmationBase'), { auth })).body).toMatchObject({ autoConfirm: { active: false }, _links: { activateAutoConfirm: expect.anything() } });

    // Without a body hawkBit records its fallback remark.
    expect((await gw.request('POST', ddi('dev-8', '/confirmationBase/activateAutoConfirm'), { auth })).status).toBe(200);
    expect((await world.stream(T, 'target-dev-8')).at(-1)?.data).toMatchObject({ initiator: null, remark: 'Initiated using the Device Direct Integration API without providing a remark.' });
    const on = (await gw.request('GET', ddi('dev-8'), { auth })).body as { _links: Record<string, { href: string }> };
    expect(on._links.deploymentBase.href).toContain('/deploymentBase/1000');
    await configure(world, T, { 'user.confirmation.flow.enabled': false });
  });

  it('confirms waiting actions when an operator activates auto-confirmation, once, however many gateways follow the log', async () => {
    await configure(world, T, { 'user.confirmation.flow.enabled': true });
    await createTarget(world, T, 'dev-9', 'tokendev9');
    await startRollout(world, T, 'ac4', 'ds-v2', ['dev-9'], 1100);
    await gw.synced();
    const auth = targetToken('tokendev9');
    expect((await gw.request('POST', ddi('dev-9', '/confirmationBase/1100/feedback'), { auth, body: { confirmation: 'Denied' } })).status).toBe(200);
    const second = await startGateway(world.db, world.names, world.store);
    try {
      // As the planner appends it for POST /rest/v1/targets/dev-9/autoConfirm/activate.
      await world.append(T, 'target-dev-9', 'target', [['target-auto-confirm-activated', { initiator: 'ops-bot', remark: null, by: 'admin', at: 1_764_000_000_000 }]]);
      await eventually(async () => ((await world.stream(T, 'action-1100')).at(-1)?.type === 'action-confirmed' ? true : undefined), 10_000, 50);
      await gw.synced();
      await second.synced();
      // Both instances reacted; the append at the action's version let one win, and the other found nothing left.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await world.stream(T, 'action-1100')).map((e) => e.type)).toEqual(['action-created', 'action-confirmation-denied', 'action-confirmed']);
      expect((await world.stream(T, 'action-1100'))[2].data.details).toEqual(["Assignment automatically confirmed by initiator 'ops-bot'. \n\nAuto confirmation activated by system user: 'admin' \n\nRemark: n/a"]);
      for (const instance of [gw, second]) {
        const poll = (await instance.request('GET', ddi('dev-9'), { auth })).body as { _links: Record<string, { href: string }> };
        expect(poll._links.deploymentBase.href).toContain('/deploymentBase/1100');
      }
    } finally {
      await second.close();
      await configure(world, T, { 'user.confirmation.flow.enabled': false });
    }
  });

  it('a storm of bad requests does not hold up a good device', async () => {
    const storm = Promise.all(Array.from({ length: 400 }, (_, i) => gw.request(i % 2 ? 'GET' : 'POST', ddi(i % 3 ? 'dev-1' : 'ghost', i % 2 ? '' : '/deploymentBase/100/feedback'), {
      auth: i % 4 ? targetToken('forged') : undefined, rawBody: i % 2 ? undefined : '{not json',
    })));
    const started = Date.now();
    const good = await gw.request('GET', ddi('dev-4'), { auth: targetToken('tokendev4') });
    // The good device's own wait, not the storm's: on a busy machine the 400 answers themselves take a while.
    const goodWaitedMs = Date.now() - started;
    const answers = await storm;
    expect(good.status).toBe(200);
    expect(goodWaitedMs).toBeLessThan(5_000);
    expect(answers.every((a) => a.status === 401 || a.status === 404)).toBe(true);
    expect((await gw.request('GET', ddi('dev-1'), { auth: targetToken('tokendev1') })).status).toBe(200);
  });

  it('writes last-seen times in batches, not per poll', async () => {
    await eventually(async () => {
      const { rows } = await world.pool.query(`SELECT controller_id FROM device_last_seen WHERE tenant = $1 ORDER BY controller_id`, [T]);
      return rows.length >= 4 ? rows : undefined;
    }, 15_000, 200);
  });
});
