import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import { WORKSPACE_ROOT } from '../../test/built-workspace';
import { startGateway, startPlanner, type InProcessService } from '../../test/in-process-services';
import type { DeviceSpec } from '../fleet/fleet-generator';

// The CLI as an operator runs it (`node dist/apps/device-simulator/src/main.js`), against a real planner and
// gateway started in this process.
jest.setTimeout(120_000);

const T = 'acme';
const PASSWORD = 'simulator-cli-admin-password';
const CLI = join(WORKSPACE_ROOT, 'dist/apps/device-simulator/src/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: Array<Record<string, unknown>>;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stdout, stderr, lines });
    });
  });
}

describe('the device-simulator CLI', () => {
  let db: TestDatabase;
  let names: BusNames;
  let dir: string;
  const services: InProcessService[] = [];
  let plannerUrl: string;
  let gatewayUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase('rg_simcli');
    names = testBusNames();
    dir = await mkdtemp(join(tmpdir(), 'rg-sim-cli-'));
    const common = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names) };
    const planner = await startPlanner({ ...common, ROLLGATE_BOOTSTRAP_TENANT: T, ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: PASSWORD });
    services.push(planner);
    plannerUrl = planner.url;
    const gateway = await startGateway(common);
    services.push(gateway);
    gatewayUrl = gateway.url;
    const authorization = `Basic ${Buffer.from(`${T}\\admin:${PASSWORD}`).toString('base64')}`;
    for (const [key, value] of [['minPollingTime', '00:00:01'], ['pollingTime', '00:00:01'], ['authentication.targettoken.enabled', true]] as const) {
      const answer = await fetch(`${plannerUrl}/rest/v1/system/configs/${key}`, { method: 'PUT', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
      expect(answer.status).toBe(200);
    }
  });

  afterAll(async () => {
    for (const service of services.reverse()) await service.close();
    const nc = await connectTestNats();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses bad usage with one line and a stable code, before any request', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [['--gateway', gatewayUrl, '--tenant', T, '--devices', 'many'], {}, '(invalid_option)'],
      [['--gateway', gatewayUrl, '--tenant', T, '--auth', 'gateway-token'], {}, '(credentials_missing)'],
      [['--gateway', gatewayUrl, '--tenant', T], {}, '(tokens_unknown)'],
      [['--gateway', gatewayUrl, '--tenant', T, '--register', plannerUrl], {}, '(credentials_missing)'],
      [['--gateway', gatewayUrl, '--tenant', T, '--fleet-file', join(dir, 'missing.json')], {}, '(fleet_file_unreadable)'],
      [['--gateway', gatewayUrl, '--tenant', T, '--auth', 'gateway-token', '--profiles', join(dir, 'missing.yaml')], { ROLLGATE_GATEWAY_TOKEN: 'x'.repeat(20) }, '(profiles_unreadable)'],
    ];
    for (const [args, env, code] of cases) {
      const run = await runCli(args, env);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(code);
      expect(run.lines).toEqual([]);
    }
    const missingGateway = await runCli(['--tenant', T]);
    expect(missingGateway.code).not.toBe(0);
    expect(missingGateway.stderr).toContain("required option '--gateway <url>' not specified");
  });

  it('registers a fleet, writes it (tokens included) to a 0600 file, runs it with profiles from YAML, and never prints a credential', async () => {
    const fleetFile = join(dir, 'fleet.json');
    const profiles = join(dir, 'profiles.yaml');
    await writeFile(profiles, 'base:\n  offlineShare: 0\n  latencyMs: { min: 0, max: 5 }\nregions:\n  apac:\n    latencyMs: { min: 10, max: 20 }\n');
    const run = await runCli(
      ['--gateway', gatewayUrl, '--tenant', T, '--devices', '30', '--prefix', 'cli', '--register', plannerUrl, '--fleet-file', fleetFile, '--profiles', profiles,
        '--duration', '4', '--stats-interval', '1', '--telemetry-interval', '500', '--bad-build', '2.0.0:camera'],
      { ROLLGATE_PLANNER_USER: 'admin', ROLLGATE_PLANNER_PASSWORD: PASSWORD },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => l.event)).toEqual(expect.arrayContaining(['registered', 'started', 'stats', 'stopped']));
    expect(run.lines.find((l) => l.event === 'registered')).toMatchObject({ created: 30 });
    const stopped = run.lines.find((l) => l.event === 'stopped')!;
    expect(stopped).toMatchObject({ devices: 30, configDataSent: expect.any(Number), networkErrors: 0, taskErrors: 0 });
    expect(stopped.polls as number).toBeGreaterThanOrEqual(30);
    expect(stopped.healthSent as number).toBeGreaterThanOrEqual(30);
    expect(Object.keys(stopped.httpStatus as object)).not.toContain('401');
    expect(stopped).toMatchObject({ rssMb: expect.any(Number), cpuPct: expect.any(Number), eventLoopP99Ms: expect.any(Number) });

    expect((await stat(fleetFile)).mode & 0o777).toBe(0o600);
    const fleet = JSON.parse(await readFile(fleetFile, 'utf8')) as DeviceSpec[];
    expect(fleet).toHaveLength(30);
    for (const device of fleet) expect(run.stdout).not.toContain(device.securityToken!);
    expect(run.stdout).not.toContain(PASSWORD);

    // The same fleet again, from the file: the devices authenticate with the tokens the planner registered;
    // this time apac is always offline (JSON profiles), so only the other regions' devices reach the gateway.
    const offline = join(dir, 'offline.json');
    await writeFile(offline, JSON.stringify({ base: { offlineShare: 0 }, regions: { apac: { offlineShare: 1, offlinePeriodMs: { min: 200, max: 400 } } } }));
    const again = await runCli(['--gateway', gatewayUrl, '--tenant', T, '--fleet-file', fleetFile, '--profiles', offline, '--duration', '3', '--stats-interval', '1', '--telemetry-interval', '0']);
    expect(again.code).toBe(0);
    const last = again.lines.find((l) => l.event === 'stopped')!;
    const apac = fleet.filter((d) => d.region === 'apac').length;
    expect(apac).toBe(8);
    expect(last).toMatchObject({ devices: 30, healthSent: 0, byStatus: expect.objectContaining({ offline: apac, idle: 30 - apac }) });
    // 22 online devices at a 1 s sleep for about 3 s; an offline device never sends a poll.
    expect(last.polls as number).toBeGreaterThanOrEqual(30 - apac);
    expect(last.polls as number).toBeLessThanOrEqual((30 - apac) * 5);
    expect(Object.keys(last.httpStatus as object)).not.toContain('401');
  });
});
