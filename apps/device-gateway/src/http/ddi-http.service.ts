import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/nats-core';
import { EventStore } from '@rollgate/event-store';
import { NATS_CONNECTION, PG_POOL, SERVICE_CONFIG, type ServiceConfig } from '@rollgate/service-kit';
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
import { DdiLane } from './ddi-lane';
import { ddiRoutes } from './ddi.routes';
import { RateLimiter } from './rate-limiter';

/** Where the DDI lives, as in hawkBit. */
export const DDI_PREFIX = '/:tenant/controller/v1/:controllerId';

/**
 * Group commit settings, measured (gateway bench): a commit costs a few round trips and their protocol work
 * whatever its size (one head lookup for the streams it did not append to last, one COPY), and every commit
 * wakes the relay (a read, a publish and a seal transaction) and the log follower (a read) once more. So
 * one commit in flight at a time, taking everything that queued meanwhile, moves more feedback per CPU
 * second than several smaller ones: with 256 devices posting, 3 in flight made commits of ~30 events and
 * cost PostgreSQL about twice the CPU per message of 1 in flight (~70-120 events per commit). A commit of
 * 512 events takes a few milliseconds, far below what the answers wait for anyway. The committer gets
 * connections of its own (a refused batch is retried append by append on them) so that the relay and the
 * log follower never wait behind it.
 */
const WRITE_CONNECTIONS = 4;
const COMMITS_IN_FLIGHT = 1;
const APPENDS_PER_COMMIT = 512;

/**
 * Wires the DDI routes, on a lane of their own beside the service kit's Fastify (see DdiLane), into the
 * server Nest runs (before it listens), with the write path, telemetry and the batched last-seen writer.
 */
@Injectable()
export class DdiHttp implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ddi');
  readonly committer: GroupCommitter;
  readonly actions: ActionCommands;
  private readonly lastSeen: LastSeenRecorder;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly writePool: Pool;
  private readonly lane = new DdiLane();

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

  async onModuleInit(): Promise<void> {
    const config = this.config;
    // The service kit's request log wrote refusals at info; failures are logged where they are answered.
    this.lane.app.addHook('onResponse', (request, reply, done) => {
      if (reply.statusCode >= 400 && reply.statusCode < 500) this.logger.log(`${request.method} ${request.url.split('?')[0]} ${reply.statusCode}`);
      done();
    });
    await this.lane.app.register(
      ddiRoutes({
        memory: this.memory,
        actions: this.actions,
        targets: new TargetWrites(this.memory, this.store, this.committer),
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
    await this.lane.mount(this.adapterHost.httpAdapter.getHttpServer());
    this.flushTimer = setInterval(() => void this.flushLastSeen(), config.lastSeenFlushMs);
    this.flushTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.lane.drain();
    clearInterval(this.flushTimer);
    await this.flushLastSeen();
  }

  /** After the HTTP server closed: no request can append any more. */
  async onApplicationShutdown(): Promise<void> {
    await this.lane.close();
    await this.writePool.end();
  }

  private async flushLastSeen(): Promise<void> {
    await this.lastSeen.flush().catch((error: Error) => this.logger.warn(`last-seen flush failed, kept for the next one: ${error.message}`));
  }
}
