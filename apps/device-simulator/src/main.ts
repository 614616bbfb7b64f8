import { Command, CommanderError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CliUsageError, loadProfiles, positiveInt, readFleetFile } from './cli/simulator-options';
import { startFleet, type FleetHandle } from './fleet/fleet';
import { generateFleet, type DeviceSpec } from './fleet/fleet-generator';
import { registerFleet, RegistrationError } from './fleet/register-fleet';

interface SimulatorOptions {
  gateway: string;
  tenant: string;
  devices: number;
  seed: string;
  prefix: string;
  auth: 'target-token' | 'gateway-token';
  register?: string;
  fleetFile?: string;
  profiles?: string;
  badBuild: string[];
  initialVersion: string;
  telemetryInterval: number;
  maxSockets: number;
  duration: number;
  statsInterval: number;
  minPoll: number;
}

export function buildProgram(): Command {
  return new Command('device-simulator')
    .description('a simulated fleet that speaks hawkBit DDI to device-gateway (credentials come from the environment, never from arguments)')
    .requiredOption('--gateway <url>', 'device-gateway base URL, e.g. http://127.0.0.1:8081')
    .requiredOption('--tenant <tenant>', 'tenant of the devices')
    .option('--devices <n>', 'devices to generate (ignored with --fleet-file and no --register)', positiveInt('devices', 1), 1_000)
    .option('--seed <seed>', 'seed of every device decision', '1')
    .option('--prefix <prefix>', 'controllerId prefix of generated devices', 'sim')
    .addOption(new Option('--auth <mode>', 'device authentication').choices(['target-token', 'gateway-token']).default('target-token'))
    .option('--register <plannerUrl>', 'create the generated devices as targets through the Management API first (env ROLLGATE_PLANNER_USER, ROLLGATE_PLANNER_PASSWORD)')
    .option('--fleet-file <path>', 'with --register: where to write the fleet and its tokens (mode 0600); without: the fleet to run')
    .option('--profiles <file>', 'device profiles (JSON or YAML, FleetProfiles)')
    .option('--bad-build <version[:deviceType]>', 'make a build crash-loop and leak (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--initial-version <version>', 'build running on the devices at start', '1.0.0')
    .option('--telemetry-interval <ms>', 'health telemetry per device every this many ms (0: none)', positiveInt('telemetry-interval'), 60_000)
    .option('--max-sockets <n>', 'sockets (and requests in flight) per kind of traffic: reads, writes, downloads', positiveInt('max-sockets', 1), 128)
    .option('--min-poll <ms>', 'poll at most this often whatever the server says', positiveInt('min-poll'), 1_000)
    .option('--duration <s>', 'stop after this many seconds (0: until Ctrl-C)', positiveInt('duration'), 0)
    .option('--stats-interval <s>', 'print live stats as a JSON line every this many seconds', positiveInt('stats-interval', 1), 5)
    .exitOverride()
    .action(async (options: SimulatorOptions) => run(options));
}

async function devicesFor(options: SimulatorOptions): Promise<DeviceSpec[]> {
  if (options.fleetFile !== undefined && options.register === undefined) return readFleetFile(options.fleetFile);
  const devices = generateFleet({ count: options.devices, seed: options.seed, prefix: options.prefix, initialVersion: options.initialVersion });
  if (options.register !== undefined) {
    const username = process.env.ROLLGATE_PLANNER_USER;
    const password = process.env.ROLLGATE_PLANNER_PASSWORD;
    if (!username || !password) throw new CliUsageError('credentials_missing', '--register needs ROLLGATE_PLANNER_USER and ROLLGATE_PLANNER_PASSWORD in the environment');
    const { created } = await registerFleet({ plannerUrl: options.register, tenant: options.tenant, username, password, devices });
    log({ event: 'registered', created });
    if (options.fleetFile !== undefined) writeFileSync(options.fleetFile, JSON.stringify(devices), { mode: 0o600 });
  } else if (options.auth === 'target-token') {
    throw new CliUsageError('tokens_unknown', 'generated devices have new tokens the gateway does not know: use --register, --fleet-file or --auth gateway-token');
  }
  return devices;
}

async function run(options: SimulatorOptions): Promise<void> {
  const profiles = loadProfiles(options.profiles, options.badBuild);
  const gatewayToken = process.env.ROLLGATE_GATEWAY_TOKEN;
  if (options.auth === 'gateway-token' && !gatewayToken) throw new CliUsageError('credentials_missing', '--auth gateway-token needs ROLLGATE_GATEWAY_TOKEN in the environment');
  const devices = await devicesFor(options);
  const fleet = startFleet({
    gatewayUrl: options.gateway,
    tenant: options.tenant,
    devices,
    profiles,
    seed: options.seed,
    auth: options.auth,
    ...(gatewayToken ? { gatewayToken } : {}),
    initialVersion: options.initialVersion,
    maxSockets: options.maxSockets,
    minPollMs: options.minPoll,
    telemetryIntervalMs: options.telemetryInterval,
    startSpreadMs: Math.min(30_000, devices.length),
  });
  log({ event: 'started', devices: devices.length, gateway: options.gateway, tenant: options.tenant, auth: options.auth });
  await runUntilDone(fleet, options);
}

function runUntilDone(fleet: FleetHandle, options: SimulatorOptions): Promise<void> {
  return new Promise((resolve) => {
    const process_ = new ProcessSampler();
    const ticker = setInterval(() => log({ event: 'stats', ...fleet.stats(), ...process_.sample() }), options.statsInterval * 1000);
    const finish = async () => {
      clearInterval(ticker);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      await fleet.stop();
      log({ event: 'stopped', ...fleet.stats(), ...process_.sample() });
      resolve();
    };
    if (options.duration > 0) setTimeout(() => void finish(), options.duration * 1000);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
}

/** The simulator's own cost between two samples: memory, CPU share and how late its event loop runs. */
class ProcessSampler {
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private cpu = process.cpuUsage();
  private at = performance.now();

  constructor() {
    this.delay.enable();
  }

  sample(): Record<string, number> {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(this.cpu);
    const now = performance.now();
    const cpuPct = ((cpu.user + cpu.system) / 1000 / (now - this.at)) * 100;
    const result = {
      rssMb: Math.round(memory.rss / 2 ** 20),
      heapMb: Math.round(memory.heapUsed / 2 ** 20),
      cpuPct: Math.round(cpuPct),
      eventLoopP99Ms: Math.round(this.delay.percentile(99) / 1e6),
    };
    this.cpu = process.cpuUsage();
    this.at = now;
    this.delay.reset();
    return result;
  }
}

function log(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...line })}\n`);
}

/** Errors are one line with a stable code. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const code = error instanceof CliUsageError ? error.code : error instanceof RegistrationError ? (error.code ?? 'registration_failed') : 'simulator_failed';
    console.error(`device-simulator: ${(error as Error).message} (${code})`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main(process.argv);
