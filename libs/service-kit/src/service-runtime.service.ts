import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { EventRelay, provisionStreams } from '@rollgate/bus';
import { runMigrations, type MigrationClass } from '@rollgate/event-store';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import type { ServiceConfig } from './service-config';
import { NATS_CONNECTION, PG_POOL, SERVICE_CONFIG, SERVICE_MIGRATIONS } from './tokens';

/**
 * Brings the shared infrastructure up before the service takes traffic and down after it stopped:
 *
 * - up (onModuleInit, so before the consumer and the HTTP port start): migrations, then streams, then the
 *   relay. Every service starts a relay; the relay's advisory lock keeps exactly one publishing, and another
 *   takes over when that one's process ends.
 * - down (onApplicationShutdown, which Nest runs after the HTTP server finished its in-flight requests and
 *   the transport drained its consumer): relay, then NATS (drained, so the relay's last publishes are
 *   flushed), then the pool. Nothing here runs in onModuleDestroy: that hook fires before the HTTP server
 *   closes, and in-flight requests still need the pool.
 */
@Injectable()
export class ServiceRuntime implements OnModuleInit, OnApplicationShutdown {
  private relay: EventRelay | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) readonly config: ServiceConfig,
    @Inject(PG_POOL) readonly pool: Pool,
    @Inject(NATS_CONNECTION) readonly nc: NatsConnection,
    @Inject(SERVICE_MIGRATIONS) private readonly migrations: MigrationClass[],
    /** pino-shaped, which is what the bus's relay and consumer host log to */
    @InjectPinoLogger('runtime') readonly logger: PinoLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.config.databaseUrl, this.migrations);
    if (applied.length > 0) this.logger.info({ migrations: applied }, 'applied migrations');
    await provisionStreams(this.nc, this.config.busNames);
    this.relay = new EventRelay({ pool: this.pool, nc: this.nc, names: this.config.busNames, logger: this.logger });
    await this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stopRelay();
    await this.closeNats();
    await this.pool.end().catch((error: unknown) => this.logger.warn({ err: error }, 'closing the database pool failed'));
  }

  private async stopRelay(): Promise<void> {
    const relay = this.relay;
    this.relay = undefined;
    await relay?.stop().catch((error: unknown) => this.logger.warn({ err: error }, 'stopping the relay failed'));
  }

  private async closeNats(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(async (error: unknown) => {
      this.logger.warn({ err: error }, 'draining NATS failed, closing');
      await this.nc.close();
    });
  }
}
