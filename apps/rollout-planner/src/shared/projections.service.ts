import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { actionsProjection, CATALOG_PROJECTIONS, rolloutsProjection, targetDeploymentsProjection, usersProjection } from '@rollgate/read-models';
import { EventStore, type Projection } from '@rollgate/event-store';
import { ReadinessService, SERVICE_CONFIG, type ServiceConfig } from '@rollgate/service-kit';
import { Pool } from 'pg';
import { ProjectionGroupRunner } from './projection-group.runner';

/** How long a write waits for its read models before answering; past it the client gets an error, not stale data. */
const CATCH_UP_TIMEOUT_MS = 10_000;
/** The listener plus up to five read models applying a batch at the same time. */
const PROJECTION_CONNECTIONS = 6;

/**
 * Runs the planner's read models. They start after the migrations (onApplicationBootstrap) and stop before
 * the pool closes. `catchUp` lets a write answer only once its own events are visible in every read model.
 */
@Injectable()
export class Projections implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('projections');
  private readonly runner: ProjectionGroupRunner;
  private readonly pool: Pool;

  constructor(@Inject(SERVICE_CONFIG) config: ServiceConfig, @Inject(EventStore) private readonly store: EventStore, @Inject(ReadinessService) readiness: ReadinessService) {
    const projections: readonly Projection[] = [...CATALOG_PROJECTIONS, usersProjection, rolloutsProjection, actionsProjection, targetDeploymentsProjection];
    // A small pool of their own: one connection LISTENs, the others apply a batch to several read models at
    // once. The service's pool stays for requests (the read models once held a listener each there and starved it).
    this.pool = new Pool({ connectionString: config.databaseUrl, max: PROJECTION_CONNECTIONS, idleTimeoutMillis: 5_000, application_name: `${config.service}-projections` });
    // Short idle polls: a NOTIFY wakes the tailer anyway, the poll only covers a late commit.
    this.runner = new ProjectionGroupRunner(this.pool, store, projections, { idleMs: 50 });
    // Writes wait for the read models: a planner whose projections stopped cannot answer, so it is not ready.
    readiness.addCheck('projections', () => {
      const stopped = this.runner.stopped();
      if (stopped.length > 0) throw new Error(`stopped: ${stopped.join(', ')}`);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
    this.logger.log(`running ${this.runner.names.join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.pool.end();
  }

  /**
   * Resolves once every read model has applied every event committed before the call. The runner knows in
   * memory how far each projection has applied the log, so waiting costs no queries.
   */
  async catchUp(): Promise<void> {
    const target = await this.store.head();
    if (!target) return;
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    while (!this.runner.reached(target)) {
      const failure = this.runner.failureOf();
      if (failure !== undefined) throw failure;
      if (Date.now() > deadline) throw new Error(`projections ${this.runner.behind(target).join(', ')} did not catch up within ${CATCH_UP_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  get healthy(): boolean {
    return this.runner.stopped().length === 0;
  }
}
