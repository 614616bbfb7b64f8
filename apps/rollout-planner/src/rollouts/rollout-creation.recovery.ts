import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Projections } from '../shared/projections.service';
import { RolloutCreation } from './rollout-creation.service';
import { ROLLOUT_READ_MODELS } from './rollout-read-models';

/**
 * At start: a rollout still CREATING with no live planner creating it was abandoned by a crash, and is
 * failed cleanly (RolloutCreation.failAbandoned). It runs beside the start, once the read models have caught
 * up (they start in the same bootstrap phase), so a large backlog never delays readiness.
 */
@Injectable()
export class RolloutCreationRecovery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('rollout-creation-recovery');
  private recovery: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    @Inject(Projections) private readonly projections: Projections,
    @Inject(RolloutCreation) private readonly creation: RolloutCreation,
  ) {}

  onApplicationBootstrap(): void {
    this.recovery = this.recover().catch((error: unknown) => this.logger.error(`recovery of abandoned creations failed: ${(error as Error).message}`));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.recovery;
  }

  private async recover(): Promise<void> {
    // A large backlog (a million targets to project after a restart) can take longer than one catch-up wait.
    while (!this.stopping) {
      try {
        await this.projections.catchUp(ROLLOUT_READ_MODELS);
        break;
      } catch (error) {
        if (!this.projections.healthyFor(ROLLOUT_READ_MODELS)) throw error;
        this.logger.log(`waiting for the read models before checking abandoned creations: ${(error as Error).message}`);
      }
    }
    if (this.stopping) return;
    const failed = await this.creation.failAbandoned();
    if (failed.length > 0) await this.projections.catchUp(ROLLOUT_READ_MODELS);
  }
}
