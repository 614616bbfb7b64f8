import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { eventType, type BusNames, type TelemetrySample } from '@rollgate/contracts';
import type * as EventStoreModule from '@rollgate/event-store';
import type * as KitModule from '@rollgate/service-kit';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, serviceBusEnv, testBusNames, testPool, type TestDatabase } from '@rollgate/testing';
import type { NatsConnection } from '@nats-io/nats-core';
import type * as DistributorApp from '../../../artifact-distributor/src/app.module';
import type * as DistributorConfig from '../../../artifact-distributor/src/config';
import type * as GatewayApp from '../../../device-gateway/src/app.module';
import type * as GatewayConfig from '../../../device-gateway/src/config';
import type * as PlannerApp from '../../../rollout-planner/src/app.module';
import type * as PlannerConfig from '../../../rollout-planner/src/config';
import { loadBuilt } from '../../test/built-workspace';
import { planDeployment } from '../deployment/deployment-plan';
import { BASE_PROFILE } from '../profiles/default-profiles';
import { ProfileResolver, type FleetProfiles } from '../profiles/device-profile';
import { decisionRandom } from './device-session';
import { startFleet, type FleetHandle } from './fleet';
import { generateFleet, type DeviceSpec } from './fleet-generator';
import { registerFleet } from './register-fleet';

// Three real services in this process (the compiled tree), on one fresh database and one set of bus names:
// the planner (Management API: targets, tenant config, modules, artifact uploads, distribution sets), the
// distributor (artifact bytes, signed downloads) and the gateway (DDI). The simulated fleet talks to them over
// real HTTP. Rollouts are appended as the planner creates and the scheduler starts them (docs/event-flow.md):
// this file proves the device side; fleet-rollout.e2e.spec.ts runs the scheduler too.
const kit = loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts');
const { EventStore, EVENT_STORE_MIGRATIONS, runMigrations } = loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts');

jest.setTimeout(180_000);

const T = 'acme';
const ADMIN_PASSWORD = 'simulator-admin-password-1';
const LINK_SECRET = 'simulator-link-secret-0123456789abcdef';
const UPLOAD_TOKEN = 'simulator-upload-token-0123456789';
const GATEWAY_KEY = 'simulator-gateway-key-0123456789';
const hex = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');
const basic = `Basic ${Buffer.from(`${T}\\admin:${ADMIN_PASSWORD}`).toString('base64')}`;

/**
 * Sensor hubs always fail to install and refuse consent, the other types succeed with probability 0.6 (which
 * ones is the seed's business), cameras crash-loop on 2.0.0, transfers in apac are always cut once and resumed,
 * nobody goes offline or refuses a cancel.
 */
const PROFILES: FleetProfiles = {
  base: {
    ...BASE_PROFILE, installSuccessProbability: 0.6, downloadFailureProbability: 0, interruptedDownloadProbability: 0, offlineShare: 0,
    installDurationMs: { min: 200, max: 400 }, installSteps: 2, latencyMs: { min: 0, max: 0 }, cancelRejectProbability: 0, confirmProbability: 1,
  },
  deviceTypes: { 'sensor-hub': { installSuccessProbability: 0, confirmProbability: 0 }, kiosk: { installSuccessProbability: 1 } },
  regions: { apac: { interruptedDownloadProbability: 1 } },
  // About 2 restarts per sample every 300 ms: a camera falls back some 9 s after its update.
  builds: [{ version: '2.0.0', deviceType: 'camera', overrides: { crashLoopProbability: 1, memoryLeakMbPerHour: 1_000, fallbackAfterRestarts: 60 } }],
};

