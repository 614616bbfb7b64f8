import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { actionsProjection, CATALOG_PROJECTIONS, rolloutsProjection, targetDeploymentsProjection, usersProjection } from '@rollgate/read-models';
import { EventStore, isAfter, ProjectionRunner, type Checkpoint, type Projection } from '@rollgate/event-store';
import { ReadinessService, SERVICE_CONFIG, type ServiceConfig } from '@rollgate/service-kit';
import { Pool } from 'pg';

/** How long a write waits for its read models before answering; past it the client gets an error, not stale data. */
const CATCH_UP_TIMEOUT_MS = 10_000;

/**
 * Runs the planner's read models. They start after the migrations (onApplicationBootstrap) and stop before
 * the pool closes. `catchUp` lets a write answer only once its own events are visible in every read model.
 */
@Injectable()
export class Projections implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('projections');
  private readonly runners: ProjectionRunner[];
  private readonly pool: Pool;

  constructor(@Inject(SERVICE_CONFIG) config: ServiceConfig, @Inject(EventStore) private readonly store: EventStore, @Inject(ReadinessService) readiness: ReadinessService) {
    const projections: readonly Projection[] = [...CATALOG_PROJECTIONS, usersProjection, rolloutsProjection, actionsProjection, targetDeploymentsProjection];
    // A pool of their own: every runner holds one connection for LISTEN, so in the service's pool (pg's default
    // of 10) nine runners plus the relay left requests none and the planner hung at start. Batches are short
    // transactions: a few connections beyond the listeners are enough, and the server's limit is shared.
    this.pool = new Pool({ connectionString: config.databaseUrl, max: projections.length + 3, idleTimeoutMillis: 5_000, application_name: `${config.service}-projections` });
    // Short idle polls: a NOTIFY wakes the tailer anyway, the poll only covers a late commit.
    this.runners = projections.map((projection) => new ProjectionRunner(this.pool, store, projection, { idleMs: 50 }));
    // Writes wait for the read models: a planner whose projections stopped cannot answer, so it is not ready.
    readiness.addCheck('projections', () => {
      const stopped = this.runners.filter((runner) => !runner.healthy).map((runner) => runner.projection.name);
      if (stopped.length > 0) throw new Error(`stopped: ${stopped.join(', ')}`);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.start()));
    this.logger.log(`running ${this.runners.map((r) => r.projection.name).join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.pool.end();
  }

  /**
   * Resolves once every read model has applied every event committed before the call. Each runner knows in
   * memory how far it has read, so the wait costs no queries; only a runner that has not read a batch since
   * the service started is asked through its stored checkpoint (the lib's catchUp, which polls the database).
   * Many requests waiting at once (bulk writes under load) would otherwise poll once per runner every 20 ms.
   */
  async catchUp(): Promise<void> {
    const target = await this.store.head();
    if (!target) return;
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    for (;;) {
      const behind = this.runners.filter((runner) => !reached(runner.checkpoint, target));
      if (behind.length === 0) return;
      const unknown = behind.filter((runner) => runner.checkpoint === undefined || !runner.healthy);
      if (unknown.length > 0 || Date.now() > deadline) {
        // The stored checkpoint decides (and a stopped runner's failure surfaces here).
        await Promise.all(behind.map((runner) => runner.catchUp(Math.max(0, deadline - Date.now()))));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  get healthy(): boolean {
    return this.runners.every((runner) => runner.healthy);
  }
}

function reached(checkpoint: Checkpoint | undefined, target: Checkpoint): boolean {
  return checkpoint !== undefined && !isAfter(target, checkpoint);
}
