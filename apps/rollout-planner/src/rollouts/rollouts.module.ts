import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { ReadModelsModule } from '../shared/read-models.module';
import { RolloutCreationRecovery } from './rollout-creation.recovery';
import { RolloutCreation } from './rollout-creation.service';
import { RolloutPlanning } from './rollout-planning.service';
import { RolloutRetry } from './rollout-retry.service';
import { RolloutsController } from './rollouts.controller';

/** The Management API's rollouts: planning (and its dry run), creation, reads, approvals and operator transitions. */
@Module({
  imports: [IdentityModule, ReadModelsModule],
  controllers: [RolloutsController],
  providers: [RolloutPlanning, RolloutCreation, RolloutRetry, RolloutCreationRecovery],
})
export class RolloutsModule {}
