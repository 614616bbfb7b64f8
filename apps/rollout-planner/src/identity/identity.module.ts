import { Module } from '@nestjs/common';
import { AggregateRepository } from '../shared/aggregate.repository';
import { ReadModelsModule } from '../shared/read-models.module';
import { Authenticator } from './authenticator.service';
import { BootstrapAdmin } from './bootstrap-admin.service';
import { IdentityService } from './identity.service';
import { PasswordHasher } from './password-hasher';
import { RestAuthGuard } from './rest-auth.guard';
import { UserInfoController, UsersController } from './users.controller';

/** Users, API tokens, authentication and the bootstrap administrator. PLANNER_CONFIG comes from AppModule (global). */
@Module({
  imports: [ReadModelsModule],
  controllers: [UsersController, UserInfoController],
  providers: [AggregateRepository, PasswordHasher, IdentityService, Authenticator, RestAuthGuard, BootstrapAdmin],
  exports: [AggregateRepository, Authenticator, RestAuthGuard],
})
export class IdentityModule {}
