import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import { startGateway, startPlanner, type InProcessService } from '../../test/in-process-services';
import { BASE_PROFILE } from '../profiles/default-profiles';
import { startFleet, type FleetHandle } from './fleet';
import { generateFleet } from './fleet-generator';
import { registerFleet } from './register-fleet';

// A gateway that allows each device one request per second (burst 2), and devices that want more: polls at a
// 1 s sleep, attributes, health samples every second. The fleet must slow down, not fail.
jest.setTimeout(120_000);

const T = 'acme';
const PASSWORD = 'simulator-throttle-admin-1';

describe('a simulated fleet against a rate-limited device-gateway', () => {
  let db: TestDatabase;
  let names: BusNames;
  const services: InProcessService[] = [];
  let fleet: FleetHandle | undefined;
  const devices = generateFleet({ count: 6, seed: 'throttle', prefix: 'thr', initialVersion: '1.0.0' });

  beforeAll(async () => {
    db = await createTestDatabase('rg_simthrottle');
    names = testBusNames();
    const common = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names) };
    const planner = await startPlanner({ ...common, ROLLGATE_BOOTSTRAP_TENANT: T, ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: PASSWORD });
    services.push(planner);
    services.push(await startGateway({ ...common, DDI_RATE_LIMIT_PER_SECOND: '1', DDI_RATE_LIMIT_BURST: '2' }));
    const authorization = `Basic ${Buffer.from(`${T}\\admin:${PASSWORD}`).toString('base64')}`;
    for (const [key, value] of [['minPollingTime', '00:00:01'], ['pollingTime', '00:00:01'], ['authentication.targettoken.enabled', true]] as const) {
      const answer = await fetch(`${planner.url}/rest/v1/system/configs/${key}`, { method: 'PUT', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
      expect(answer.status).toBe(200);
    }
    await registerFleet({ plannerUrl: planner.url, tenant: T, username: 'admin', password: PASSWORD, devices });
  });

  afterAll(async () => {
    await fleet?.stop();
    for (const service of services.reverse()) await service.close();
    const nc = await connectTestNats();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db?.drop();
  });

  it('honours 429 with Retry-After: every device still reports its attributes and health, without errors', async () => {
    fleet = startFleet({
      gatewayUrl: services[1].url, tenant: T, devices, seed: 'throttle', auth: 'target-token', startSpreadMs: 10, telemetryIntervalMs: 1_000,
      profiles: { base: { ...BASE_PROFILE, offlineShare: 0, latencyMs: { min: 0, max: 0 } } },
    });
    const stats = await fleet.waitFor((s) => s.throttled > 0 && s.configDataSent >= devices.length && s.healthSent >= devices.length * 2, 60_000);
    expect(stats).toMatchObject({ networkErrors: 0, taskErrors: 0 });
    expect(stats.byStatus.idle).toBe(devices.length);
    // Over a while, the devices' successful requests stay near what the gateway allows: 1/s each plus the burst.
    const before = fleet.stats();
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const after = await eventually(async () => fleet!.stats());
    const seconds = (Date.now() - started) / 1000;
    const ok = (s: typeof after) => Object.entries(s.httpStatus).filter(([status]) => Number(status) < 400).reduce((sum, [, n]) => sum + n, 0);
    expect(ok(after) - ok(before)).toBeLessThanOrEqual(devices.length * (seconds + 2 + 1));
    expect(after.polls).toBeGreaterThan(before.polls);
  });
});
