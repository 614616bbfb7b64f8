import { Global, Module, type DynamicModule } from '@nestjs/common';
import { loadPlannerConfig, PLANNER_CONFIG } from './config';
import { ActionsModule } from './actions/actions.module';
import { AuditModule } from './audit/audit.module';
import { CatalogModule } from './catalog/catalog.module';
import { IdentityModule } from './identity/identity.module';
import { OpenApiModule } from './openapi/openapi.module';
import { RolloutsModule } from './rollouts/rollouts.module';

@Global()
@Module({})
class PlannerConfigModule {}

/**
 * Composition root of rollout-planner. The service kit (database, bus, health endpoints, logging) is added by
 * bootstrapService; the service's own controllers, event handlers and projections are registered here.
 * `env` is where the planner's own settings are read (process.env in production, a test's own in specs).
 */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const config = { module: PlannerConfigModule, providers: [{ provide: PLANNER_CONFIG, useValue: loadPlannerConfig(env) }], exports: [PLANNER_CONFIG] };
    return { module: AppModule, imports: [config, IdentityModule, CatalogModule, ActionsModule, RolloutsModule, AuditModule.forRoot(env), OpenApiModule] };
  }
}
