import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { ReadModelsModule } from '../shared/read-models.module';
import { RolloutCreation } from './rollout-creation.service';
import { RolloutsController } from './rollouts.controller';

/** The Management API's rollouts: creation with planning, reads, approvals and operator transitions. */
@Module({
  imports: [IdentityModule, ReadModelsModule],
  controllers: [RolloutsController],
  providers: [RolloutCreation],
})
export class RolloutsModule {}
