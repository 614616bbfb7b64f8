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
 * the pool closes. `catchUp` lets a write answer only once its own events are visible in the read models it reads.
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
   * Resolves once the named read models (every one when none is named) have applied every event committed
   * before the call. A write waits only for the read models it answers from: an unrelated read model lagging
   * behind (or stopped) must not fail it. The runner knows in memory how far each projection has applied the
   * log, so waiting costs no queries.
   */
  async catchUp(readModels: readonly string[] = this.runner.names): Promise<void> {
    const unknown = readModels.filter((name) => !this.runner.names.includes(name));
    if (unknown.length > 0) throw new Error(`no read model named ${unknown.join(', ')} in this service`);
    const target = await this.store.head();
    if (!target) return;
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    for (;;) {
      const behind = this.runner.behind(target).filter((name) => readModels.includes(name));
      if (behind.length === 0) return;
      const stopped = this.runner.stopped().filter((name) => readModels.includes(name));
      if (stopped.length > 0) throw new Error(`read models ${stopped.join(', ')} stopped following the log`, { cause: this.runner.failureOf() });
      if (Date.now() > deadline) throw new Error(`projections ${behind.join(', ')} did not catch up within ${CATCH_UP_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** True while the named read models (every one when none is named) still follow the log. */
  healthyFor(readModels: readonly string[] = this.runner.names): boolean {
    const stopped = this.runner.stopped();
    return !readModels.some((name) => stopped.includes(name));
  }

  get healthy(): boolean {
    return this.healthyFor();
  }
}
