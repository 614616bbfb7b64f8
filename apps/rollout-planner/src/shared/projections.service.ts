import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { actionsProjection, CATALOG_PROJECTIONS, rolloutsProjection, targetDeploymentsProjection, usersProjection } from '@rollgate/read-models';
import { EventStore, type Checkpoint, type Projection } from '@rollgate/event-store';
import { PG_POOL, ReadinessService, SERVICE_CONFIG, type ServiceConfig } from '@rollgate/service-kit';
import { Pool } from 'pg';
import { ReadModelLagError } from '@rollgate/shared-domain';
import { ProjectionGroupRunner } from './projection-group.runner';

/** How long a write waits for its read models before answering; past it the client gets an error, not stale data. */
const CATCH_UP_TIMEOUT_MS = 10_000;
/**
 * The read models in lanes that tail the log independently. A lane applies each batch to all of its read
 * models before it reads the next, so one slow read model holds back its whole lane: the rollouts read model
 * (the rollouts routes' only one) runs alone, so that no other read model can delay a rollout write.
 * Each lane has connections of its own: one listens, the others apply a batch to that many read models at
 * once. Shared, the larger lane's eleven read models took every connection at each batch, and a rollout
 * creation's read model waited for them before copying its membership (~0.5 s of a 100k creation under load).
 */
const LANES: ReadonlyArray<{ projections: readonly Projection[]; connections: number }> = [
  { projections: [rolloutsProjection], connections: 2 },
  { projections: [...CATALOG_PROJECTIONS, usersProjection, actionsProjection, targetDeploymentsProjection], connections: 6 },
];

/**
 * Runs the planner's read models. They start after the migrations (onApplicationBootstrap) and stop before
 * the pool closes. `catchUp` lets a write answer only once its own events are visible in the read models it
 * reads.
 */
@Injectable()
export class Projections implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('projections');
  private readonly lanes: ProjectionGroupRunner[];
  private readonly pools: Pool[];

  constructor(
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(ReadinessService) readiness: ReadinessService,
    @Inject(PG_POOL) servicePool: Pool,
  ) {
    // Small pools of their own (one per lane, see LANES). The service's pool stays for requests (the read
    // models once held a listener each there and starved it).
    this.pools = LANES.map(({ connections }) => {
      const pool = new Pool({ connectionString: config.databaseUrl, max: connections, idleTimeoutMillis: 5_000, application_name: `${config.service}-projections` });
      // An idle client losing its connection (a PostgreSQL restart) emits on the pool; unhandled, the process dies.
      pool.on('error', (error) => new Logger('postgres').warn(`idle projection connection failed: ${error.message}`));
      return pool;
    });
    // Short idle polls: a NOTIFY wakes the tailer anyway, the poll only covers a late commit.
    // The log's pages are read on the service's pool (as EventStore.readAll did), so that a lane's read never
    // queues behind its own batches on its small pool.
    this.lanes = LANES.map(({ projections }, i) => new ProjectionGroupRunner(this.pools[i], store, projections, { idleMs: 50, readPool: servicePool }));
    // Writes wait for the read models: a planner whose projections stopped cannot answer, so it is not ready.
    readiness.addCheck('projections', () => {
      const stopped = this.stopped();
      if (stopped.length > 0) throw new Error(`stopped: ${stopped.join(', ')}`);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const lane of this.lanes) await lane.start();
    this.logger.log(`running ${this.names.join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.stop()));
    await Promise.all(this.pools.map((pool) => pool.end()));
  }

  /**
   * Resolves once the named read models (every one when none is named) have applied every event committed
   * before the call. A write waits only for the read models it answers from: an unrelated read model lagging
   * behind (or stopped) must not fail it. The runners know in memory how far each projection has applied the
   * log, so waiting costs no queries.
   */
  async catchUp(readModels: readonly string[] = this.names): Promise<void> {
    const unknown = readModels.filter((name) => !this.names.includes(name));
    if (unknown.length > 0) throw new Error(`no read model named ${unknown.join(', ')} in this service`);
    const target = await this.store.head();
    if (!target) return;
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    for (;;) {
      const behind = this.behind(target).filter((name) => readModels.includes(name));
      if (behind.length === 0) return;
      const stopped = this.stopped().filter((name) => readModels.includes(name));
      if (stopped.length > 0) throw new Error(`read models ${stopped.join(', ')} stopped following the log`, { cause: this.failureOf(readModels) });
      if (Date.now() > deadline) {
        throw new ReadModelLagError(`the change was recorded, but read models ${behind.join(', ')} did not catch up within ${CATCH_UP_TIMEOUT_MS} ms; read it again shortly instead of repeating the request`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** True while the named read models (every one when none is named) still follow the log. */
  healthyFor(readModels: readonly string[] = this.names): boolean {
    const stopped = this.stopped();
    return !readModels.some((name) => stopped.includes(name));
  }

  get healthy(): boolean {
    return this.healthyFor();
  }

  private get names(): string[] {
    return this.lanes.flatMap((lane) => lane.names);
  }

  private stopped(): string[] {
    return this.lanes.flatMap((lane) => lane.stopped());
  }

  private behind(target: Checkpoint): string[] {
    return this.lanes.flatMap((lane) => lane.behind(target));
  }

  /** The failure of the first lane holding one of the named read models that stopped. */
  private failureOf(readModels: readonly string[]): unknown {
    const lane = this.lanes.find((l) => l.stopped().some((name) => readModels.includes(name)));
    return lane?.failureOf();
  }
}
