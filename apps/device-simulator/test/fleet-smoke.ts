/**
 * The 20,000-device smoke: rollout-planner and device-gateway in this process (compiled tree, fresh database
 * and bus names), the fleet registered through the Management API, then the simulator CLI as a child process
 * (so its memory and CPU are its own) polling the real gateway for a while. Prints a table and writes
 * apps/device-simulator/smoke/fleet-smoke.json.
 *
 *   node scripts/build.mjs --quiet && node dist/apps/device-simulator/test/fleet-smoke.js [--devices 20000] [--seconds 60] [--polling 00:00:05]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames } from '@rollgate/testing';
import { generateFleet } from '../src/fleet/fleet-generator';
import { registerFleet } from '../src/fleet/register-fleet';
import { WORKSPACE_ROOT } from './built-workspace';
import { startGateway, startPlanner, type InProcessService } from './in-process-services';

const T = 'smoke';
const PASSWORD = 'smoke-admin-password-1';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

/** Starts planner and gateway, adding each to `started` at once so that a failed start still closes the other. */
async function startServices(dbUrl: string, names: BusNames, started: InProcessService[]): Promise<{ planner: InProcessService; gateway: InProcessService }> {
  const common = { DATABASE_URL: dbUrl, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names) };
  const planner = await startPlanner({ ...common, ROLLGATE_BOOTSTRAP_TENANT: T, ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: PASSWORD });
  started.push(planner);
  // The smoke measures the simulator, not the gateway's per-device limit.
  const gateway = await startGateway({ ...common, DDI_RATE_LIMIT_PER_SECOND: '100', DDI_RATE_LIMIT_BURST: '200' });
  started.push(gateway);
  return { planner, gateway };
}

