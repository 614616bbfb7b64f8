import { Module, type DynamicModule } from '@nestjs/common';
import { EventStore, readLogPageLazily, type Checkpoint, type Queryable, type StoredEvent } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { GATEWAY_CONFIG, loadGatewayConfig } from './config';
import { DdiHttp } from './http/ddi-http.service';
import { GatewayMemory } from './memory/gateway-memory';
import { LogFollower } from './memory/log-follower.service';
import { CreateDeviceLastSeen1764700000000 } from './migrations/1764700000000-create-device-last-seen';

/**
 * The gateway's EventStore reads log pages lazily (readLogPageLazily): the log follower tails every event,
 * most of them the gateway's own appends, which memory already holds and skips by stream version without
 * looking at their payload. Decoding each row's data, metadata, time and hashes was most of the follower's
 * CPU under a feedback load.
 */
export class GatewayEventStore extends EventStore {
  constructor(private readonly readPool: Pool) {
    super(readPool);
  }

  override readAll(after: Checkpoint, limit = 1000, db: Queryable = this.readPool): Promise<StoredEvent[]> {
    return readLogPageLazily(db, after, limit);
  }
}

/** device-gateway's own tables, applied after the event store's and the bus's. */
export const DEVICE_GATEWAY_MIGRATIONS = [CreateDeviceLastSeen1764700000000];

/**
 * Composition root of device-gateway. The service kit (database, bus, health endpoints, logging) is added by
 * bootstrapService; here: the memory devices are answered from, the log follower that keeps it current and
 * the DDI routes. `env` is where the gateway's own settings are read (process.env in production).
 */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: AppModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: loadGatewayConfig(env) },
        { provide: GatewayMemory, useValue: new GatewayMemory() },
        { provide: EventStore, useFactory: (pool: Pool) => new GatewayEventStore(pool), inject: [PG_POOL] },
        LogFollower,
        DdiHttp,
      ],
      exports: [GatewayMemory, LogFollower, DdiHttp],
    };
  }
}
