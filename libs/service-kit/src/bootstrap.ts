import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConsumerHost } from '@rollgate/bus';
import type { MigrationClass } from '@rollgate/event-store';
import { shutdownTelemetry, startTelemetry } from '@rollgate/observability';
import { Logger as PinoLogger, PinoLogger as PinoMethods } from 'nestjs-pino';
import type { AddressInfo } from 'node:net';
import type { Logger as PinoRoot } from 'pino';
import { BootstrapLogger } from './bootstrap-logger';
import { installConnectionDraining } from './connection-draining';
import { ConsumerRegistry } from './consumer-registry';
import { requestIdOf } from './http-logging';
import { installHttpTracing } from './http-tracing';
import { JetStreamTransport } from './jetstream.transport';
import { RollgateExceptionFilter } from './rollgate-exception.filter';
import { ConfigError, loadServiceConfig, type ServiceConfig, type ServiceDefaults } from './service-config';
import { ServiceKitModule } from './service-kit.module';
import { ServiceRuntime } from './service-runtime.service';
import { CONSUMER_PREFILTER, type ConsumerPrefilter } from './tokens';

export interface ServiceOptions {
  /** the service's name and default port (its `config.ts`) */
  defaults: ServiceDefaults;
  /** the app's composition root: its controllers, handlers and projections */
  module: Type<unknown> | DynamicModule;
  /** the service's own migrations, applied after the event store's and the bus's */
  migrations?: MigrationClass[];
  /** where configuration is read from; process.env unless a test passes its own */
  env?: NodeJS.ProcessEnv;
}

export interface RunningService {
  app: NestFastifyApplication;
  config: ServiceConfig;
  transport: JetStreamTransport;
  /** `http://host:port` actually bound (PORT=0 picks a free port) */
  url: string;
  /** Graceful stop: HTTP in-flight requests finish, the consumer drains, then relay, NATS and pool close. */
  close(): Promise<void>;
}

@Module({})
class ServiceRootModule {}

/**
 * Creates, starts and returns one service in this process: the pieces in the order they depend on each
 * other. Throws ConfigError before touching anything when the configuration is invalid. Installs no
 * signal handlers and never exits the process (tests run several of these); bootstrapService does that.
 */
export async function createService(options: ServiceOptions): Promise<RunningService> {
  const config = loadServiceConfig(options.defaults, options.env);
  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [ServiceKitModule.forRoot({ config, migrations: options.migrations }), options.module],
  };
  const adapter = new FastifyAdapter({ bodyLimit: config.bodyLimitBytes, trustProxy: false, genReqId: requestIdOf });
  // Before Nest registers its middleware (request logging), so that the request's span is active there too.
  installHttpTracing(adapter.getInstance());
  const startDraining = installConnectionDraining(adapter.getInstance());
  // abortOnError off: a failed start must reach our handler (clean message, exit code), not process.abort().
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, { logger: new BootstrapLogger(config.service, config.logLevel), abortOnError: false });
  try {
    app.useLogger(app.get(PinoLogger));
    app.useGlobalFilters(new RollgateExceptionFilter());
    const transport = await connectTransport(app, config);
    // Migrations, streams and relay come up in init; the consumer needs them, the port comes last.
    await app.init();
    await app.startAllMicroservices();
    await app.listen({ port: config.port, host: config.host });
    const url = boundUrl(app, config);
    app.get(PinoLogger).log(`${config.service} listening on ${url}`, 'bootstrap');
    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      startDraining();
      await app.close();
    };
    return { app, config, transport, url, close: () => (closing ??= close()) };
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

async function connectTransport(app: NestFastifyApplication, config: ServiceConfig): Promise<JetStreamTransport> {
  const runtime = app.get(ServiceRuntime);
  const hostLogger = await app.resolve(PinoMethods);
  hostLogger.setContext('consumer');
  const prefilter = optionalProvider<ConsumerPrefilter>(app, CONSUMER_PREFILTER);
  const transport = new JetStreamTransport(
    (handlerFor, eventTypes) =>
      new ConsumerHost({
        skipWithoutTransaction: prefilter && ((event) => prefilter.skip(event)),
        pool: runtime.pool,
        nc: runtime.nc,
        names: config.busNames,
        durableName: config.service,
        handlerFor,
        eventTypes,
        logger: hostLogger,
      }),
  );
  // Inherits the app's global filter, which hands event handler errors back to the consumer host unchanged.
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  app.get(ConsumerRegistry).register(transport);
  return transport;
}

/**
 * A provider the service's module may or may not declare. Looked up in the modules first: `app.get` of a
 * token nobody provides logs an error at every start before it throws.
 */
function optionalProvider<T>(app: NestFastifyApplication, token: symbol): T | undefined {
  const declared = [...app.get(ModulesContainer).values()].some((module) => module.providers.has(token));
  return declared ? app.get<T>(token, { strict: false }) : undefined;
}

function boundUrl(app: NestFastifyApplication, config: ServiceConfig): string {
  const address = app.getHttpServer().address() as AddressInfo | string | null;
  const port = address && typeof address === 'object' ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

/** sysexits' EX_CONFIG: tells a supervisor that restarting will not help until the config changes */
const EXIT_CONFIG = 78;

/**
 * The entry point of a service process (`main.ts`): config (fail fast), telemetry, the service, then
 * graceful shutdown on SIGTERM and SIGINT.
 */
export async function bootstrapService(options: ServiceOptions): Promise<void> {
  const env = options.env ?? process.env;
  let config: ServiceConfig;
  try {
    config = loadServiceConfig(options.defaults, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  startTelemetry(config.service, env);
  const logger = new BootstrapLogger(config.service, config.logLevel).pino;
  try {
    const service = await createService({ ...options, env });
    exitGracefullyOnSignals(service, logger);
  } catch (error) {
    logger.fatal({ context: 'bootstrap', err: error }, `${config.service} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await shutdownTelemetry().catch(() => undefined);
    process.exit(1);
  }
}

/**
 * Own signal handling rather than Nest's enableShutdownHooks(): Nest re-raises the signal after closing,
 * so the process would end by SIGTERM (exit status 143) instead of 0, and it has no deadline. Here a stop
 * that outlives SHUTDOWN_GRACE_MS exits 1, so an orchestrator never waits on a hung drain.
 */
function exitGracefullyOnSignals(service: RunningService, root: PinoRoot): void {
  const logger = root.child({ context: 'shutdown' });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, draining (at most ${service.config.shutdownGraceMs} ms)`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${service.config.shutdownGraceMs} ms, exiting`);
      process.exit(1);
    }, service.config.shutdownGraceMs);
    service
      .close()
      .then(() => shutdownTelemetry())
      .then(
        () => {
          clearTimeout(deadline);
          logger.info(`${service.config.service} stopped`);
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
