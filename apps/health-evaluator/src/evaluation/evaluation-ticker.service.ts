import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HEALTH_CLOCK, HEALTH_CONFIG, type HealthConfig } from '../config';
import { HealthEvaluation } from './health-evaluation.service';

/**
 * Checks rollback triggers and device verification every `evaluationIntervalMs` (the seeds'
 * health_check_interval_seconds). Rounds never overlap: a slow round delays the next one.
 */
@Injectable()
export class EvaluationTicker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('evaluation-ticker');
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(HealthEvaluation) private readonly evaluation: HealthEvaluation,
    @Inject(HEALTH_CONFIG) private readonly config: HealthConfig,
    @Inject(HEALTH_CLOCK) private readonly clock: () => number,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.evaluation
        .tick(this.clock())
        .catch((error: unknown) => this.logger.warn(`evaluation round failed: ${(error as Error).message}`))
        .finally(() => this.schedule());
    }, this.config.evaluationIntervalMs);
  }
}
