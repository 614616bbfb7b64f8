import type { Command } from 'commander';
import { CliError } from '../cli-context';
import { bootstrapEnv } from '../local-admin';
import { startServices, stopServices, waitUntilReady, type RunningService } from '../local-stack';

/**
 * `rollgate up`: the five services on this machine against the local PostgreSQL and NATS (which
 * `npm start` brings up first with infra/local/up). Each service applies migrations and provisions the
 * streams on start. Ctrl-C stops them all cleanly.
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
    .action(async (options: { natsUrl: string; timeout: string; portBase: string; logDir?: string; exitWhenReady?: boolean }) => {
      const { env, admin } = bootstrapEnv({ ...process.env, DATABASE_URL: databaseUrl(), NATS_URL: options.natsUrl });
      const portBase = Number(options.portBase);
      if (!Number.isInteger(portBase) || portBase < 1 || portBase > 65530) throw new CliError('invalid_port', `--port-base must be a port number, not "${options.portBase}"`);
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
