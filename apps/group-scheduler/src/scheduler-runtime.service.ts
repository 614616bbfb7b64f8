import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventStore, ProjectionRunner } from '@rollgate/event-store';
import { targetDeploymentsProjection } from '@rollgate/read-models';
import { PG_POOL, ReadinessService } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { ActionProgressRunner } from './progress/action-progress.runner';
import { TimerRunner } from './timers/timer.runner';

/**
 * Starts the counters' log reader, the timer loop and the target_deployments read model (rollback plans read
 * it; with the planner running it too, its lock and checkpoint apply each event once) after the migrations;
 * stops them before the pool closes.
 */
@Injectable()
export class SchedulerRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly deployments: ProjectionRunner;

  constructor(
    @Inject(ActionProgressRunner) private readonly progress: ActionProgressRunner,
    @Inject(TimerRunner) private readonly timers: TimerRunner,
    @Inject(PG_POOL) pool: Pool,
    @Inject(EventStore) store: EventStore,
    @Inject(ReadinessService) readiness: ReadinessService,
  ) {
    this.deployments = new ProjectionRunner(pool, store, targetDeploymentsProjection, { idleMs: 50 });
    readiness.addCheck('action-progress', () => {
      if (!this.progress.healthy) throw new Error('group counters keep failing to apply');
    });
    readiness.addCheck('target-deployments', () => {
      if (!this.deployments.healthy) throw new Error('the target_deployments read model stopped');
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.deployments.start();
    await this.progress.start();
    await this.timers.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.progress.stop(), this.timers.stop(), this.deployments.stop()]);
  }
}
