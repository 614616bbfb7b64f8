import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { ReadModelsModule } from '../shared/read-models.module';
import { ActionCancellation } from './action-cancellation.service';
import { AssignedTargetsController } from './assigned-targets.controller';
import { TargetActionsController } from './target-actions.controller';

/** Actions over the Management API: manual assignment, a target's actions, their history and cancellation. */
@Module({
  imports: [IdentityModule, ReadModelsModule],
  controllers: [TargetActionsController, AssignedTargetsController],
  providers: [ActionCancellation],
})
export class ActionsModule {}
