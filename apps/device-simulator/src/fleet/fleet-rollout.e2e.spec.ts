import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import { startDistributor, startGateway, startPlanner, startScheduler, type InProcessService } from '../../test/in-process-services';
import { BASE_PROFILE } from '../profiles/default-profiles';
import { startFleet, type FleetHandle } from './fleet';
import { generateFleet } from './fleet-generator';
import { registerFleet } from './register-fleet';

// The whole runtime flow, every step through a service's own API or the log as the services write it: the
// planner (targets, artifacts, rollout plan, start), the scheduler (groups started one after another), the
// gateway (DDI) and the distributor (downloads), with the simulated fleet as the devices.
jest.setTimeout(240_000);

const T = 'acme';
const ADMIN_PASSWORD = 'simulator-rollout-admin-1';
const LINK_SECRET = 'simulator-rollout-link-secret-0123456789';
const UPLOAD_TOKEN = 'simulator-rollout-upload-0123456789';
const basic = `Basic ${Buffer.from(`${T}\\admin:${ADMIN_PASSWORD}`).toString('base64')}`;

describe('a rollout planned through the Management API, run by the scheduler, installed by the simulated fleet', () => {
  let db: TestDatabase;
  let names: BusNames;
  let dir: string;
  const services: InProcessService[] = [];
  let plannerUrl: string;
  let fleet: FleetHandle | undefined;
  const devices = generateFleet({ count: 12, seed: 'rollout', prefix: 'ro', initialVersion: '1.0.0' });

  const rest = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = body === undefined ? { authorization: basic } : { authorization: basic, 'content-type': 'application/json' };
    const response = await fetch(`${plannerUrl}/rest/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };

  beforeAll(async () => {
    db = await createTestDatabase('rg_simrollout');
    names = testBusNames();
    dir = await mkdtemp(join(tmpdir(), 'rg-sim-rollout-'));
    const common = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names) };

    const distributor = await startDistributor({ ...common, ARTIFACTS_DIR: dir, ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN, ARTIFACTS_LINK_SECRET: LINK_SECRET });
    services.push(distributor);
    const planner = await startPlanner({
      ...common, ROLLGATE_ARTIFACTS_URL: distributor.url, ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN,
      ROLLGATE_BOOTSTRAP_TENANT: T, ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
    services.push(planner);
    plannerUrl = planner.url;
    services.push(await startScheduler(common));
    const gateway = await startGateway({ ...common, ARTIFACTS_LINK_SECRET: LINK_SECRET, ARTIFACTS_PUBLIC_URL: distributor.url.replace(/\/$/, '') });
    services.push(gateway);

    for (const [key, value] of [['minPollingTime', '00:00:01'], ['pollingTime', '00:00:01'], ['authentication.targettoken.enabled', true]] as const) {
      expect((await rest('PUT', `/system/configs/${key}`, { value })).status).toBe(200);
    }
    await registerFleet({ plannerUrl, tenant: T, username: 'admin', password: ADMIN_PASSWORD, devices });
    fleet = startFleet({
      gatewayUrl: gateway.url, tenant: T, devices, seed: 'rollout', auth: 'target-token', startSpreadMs: 200,
      profiles: { base: { ...BASE_PROFILE, installSuccessProbability: 1, downloadFailureProbability: 0, offlineShare: 0, installDurationMs: { min: 100, max: 300 }, latencyMs: { min: 0, max: 0 } } },
    });
  });

  afterAll(async () => {
    await fleet?.stop();
    for (const service of services.reverse()) await service.close();
    const nc = await connectTestNats();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('updates exactly the devices whose reported attributes match the filter, group after group, and the rollout finishes', async () => {
    // The filter is on an attribute only the devices themselves report (configData): wait until all have.
    await fleet!.waitFor((s) => s.configDataSent >= devices.length, 60_000);
    await eventually(async () => {
      const listed = await rest('GET', `/targets?limit=100&q=${encodeURIComponent('attribute.region==eu')}`);
      return listed.body.total === 4 ? true : undefined;
    }, 30_000);

    const module = await rest('POST', '/softwaremodules', [{ name: 'firmware', version: '2.0.0', type: 'os' }]);
    const moduleId = String((module.body as unknown as Array<{ id: unknown }>)[0].id);
    const form = new FormData();
    form.append('file', new Blob([randomBytes(200_000)]), 'image.swu');
    expect((await fetch(`${plannerUrl}/rest/v1/softwaremodules/${moduleId}/artifacts`, { method: 'POST', body: form, headers: { authorization: basic } })).status).toBe(201);
    const set = await rest('POST', '/distributionsets', [{ name: 'os', version: '2.0.0', type: 'os', modules: [{ id: moduleId }] }]);
    const distributionSetId = (set.body as unknown as Array<{ id: string | number }>)[0].id;

    const created = await rest('POST', '/rollouts', {
      name: 'eu-firmware', targetFilterQuery: 'attribute.region==eu', distributionSetId, amountGroups: 2,
      successCondition: { condition: 'THRESHOLD', expression: '100' }, successAction: { action: 'NEXTGROUP', expression: '' },
      errorCondition: { condition: 'THRESHOLD', expression: '50' }, errorAction: { action: 'PAUSE', expression: '' },
    });
    expect(created.status).toBe(201);
    const rolloutId = created.body.id;
    await eventually(async () => ((await rest('GET', `/rollouts/${rolloutId}`)).body.status === 'ready' ? true : undefined), 30_000);
    const started = await rest('POST', `/rollouts/${rolloutId}/start`);
    expect({ status: started.status, code: started.body?.code }).toEqual({ status: 200, code: undefined });

    const settled = await fleet!.waitForSettled(4, { timeoutMs: 120_000 });
    const eu = devices.filter((d) => d.region === 'eu').map((d) => d.controllerId).sort();
    expect(settled.map((s) => s.controllerId).sort()).toEqual(eu);
    expect(settled.every((s) => s.outcome === 'success' && s.version === 'os:2.0.0')).toBe(true);
    expect(fleet!.stats().byVersion).toEqual({ 'os:2.0.0': 4, '1.0.0': 8 });

    await eventually(async () => ((await rest('GET', `/rollouts/${rolloutId}`)).body.status === 'finished' ? true : undefined), 60_000);
    const groups = (await rest('GET', `/rollouts/${rolloutId}/deploygroups`)).body as { content: Array<{ status: string; totalTargets: number }> };
    expect(groups.content.map((g) => [g.status, g.totalTargets])).toEqual([['finished', 2], ['finished', 2]]);
    // The planner's read models follow the log: what each target has installed may land a moment later.
    for (const controllerId of eu) {
      const installed = await eventually(async () => {
        const answer = await rest('GET', `/targets/${controllerId}/installedDS`);
        return answer.status === 200 ? answer.body : undefined;
      }, 30_000);
      expect(installed).toMatchObject({ id: distributionSetId });
    }
    const untouched = devices.find((d) => d.region !== 'eu')!;
    expect((await rest('GET', `/targets/${untouched.controllerId}/installedDS`)).status).not.toBe(200);
  });
});