async function configure(plannerUrl: string, values: Record<string, string | boolean>): Promise<void> {
  const authorization = `Basic ${Buffer.from(`${T}\\admin:${PASSWORD}`).toString('base64')}`;
  for (const [key, value] of Object.entries(values)) {
    const answer = await fetch(`${plannerUrl}/rest/v1/system/configs/${key}`, { method: 'PUT', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
    if (answer.status !== 200) throw new Error(`setting ${key}: HTTP ${answer.status}`);
  }
}

/** The gateway knows the fleet once the last registered device's poll is accepted. */
async function waitForGateway(gatewayUrl: string, controllerId: string, token: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const answer = await fetch(`${gatewayUrl}/${T}/controller/v1/${controllerId}`, { headers: { authorization: `TargetToken ${token}` } });
    if (answer.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the gateway never learned the fleet');
}

type StatsLine = Record<string, number | string | object>;

/** CPU share of this process (gateway and planner) between samples, to tell whose CPU limits the rate. */
const serverCpu = {
  last: process.cpuUsage(),
  at: performance.now(),
  sample(): number {
    const used = process.cpuUsage(this.last);
    const now = performance.now();
    const pct = Math.round(((used.user + used.system) / 1000 / (now - this.at)) * 100);
    this.last = process.cpuUsage();
    this.at = now;
    return pct;
  },
};

function runSimulator(args: string[]): Promise<StatsLine[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(WORKSPACE_ROOT, 'dist/apps/device-simulator/src/main.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: StatsLine[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as StatsLine;
      lines.push(parsed);
      if (parsed.event !== 'stats') return;
      parsed.serverCpuPct = serverCpu.sample();
      console.log(
        `  ${String(parsed.at)}: ${String(parsed.pollsPerSecond)} polls/s, configData ${String(parsed.configDataSent)}, in flight ${String(parsed.inFlight)}, queued ${String(parsed.queued)}, rss ${String(parsed.rssMb)} MB, heap ${String(parsed.heapMb)} MB, ` +
          `cpu ${String(parsed.cpuPct)} % (gateway+planner process ${String(parsed.serverCpuPct)} %), loop p99 ${String(parsed.eventLoopP99Ms)} ms`,
      );
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(lines) : reject(new Error(`simulator exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const count = Number(option('devices', '20000'));
  const seconds = Number(option('seconds', '60'));
  const polling = option('polling', '00:00:05');
  const db = await createTestDatabase('rg_simsmoke');
  const names = testBusNames();
  const dir = mkdtempSync(join(tmpdir(), 'rg-sim-smoke-'));
  const started: InProcessService[] = [];
  try {
    const { planner, gateway } = await startServices(db.url, names, started);
    console.log(`planner ${planner.url}, gateway ${gateway.url}`);
    await configure(planner.url, { minPollingTime: '00:00:01', pollingTime: polling, 'authentication.targettoken.enabled': true });
    const devices = generateFleet({ count, seed: 'smoke', prefix: 'smoke', initialVersion: '1.0.0' });
    const registering = Date.now();
    await registerFleet({ plannerUrl: planner.url, tenant: T, username: 'admin', password: PASSWORD, devices });
    const last = devices[devices.length - 1];
    await waitForGateway(gateway.url, last.controllerId, last.securityToken as string);
    const registrationMs = Date.now() - registering;
    console.log(`registered ${count} devices in ${registrationMs} ms; running the simulator for ${seconds} s at a ${polling} polling sleep`);
    const fleetFile = join(dir, 'fleet.json');
    writeFileSync(fleetFile, JSON.stringify(devices), { mode: 0o600 });
    const lines = await runSimulator([
      '--gateway', gateway.url, '--tenant', T, '--fleet-file', fleetFile, '--seed', 'smoke', '--duration', String(seconds), '--stats-interval', '5',
      '--telemetry-interval', '0', '--max-sockets', '128', '--min-poll', '1000',
    ]);
    report(count, seconds, polling, registrationMs, lines);
  } finally {
    for (const service of started.reverse()) await service.close();
    const nc = await connectTestNats();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(count: number, seconds: number, polling: string, registrationMs: number, lines: StatsLine[]): void {
  const stats = lines.filter((l) => l.event === 'stats');
  const num = (l: StatsLine, key: string) => Number(l[key]);
  // First contact: every device PUTs its attributes (configData) once the gateway asks; a device's next poll
  // waits for its PUT, as in a real client. The steady state starts once all of them have.
  const firstContactEnd = stats.findIndex((l) => num(l, 'configDataSent') >= count);
  const steady = firstContactEnd >= 0 ? stats.slice(firstContactEnd + 1) : [];
  const stopped = lines.find((l) => l.event === 'stopped') as Record<string, number> | undefined;
  const mean = (rows: StatsLine[], key: string) => Math.round(rows.reduce((sum, l) => sum + num(l, key), 0) / Math.max(1, rows.length));
  const started = stats.length > 0 ? Date.parse(String(stats[0].at)) - 5_000 : 0;
  const result = {
    devices: count,
    seconds,
    pollingSleep: polling,
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; shared with other engineers' runs; gateway and planner in the parent process`,
    registrationMs,
    firstContactSeconds: firstContactEnd >= 0 ? Math.round((Date.parse(String(stats[firstContactEnd].at)) - started) / 1000) : null,
    steadySamples: steady.length,
    steadyPollsPerSecond: steady.length > 0 ? mean(steady, 'pollsPerSecond') : null,
    expectedPollsPerSecond: Math.round(count / (parseSleep(polling) / 1000)),
    totalPolls: stopped?.polls,
    notModified: stopped?.pollsNotModified,
    configDataSent: stopped?.configDataSent,
    networkErrors: stopped?.networkErrors,
    httpStatus: stopped?.httpStatus,
    maxRssMb: Math.max(...stats.map((l) => num(l, 'rssMb'))),
    maxHeapMb: Math.max(...stats.map((l) => num(l, 'heapMb'))),
    steadyRssMb: steady.length > 0 ? num(steady[steady.length - 1], 'rssMb') : null,
    steadyCpuPct: steady.length > 0 ? mean(steady, 'cpuPct') : null,
    steadyServerCpuPct: steady.length > 0 ? mean(steady, 'serverCpuPct') : null,
    maxEventLoopP99Ms: Math.max(...stats.map((l) => num(l, 'eventLoopP99Ms'))),
  };
  console.table(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : v])));
  writeFileSync(join(WORKSPACE_ROOT, 'apps/device-simulator/smoke/fleet-smoke.json'), `${JSON.stringify(result, null, 2)}\n`);
}

function parseSleep(text: string): number {
  const [h, m, s] = text.split(':').map(Number);
  return ((h * 60 + m) * 60 + s) * 1000;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
