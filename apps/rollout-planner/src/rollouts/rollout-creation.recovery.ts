import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Projections } from '../shared/projections.service';
import { RolloutCreation } from './rollout-creation.service';

/**
 * At start: a rollout still CREATING with no live planner creating it was abandoned by a crash, and is
 * failed cleanly (RolloutCreation.failAbandoned). It runs beside the start, once the read models have caught
 * up (they start in the same bootstrap phase), so a large backlog never delays readiness.
 */
@Injectable()
export class RolloutCreationRecovery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('rollout-creation-recovery');
  private recovery: Promise<void> = Promise.resolve();

  constructor(
    @Inject(Projections) private readonly projections: Projections,
    @Inject(RolloutCreation) private readonly creation: RolloutCreation,
  ) {}

  onApplicationBootstrap(): void {
    this.recovery = this.recover().catch((error: unknown) => this.logger.error(`recovery of abandoned creations failed: ${(error as Error).message}`));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.recovery;
  }

  private async recover(): Promise<void> {
    await this.projections.catchUp();
    const failed = await this.creation.failAbandoned();
    if (failed.length > 0) await this.projections.catchUp();
  }
}