describe('a simulated fleet against the real device-gateway, planner and distributor', () => {
  let db: TestDatabase;
  let names: BusNames;
  let pool: Pool;
  let store: InstanceType<typeof EventStore>;
  let nc: NatsConnection;
  let dir: string;
  const services: Array<{ close(): Promise<void> }> = [];
  let plannerUrl: string;
  let gatewayUrl: string;
  let distributorUrl: string;
  let fleet: FleetHandle | undefined;
  let spare: FleetHandle | undefined;
  let slow: FleetHandle | undefined;
  const devices: DeviceSpec[] = generateFleet({ count: 25, seed: 'e2e', prefix: 'e2e', initialVersion: '1.0.0' });
  const updated = devices.slice(0, 20);
  const spares = devices.slice(20, 24);
  const straggler = devices[24];
  const image = randomBytes(400_000);
  const telemetry: TelemetrySample[] = [];

  const rest = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${plannerUrl}/rest/v1${path}`, { method, headers: { authorization: basic, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  /** Appends as another service would: load the version, append, retry when a device's feedback got in between. */
  const append = async (streamId: string, aggregate: string, events: Array<[string, object]>) => {
    for (let attempt = 1; ; attempt++) {
      const version = await store.streamVersion(T, streamId);
      try {
        await store.append(T, streamId, version, events.map(([name, data]) => ({ type: eventType(aggregate, name), data, metadata: { source: 'rollgate/test' } })));
        return;
      } catch (error) {
        if ((error as Error).name !== 'ConcurrencyError' || attempt >= 5) throw error;
      }
    }
  };
  const actionEvents = async (actionId: number) => (await store.readStream(T, `action-${actionId}`)).map((e) => ({ type: e.type.split('.')[3], data: e.data as Record<string, unknown> }));

  /** A distribution set of one module (version `version`) carrying the uploaded image. */
  const distributionSet = async (version: string): Promise<string> => {
    const module = await rest('POST', '/softwaremodules', [{ name: 'firmware', version, type: 'os' }]);
    expect(module.status).toBe(201);
    const moduleId = String((module.body as Array<{ id: unknown }>)[0].id);
    // Uploaded through the planner, which streams it to the distributor and records it on the module.
    const form = new FormData();
    form.append('file', new Blob([image]), 'image.swu');
    const uploaded = await fetch(`${plannerUrl}/rest/v1/softwaremodules/${moduleId}/artifacts`, { method: 'POST', body: form, headers: { authorization: basic } });
    expect(uploaded.status).toBe(201);
    expect(await uploaded.json()).toMatchObject({ hashes: { sha256: hex('sha256', image), md5: hex('md5', image) }, size: image.length });
    const set = await rest('POST', '/distributionsets', [{ name: 'os', version, type: 'os', modules: [{ id: moduleId }] }]);
    expect(set.status).toBe(201);
    return String((set.body as Array<{ id: unknown }>)[0].id);
  };

  /** A one-group rollout as the planner creates it and the scheduler starts it (docs/event-flow.md). */
  const startRollout = async (rolloutId: string, distributionSetId: string, members: string[], firstActionId: number, execution: Record<string, unknown> = {}) => {
    const groupId = `${rolloutId}-g0`;
    const at = Date.now();
    await append(`rollout-${rolloutId}`, 'rollout', [
      ['rollout-created', {
        rolloutId, name: rolloutId, description: '', targetFilterQuery: 'id==e2e-*', distributionSetId, plan: { hash: 'h', seed: 's', groups: [{ groupId, name: 'g0', size: members.length }] },
        actionType: 'forced', weight: 1000, execution: { strategy: 'groups', soakMs: [], maxAttempts: 1, offlinePolicy: 'skip_and_queue', ...execution },
        approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: false }, approvalRequired: false, createdBy: 'admin', at,
      }],
    ]);
    await append(`rolloutgroup-${groupId}`, 'rollout', [
      ['group-created', { groupId, rolloutId, index: 0, name: 'g0', conditions: {}, at }],
      ['group-members-added', { chunk: 0, targetIds: members, at }],
      ['group-ready', { size: members.length, firstActionId, at }],
      ['group-scheduled', { at }],
      ['group-started', { size: members.length, at }],
    ]);
  };

  beforeAll(async () => {
    db = await createTestDatabase('rg_simfleet');
    await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
    names = testBusNames();
    pool = testPool(db.url);
    store = new EventStore(pool);
    nc = await connectTestNats();
    dir = await mkdtemp(join(tmpdir(), 'rg-sim-fleet-'));
    const common = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names) };

    const distributorEnv = { ...common, ARTIFACTS_DIR: dir, ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN, ARTIFACTS_LINK_SECRET: LINK_SECRET };
    const { AppModule: Distributor } = loadBuilt<typeof DistributorApp>('apps/artifact-distributor/src/app.module.ts');
    const { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig } = loadBuilt<typeof DistributorConfig>('apps/artifact-distributor/src/config.ts');
    const distributor = await kit.createService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: Distributor.forRoot(loadArtifactsConfig(distributorEnv)), env: distributorEnv });
    services.push(distributor);
    distributorUrl = distributor.url;

    const plannerEnv = { ...common, ROLLGATE_ARTIFACTS_URL: distributorUrl, ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN, ROLLGATE_BOOTSTRAP_TENANT: T, ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD };
    const { AppModule: Planner } = loadBuilt<typeof PlannerApp>('apps/rollout-planner/src/app.module.ts');
    const { ROLLOUT_PLANNER_DEFAULTS } = loadBuilt<typeof PlannerConfig>('apps/rollout-planner/src/config.ts');
    const planner = await kit.createService({ defaults: ROLLOUT_PLANNER_DEFAULTS, module: Planner.forRoot(plannerEnv), env: plannerEnv });
    services.push(planner);
    plannerUrl = planner.url;

    const gatewayEnv = { ...common, ARTIFACTS_LINK_SECRET: LINK_SECRET, ARTIFACTS_PUBLIC_URL: distributorUrl.replace(/\/$/, ''), DDI_LAST_SEEN_FLUSH_MS: '200' };
    const { AppModule: Gateway, DEVICE_GATEWAY_MIGRATIONS } = loadBuilt<typeof GatewayApp>('apps/device-gateway/src/app.module.ts');
    const { DEVICE_GATEWAY_DEFAULTS } = loadBuilt<typeof GatewayConfig>('apps/device-gateway/src/config.ts');
    const gateway = await kit.createService({ defaults: DEVICE_GATEWAY_DEFAULTS, module: Gateway.forRoot(gatewayEnv), migrations: DEVICE_GATEWAY_MIGRATIONS, env: gatewayEnv });
    services.push(gateway);
    gatewayUrl = gateway.url;

    for (const [key, value] of [
      ['minPollingTime', '00:00:01'], ['pollingTime', '00:00:01'], ['authentication.targettoken.enabled', true],
      ['authentication.gatewaytoken.enabled', true], ['authentication.gatewaytoken.key', GATEWAY_KEY],
    ] as const) {
      expect((await rest('PUT', `/system/configs/${key}`, { value })).status).toBe(200);
    }

    const subscription = nc.subscribe(`${names.subjectRoot}.tel.${T}.>`);
    void (async () => {
      for await (const message of subscription) telemetry.push(message.json<TelemetrySample>());
    })();
  });

  afterAll(async () => {
    await fleet?.stop();
    await spare?.stop();
    await slow?.stop();
    for (const service of services.reverse()) await service.close();
    await pool?.end();
    await deleteTestStreams(nc, names);
    await nc?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers the fleet through the Management API with a token per device', async () => {
    expect(await registerFleet({ plannerUrl, tenant: T, username: 'admin', password: ADMIN_PASSWORD, devices, chunkSize: 10 })).toEqual({ created: 25 });
    const listed = await rest('GET', '/targets?limit=100&q=id==e2e-*');
    expect((listed.body as { total: number }).total).toBe(25);
  });

  it('polls with TargetTokens at the server’s pace and reports device type, region, architecture and disk as attributes', async () => {
    fleet = startFleet({ gatewayUrl, tenant: T, devices: updated, profiles: PROFILES, seed: 'e2e', auth: 'target-token', startSpreadMs: 200, telemetryIntervalMs: 300 });
    const stats = await fleet.waitFor((s) => s.configDataSent >= 20 && s.polls >= 60, 30_000);
    expect(stats.httpStatus['401']).toBeUndefined();
    expect(stats.byStatus.idle).toBe(20);
    const [first] = updated;
    const attributes = await eventually(async () => {
      const answer = await rest('GET', `/targets/${first.controllerId}/attributes`);
      return Object.keys(answer.body as object).length > 0 ? answer.body : undefined;
    });
    expect(attributes).toEqual({ deviceType: first.deviceType, region: first.region, architecture: first.architecture, freeDiskMb: String(first.freeDiskMb), free_disk_bytes: String(first.freeDiskMb * 1024 * 1024), runningVersion: '1.0.0' });
    // 20 devices for over a second at a 1 s sleep: about one poll per device per second, not a storm.
    const rate = stats.polls / (stats.uptimeMs / 1000) / 20;
    expect(rate).toBeLessThan(3);
  });

  /** What the seed says a device does with action `actionId` of build `version`, computed without any network. */
  const predictedSuccess = (device: DeviceSpec, actionId: number, version: string) =>
    planDeployment({ download: 'forced', update: 'forced' }, new ProfileResolver(PROFILES).profileFor(device.deviceType, device.region, version), decisionRandom('e2e', device.controllerId, 'deployment', String(actionId))).installSucceeds;

  it('runs a rollout action: Range downloads verified, installs reported step by step, outcomes as the seed decides, feedback in the log', async () => {
    const ds = await distributionSet('2.0.0');
    await startRollout('r1', ds, updated.map((d) => d.controllerId), 1_000);
    const settled = await fleet!.waitForSettled(20, { timeoutMs: 60_000 });
    const outcomeOf = new Map(settled.map((s) => [s.controllerId, s]));
    const predicted = updated.map((device, p) => predictedSuccess(device, 1_000 + p, '2.0.0'));
    // The seed must exercise both paths among the 0.6 devices, or this test would prove less than it claims.
    expect(updated.some((d, p) => d.deviceType !== 'kiosk' && d.deviceType !== 'sensor-hub' && predicted[p])).toBe(true);
    expect(updated.some((d, p) => d.deviceType !== 'sensor-hub' && !predicted[p])).toBe(true);
    updated.forEach((device, p) => {
      expect(outcomeOf.get(device.controllerId)).toEqual({ controllerId: device.controllerId, actionId: String(1_000 + p), version: 'os:2.0.0', outcome: predicted[p] ? 'success' : 'failure' });
      expect(fleet!.device(device.controllerId)?.version).toBe(predicted[p] ? 'os:2.0.0' : '1.0.0');
    });
    const stats = fleet!.stats();
    expect(stats).toMatchObject({ checksumFailures: 0, networkErrors: 0, taskErrors: 0, malformedAnswers: 0 });
    // apac transfers were cut once each and resumed with Range: every byte still crossed the wire exactly once.
    expect(stats.downloadResumes).toBe(updated.filter((d) => d.region === 'apac').length);
    expect(stats.bytesDownloaded).toBe(20 * image.length);
    const successes = predicted.filter(Boolean).length;
    expect(stats.byVersion).toEqual({ 'os:2.0.0': successes, '1.0.0': 20 - successes });

    const succeeded = updated.findIndex((d) => d.deviceType === 'kiosk');
    const events = await eventually(async () => {
      const stream = await actionEvents(1_000 + succeeded);
      return stream.some((e) => e.data.status === 'FINISHED') ? stream : undefined;
    });
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['action-created', 'action-retrieved']);
    expect(events.filter((e) => e.type === 'action-feedback-received').map((e) => [e.data.execution, e.data.finished, e.data.status])).toEqual([
      ['download', 'none', 'DOWNLOAD'],
      ['downloaded', 'none', 'DOWNLOADED'],
      ['proceeding', 'none', 'RUNNING'],
      ['proceeding', 'none', 'RUNNING'],
      ['closed', 'success', 'FINISHED'],
    ]);
    const failed = predicted.findIndex((ok) => !ok);
    const failure = await eventually(async () => (await actionEvents(1_000 + failed)).find((e) => e.data.execution === 'closed'));
    expect(failure.data).toMatchObject({ finished: 'failure', details: ['Installation of os:2.0.0 failed: post-install check did not pass'] });
  });

  it('sends telemetry that follows the running build: the bad build crash-loops on cameras only', async () => {
    const since = Date.now();
    await eventually(async () => {
      const recent = telemetry.filter((s) => s.at >= since);
      return new Set(recent.map((s) => s.controllerId)).size === 20 ? true : undefined;
    }, 20_000);
    const latest = new Map<string, TelemetrySample>();
    for (const sample of telemetry.filter((s) => s.at >= since)) latest.set(sample.controllerId, sample);
    for (const device of updated) {
      const sample = latest.get(device.controllerId)!;
      const running = fleet!.device(device.controllerId)!.version;
      expect(sample).toMatchObject({ tenant: T, deviceType: device.deviceType, runningVersion: running });
      if (device.deviceType === 'camera' && running === 'os:2.0.0') {
        expect(sample.restarts).toBeGreaterThanOrEqual(1);
        expect(sample.errorRate).toBeGreaterThanOrEqual(0.25);
      } else {
        expect(sample.restarts).toBe(0);
        expect(sample.healthEndpoint).toBe('up');
      }
    }
  });

  it('brings a crash-looping camera back to its previous build (A/B fallback), and its telemetry says so', async () => {
    const cameras = updated.filter((d) => d.deviceType === 'camera' && fleet!.device(d.controllerId)?.version === 'os:2.0.0');
    expect(cameras.length).toBeGreaterThan(0);
    await fleet!.waitFor((s) => s.fallbacks === cameras.length, 60_000);
    const since = Date.now();
    for (const camera of cameras) {
      expect(fleet!.device(camera.controllerId)).toMatchObject({ version: '1.0.0', crashLooping: false });
      const sample = await eventually(async () => telemetry.find((s) => s.controllerId === camera.controllerId && s.at > since));
      expect(sample).toMatchObject({ runningVersion: '1.0.0', restarts: 0, healthEndpoint: 'up' });
    }
  });

  it('with a GatewayToken: waits for the maintenance window, installs when it opens, and accepts a cancel before it', async () => {
    spare = startFleet({ gatewayUrl, tenant: T, devices: spares, profiles: PROFILES, seed: 'e2e', auth: 'gateway-token', gatewayToken: GATEWAY_KEY, startSpreadMs: 100 });
    const ds = await distributionSet('3.0.0');
    // Window A opens 12 s from now (Quartz, seconds precision, UTC) for a minute; window B only in 2099.
    const opens = new Date(Date.now() + 12_000);
    const soon = { schedule: `${opens.getUTCSeconds()} ${opens.getUTCMinutes()} ${opens.getUTCHours()} * * ?`, duration: '00:01:00', timezone: '+00:00' };
    const never = { schedule: '0 0 0 1 1 ? 2099', duration: '00:00:01', timezone: '+00:00' };
    await startRollout('r2', ds, [spares[0].controllerId, spares[1].controllerId], 2_000, { maintenanceWindow: soon });
    await startRollout('r3', ds, [spares[2].controllerId, spares[3].controllerId], 3_000, { maintenanceWindow: never });
    await spare.waitFor((s) => s.byStatus['waiting-window'] === 4, 30_000);
    expect(spare.stats().bytesDownloaded).toBe(4 * image.length);

    await append('rollout-r3', 'rollout', [['rollout-stopping', { reason: 'manual', by: 'ops', at: Date.now() }]]);
    const settled = await spare.waitForSettled(4, { timeoutMs: 60_000 });
    expect(Object.fromEntries(settled.map((s) => [s.controllerId, s.outcome]))).toEqual({
      [spares[0].controllerId]: 'success', [spares[1].controllerId]: 'success', [spares[2].controllerId]: 'canceled', [spares[3].controllerId]: 'canceled',
    });
    const windowed = await actionEvents(2_000);
    expect(windowed.filter((e) => e.type === 'action-feedback-received').map((e) => e.data.execution)).toEqual(['download', 'downloaded', 'scheduled', 'proceeding', 'proceeding', 'closed']);
    const canceled = await eventually(async () => {
      const stream = await actionEvents(3_000);
      return stream.some((e) => e.type === 'action-canceled') ? stream : undefined;
    });
    expect(canceled.map((e) => e.type)).toContain('action-cancel-requested');
    expect(spare.stats().cancelFeedbackSent).toBe(2);
  });

  it('stops reporting an action the server closed meanwhile (410): the scheduler timed it out during the install', async () => {
    expect((await rest('PUT', '/system/configs/user.confirmation.flow.enabled', { value: false })).status).toBe(200);
    const slowInstalls: FleetProfiles = { ...PROFILES, base: { ...PROFILES.base, installSuccessProbability: 1, installDurationMs: { min: 20_000, max: 20_000 }, installSteps: 20 } };
    slow = startFleet({ gatewayUrl, tenant: T, devices: [straggler], profiles: slowInstalls, seed: 'e2e', auth: 'target-token', startSpreadMs: 10 });
    const ds = await distributionSet('5.0.0');
    await startRollout('r5', ds, [straggler.controllerId], 5_000);
    await slow.waitFor((s) => s.byStatus.installing === 1 && s.feedbackSent >= 3, 30_000);
    // As the scheduler appends it when a device stays in progress too long (docs/event-flow.md, "Timeouts").
    await append('action-5000', 'action', [['action-timed-out', { from: 'RUNNING', lastProgressAt: Date.now() - 60_000, timeoutMs: 30_000, at: Date.now() }]]);
    const [settled] = await slow.waitForSettled(1, { timeoutMs: 30_000 });
    expect(settled).toEqual({ controllerId: straggler.controllerId, actionId: '5000', outcome: 'gone', version: 'os:5.0.0' });
    expect(slow.stats()).toMatchObject({ feedbackGone: 1, byStatus: expect.objectContaining({ idle: 1, installing: 0 }), byVersion: { '1.0.0': 1 } });
    expect(slow.stats().httpStatus['410']).toBe(1);
    // Nothing the device sent after the timeout reached the log.
    expect((await actionEvents(5_000)).at(-1)?.type).toBe('action-timed-out');
  });

  it('asks for consent with the confirmation flow on: a kiosk confirms and installs, a sensor hub denies', async () => {
    expect((await rest('PUT', '/system/configs/user.confirmation.flow.enabled', { value: true })).status).toBe(200);
    const [hub, kiosk] = [spares[2], spares[3]];
    expect([hub.deviceType, kiosk.deviceType]).toEqual(['sensor-hub', 'kiosk']);
    const ds = await distributionSet('4.0.0');
    await startRollout('r4', ds, [hub.controllerId, kiosk.controllerId], 4_000);
    const settled = await spare!.waitForSettled(6, { timeoutMs: 60_000 });
    expect(settled.slice(4).map((s) => [s.controllerId, s.actionId, s.outcome]).sort()).toEqual([
      [hub.controllerId, '4000', 'denied'], [kiosk.controllerId, '4001', 'success'],
    ].sort());
    expect(spare!.stats().confirmationsSent).toBe(2);
    const confirmed = await actionEvents(4_001);
    expect(confirmed.map((e) => e.type)).toContain('action-confirmed');
    expect(confirmed.filter((e) => e.type === 'action-feedback-received').at(-1)?.data).toMatchObject({ execution: 'closed', finished: 'success' });
    expect((await actionEvents(4_000)).map((e) => e.type)).toContain('action-confirmation-denied');
  });
});
