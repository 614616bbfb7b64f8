import { Module, type DynamicModule } from '@nestjs/common';
import { ArtifactsModule } from './artifacts.module';
import type { ArtifactsConfig } from './config';

/**
 * Composition root of artifact-distributor. The service kit (database, bus, health endpoints, logging) is added by
 * bootstrapService; the service's own controllers, event handlers and projections are registered here.
 */
@Module({})
export class AppModule {
  static forRoot(artifacts: ArtifactsConfig): DynamicModule {
    return { module: AppModule, imports: [ArtifactsModule.forRoot(artifacts)] };
  }
}
