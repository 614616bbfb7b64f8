import type { Command } from 'commander';
import { CliError } from '../cli-context';
import { join } from 'node:path';
import { runDemoScenario, type DemoResult } from '../demo/demo-scenario';
import { bootstrapEnv, localServiceEnv, type LocalAdmin } from '../local-admin';
import { REPO_ROOT, SERVICES, startServices, stopServices, waitUntilReady, type RunningService } from '../local-stack';

interface UpOptions {
  natsUrl: string;
  timeout: string;
  portBase: string;
  logDir?: string;
  exitWhenReady?: boolean;
  scenario: string;
  devices: string;
  exitWhenDone?: boolean;
}

/**
 * `rollgate up`: the five services on this machine against the local PostgreSQL and NATS (which
 * `npm start` brings up first with infra/local/up). Each service applies migrations and provisions the
 * streams on start. Then, unless `--scenario none`, the demo scenario runs against them with a simulated fleet
 * (see demo/demo-scenario.ts). Ctrl-C stops everything cleanly.
 */
export function registerUp(program: Command, databaseUrl: () => string): void {
  program
    .command('up')
    .description('start all five services locally, wait until each is ready, print where they listen; Ctrl-C stops them')
    .option('--nats-url <url>', 'NATS server', process.env.NATS_URL ?? 'nats://127.0.0.1:4222')
    .option('--timeout <ms>', 'how long to wait for readiness', '90000')
    .option('--port-base <port>', 'port of the first service; the others follow', '8080')
    .option('--log-dir <dir>', 'where the services write their logs (default .data/logs)')
    .option('--exit-when-ready', 'stop the services again once all are ready (a smoke check)')
    .option('--scenario <name>', 'what to run once the services are ready: demo (a good build rolled out, a bad one rolled back) or none', 'demo')
    .option('--devices <n>', 'size of the demo\'s simulated fleet', '5000')
    .option('--exit-when-done', 'stop everything once the scenario has finished (CI)')
    .action(async (options: UpOptions) => {
      const portBase = Number(options.portBase);
      if (!Number.isInteger(portBase) || portBase < 1 || portBase > 65530) throw new CliError('invalid_port', `--port-base must be a port number, not "${options.portBase}"`);
      const devices = Number(options.devices);
      if (!Number.isInteger(devices) || devices < 50 || devices > 100_000) throw new CliError('invalid_devices', `--devices must be a whole number in 50..100000, not "${options.devices}"`);
      if (!['demo', 'none'].includes(options.scenario)) throw new CliError('unknown_scenario', `--scenario is demo or none, not "${options.scenario}"`);
      const distributor = `http://127.0.0.1:${portBase + SERVICES.findIndex((s) => s.name === 'artifact-distributor')}`;
      const { env, admin } = bootstrapEnv(localServiceEnv({ ...process.env, DATABASE_URL: databaseUrl(), NATS_URL: options.natsUrl }, { distributor }));
      console.log('starting rollout-planner, device-gateway, artifact-distributor, group-scheduler, health-evaluator ...');
      const services = startServices(env, { portBase, logDir: options.logDir });
      const shutdown = onceShutdown(services);
      try {
        await waitUntilReady(services, Number(options.timeout));
      } catch (error) {
        console.error(`rollgate up failed: ${(error as Error).message}`);
        await stopServices(services);
        process.exitCode = 1;
        return;
      }
      printTable(services);
      if (admin) {
        console.log(`\nManagement API: ${services[0].url}/rest/v1 as ${admin.tenant}\\${admin.user} (HTTP Basic); the password is in ${admin.file}`);
      }
      if (options.exitWhenReady) {
        await shutdown('--exit-when-ready');
        return;
      }
      console.log('\nall services ready. Ctrl-C stops them.');
      if (options.scenario === 'demo') {
        const result = await runScenario(services, admin, devices, databaseUrl(), options);
        if (!result) process.exitCode = 1;
        if (options.exitWhenDone || !result) {
          await shutdown(result ? 'scenario done' : 'scenario failed');
          return;
        }
        console.log('\nthe services keep running: try the CLI and the API (README). Ctrl-C stops them.');
      }
      await new Promise<void>((resolve) => services.forEach((s) => s.process.once('exit', () => resolve())));
      if (!stopping) {
        const dead = services.find((s) => s.process.exitCode !== null);
        console.error(`${dead?.name} stopped unexpectedly (log: ${dead?.logFile}); stopping the others`);
        process.exitCode = 1;
        await shutdown('a service stopped');
      }
    });
}

let stopping = false;

function onceShutdown(services: RunningService[]): (reason: string) => Promise<void> {
  let done: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    done ??= (async () => {
      stopping = true;
      console.log(`\nstopping (${reason}) ...`);
      const codes = await stopServices(services);
      services.forEach((s, i) => console.log(`  ${s.name.padEnd(22)} exited ${codes[i]}`));
      if (codes.some((c) => c !== 0)) process.exitCode = 1;
    })();
    return done;
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return shutdown;
}

function printTable(services: RunningService[]): void {
  console.log('');
  console.log(`  ${'service'.padEnd(22)} ${'listens on'.padEnd(24)} ${'what'.padEnd(32)} log`);
  for (const s of services) console.log(`  ${s.name.padEnd(22)} ${s.url.padEnd(24)} ${s.role.padEnd(32)} ${s.logFile}`);
}

async function runScenario(services: RunningService[], admin: LocalAdmin | undefined, devices: number, databaseUrl: string, options: UpOptions): Promise<DemoResult | undefined> {
  if (!admin) {
    console.error('the demo needs the local demo administrator: unset ROLLGATE_BOOTSTRAP_* or pass --scenario none');
    return undefined;
  }
  const url = (name: string) => services.find((s) => s.name === name)!.url;
  const started = Date.now();
  try {
    const result = await runDemoScenario({
      plannerUrl: url('rollout-planner'), gatewayUrl: url('device-gateway'), databaseUrl, tenant: admin.tenant, user: admin.user, password: admin.password,
      devices, badDeviceType: 'camera', dataDir: options.logDir ? join(options.logDir, 'demo') : join(REPO_ROOT, '.data', 'demo'), out: process.stdout,
    });
    console.log(`\ndemo finished in ${Math.round((Date.now() - started) / 1000)} s: good build ${result.good.exitCode === 0 ? 'completed' : 'did NOT complete'}, bad build ${result.bad.exitCode !== 0 ? 'stopped and rolled back' : 'was NOT stopped'}; devices per build now ${JSON.stringify(result.versions)}`);
    return result.good.exitCode === 0 && result.bad.exitCode !== 0 && result.rollbacks.length > 0 ? result : undefined;
  } catch (error) {
    console.error(`demo failed: ${(error as Error).message}`);
    return undefined;
  }
}
