import { Logger as NestLogger, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { BUS_MIGRATIONS } from '@rollgate/bus';
import { EVENT_STORE_MIGRATIONS, EventStore, type MigrationClass } from '@rollgate/event-store';
import { LoggerModule } from 'nestjs-pino';
import { Pool } from 'pg';
import { ConsumerRegistry } from './consumer-registry';
import { HealthController } from './health.controller';
import { httpLoggerParams } from './http-logging';
import { ReadinessService } from './readiness.service';
import type { ServiceConfig } from './service-config';
import { ServiceRuntime } from './service-runtime.service';
import { NATS_CONNECTION, PG_POOL, SERVICE_CONFIG, SERVICE_MIGRATIONS } from './tokens';

export interface ServiceKitOptions {
  config: ServiceConfig;
  /** the service's own migrations; they run after the event store's and the bus's */
  migrations?: MigrationClass[];
}

/**
 * What every service shares: config, the pg pool, the NATS connection, the event store, the runtime that
 * migrates, provisions and relays, the health endpoints and the JSON logger. Global, so an app's handlers
 * and controllers inject PG_POOL, NATS_CONNECTION or EventStore without importing anything.
 */
@Module({})
export class ServiceKitModule {
  static forRoot({ config, migrations = [] }: ServiceKitOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: SERVICE_MIGRATIONS, useValue: [...EVENT_STORE_MIGRATIONS, ...BUS_MIGRATIONS, ...migrations] },
      { provide: PG_POOL, useFactory: () => createPool(config) },
      { provide: NATS_CONNECTION, useFactory: () => connectNats(config) },
      { provide: EventStore, useFactory: (pool: Pool) => new EventStore(pool), inject: [PG_POOL] },
      ConsumerRegistry,
      ReadinessService,
      ServiceRuntime,
    ];
    return {
      module: ServiceKitModule,
      global: true,
      imports: [LoggerModule.forRoot(httpLoggerParams(config))],
      controllers: [HealthController],
      providers,
      exports: [SERVICE_CONFIG, SERVICE_MIGRATIONS, PG_POOL, NATS_CONNECTION, EventStore, ConsumerRegistry, ServiceRuntime, ReadinessService],
    };
  }
}

function createPool(config: ServiceConfig): Pool {
  const pool = new Pool({ connectionString: config.databaseUrl, application_name: config.service });
  // An idle client losing its connection emits on the pool; unhandled, that would crash the process.
  pool.on('error', (error) => new NestLogger('postgres').warn(`idle database connection failed: ${error.message}`));
  return pool;
}

async function connectNats(config: ServiceConfig): Promise<NatsConnection> {
  return connect({
    servers: config.natsUrl.split(','),
    name: config.service,
    // Keep reconnecting for as long as the process lives; /readyz reports the outage meanwhile.
    maxReconnectAttempts: -1,
    // nats.js otherwise builds an Error with a stack trace for every request, in case it times out: a
    // third of the relay's CPU per published event. A timeout still says what timed out.
    noAsyncTraces: true,
  });
}
