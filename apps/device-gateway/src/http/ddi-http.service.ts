import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/nats-core';
import { EventStore } from '@rollgate/event-store';
import { NATS_CONNECTION, PG_POOL, SERVICE_CONFIG, type ServiceConfig } from '@rollgate/service-kit';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { RegionalLinks } from '../artifacts/regional-links';
import { signedArtifactLinks } from '../artifacts/signed-links';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayMemory } from '../memory/gateway-memory';
import { LastSeenRecorder } from '../memory/last-seen.recorder';
import { TelemetryPublisher } from '../telemetry/telemetry.publisher';
import { ActionCommands } from '../writes/action-commands';
import { GroupCommitter } from '../writes/group-committer';
import { TargetWrites } from '../writes/target-writes';
import { ddiRoutes } from './ddi.routes';
import { RateLimiter } from './rate-limiter';

/** Where the DDI lives, as in hawkBit. */
export const DDI_PREFIX = '/:tenant/controller/v1/:controllerId';

/**
 * Group commit settings, measured (gateway bench): the event store looks up each stream's head one after the
 * other inside an append, so many smaller transactions in parallel commit more per second than a few big
 * ones. The committer gets connections of its own so that the relay and the log follower never wait behind it.
 */
const WRITE_CONNECTIONS = 6;
const COMMITS_IN_FLIGHT = 6;
const APPENDS_PER_COMMIT = 32;

/**
 * Wires the DDI routes into the Fastify instance Nest runs on (before it listens), with the write path,
 * telemetry and the batched last-seen writer they use.
 */
@Injectable()
export class DdiHttp implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ddi');
  readonly committer: GroupCommitter;
  readonly actions: ActionCommands;
  private readonly lastSeen: LastSeenRecorder;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly writePool: Pool;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GatewayMemory) private readonly memory: GatewayMemory,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(PG_POOL) pool: Pool,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SERVICE_CONFIG) private readonly service: ServiceConfig,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.writePool = new Pool({ connectionString: service.databaseUrl, max: WRITE_CONNECTIONS, application_name: `${service.service}-writes` });
    this.writePool.on('error', (error) => this.logger.warn(`idle write connection failed: ${error.message}`));
    this.committer = new GroupCommitter(new EventStore(this.writePool), { maxInFlight: COMMITS_IN_FLIGHT, maxBatch: APPENDS_PER_COMMIT });
    this.actions = new ActionCommands(memory, this.committer, store);
    this.lastSeen = new LastSeenRecorder(pool);
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const config = this.config;
    void fastify.register(
      ddiRoutes({
        memory: this.memory,
        actions: this.actions,
        targets: new TargetWrites(this.memory, this.store),
        telemetry: new TelemetryPublisher(this.nc, this.service.busNames),
        lastSeen: this.lastSeen,
        limiter: new RateLimiter(config.rateLimitPerSecond, config.rateLimitBurst),
        config,
        links: (tenant, base) => signedArtifactLinks({ secret: config.linkSecret, artifactsUrl: config.artifactsUrl, now: Date.now }, tenant, base),
        regional: new RegionalLinks({ distributorUrl: config.distributorUrl, downloadToken: config.downloadToken }),
        clock: Date.now,
        log: (message) => this.logger.error(message),
      }),
      { prefix: DDI_PREFIX },
    );
    this.flushTimer = setInterval(() => void this.flushLastSeen(), config.lastSeenFlushMs);
    this.flushTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastSeen();
  }

  /** After the HTTP server closed: no request can append any more. */
  async onApplicationShutdown(): Promise<void> {
    await this.writePool.end();
  }

  private async flushLastSeen(): Promise<void> {
    await this.lastSeen.flush().catch((error: Error) => this.logger.warn(`last-seen flush failed, kept for the next one: ${error.message}`));
  }
}
