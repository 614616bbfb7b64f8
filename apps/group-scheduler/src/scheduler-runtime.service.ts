import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventStore, ProjectionRunner } from '@rollgate/event-store';
import { targetDeploymentsProjection, targetsProjection } from '@rollgate/read-models';
import { PG_POOL, ReadinessService } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { COUNTERS_POOL } from './counters-pool';
import { ActionProgressRunner } from './progress/action-progress.runner';
import { SharedLogPages } from './progress/shared-log-pages';
import { TimerRunner } from './timers/timer.runner';

/**
 * Starts the counters' log reader, the timer loop and the read models the scheduler reads: target_deployments
 * (rollback plans) and the planner's targets (dynamic rollouts' filters); with the planner running them too,
 * their locks and checkpoints apply each event once. The three log readers share their page reads
 * (SharedLogPages). After the migrations; stopped before the pool closes.
 */
@Injectable()
export class SchedulerRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly deployments: ProjectionRunner;
  /** the planner's targets read model, which dynamic rollouts match their filters against */
  private readonly targets: ProjectionRunner;

  constructor(
    @Inject(ActionProgressRunner) private readonly progress: ActionProgressRunner,
    @Inject(TimerRunner) private readonly timers: TimerRunner,
    @Inject(PG_POOL) pool: Pool,
    @Inject(EventStore) store: EventStore,
    @Inject(ReadinessService) readiness: ReadinessService,
    @Inject(SharedLogPages) pages: SharedLogPages,
    @Inject(COUNTERS_POOL) private readonly countersPool: Pool,
  ) {
    const reads = { idleMs: 50, batchSize: pages.pageSize, read: pages.read };
    this.deployments = new ProjectionRunner(pool, store, targetDeploymentsProjection, reads);
    this.targets = new ProjectionRunner(pool, store, targetsProjection, reads);
    readiness.addCheck('action-progress', () => {
      if (!this.progress.healthy) throw new Error('group counters keep failing to apply');
    });
    readiness.addCheck('target-deployments', () => {
      if (!this.deployments.healthy) throw new Error('the target_deployments read model stopped');
    });
    readiness.addCheck('targets', () => {
      if (!this.targets.healthy) throw new Error('the targets read model stopped');
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.deployments.start();
    await this.targets.start();
    await this.progress.start();
    await this.timers.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.progress.stop(), this.timers.stop(), this.deployments.stop(), this.targets.stop()]);
    await this.countersPool.end();
  }
}
