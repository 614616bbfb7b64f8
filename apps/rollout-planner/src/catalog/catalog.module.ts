import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { ReadModelsModule } from '../shared/read-models.module';
import { DistributionSetsController } from './distribution-sets.controller';
import { MultipartPassthrough } from './multipart-passthrough';
import { SoftwareModuleArtifactsController } from './software-module-artifacts.controller';
import { SoftwareModulesController } from './software-modules.controller';
import { SystemConfigsController } from './system-configs.controller';
import { TargetAutoConfirmController } from './target-auto-confirm.controller';
import { TargetFiltersController } from './target-filters.controller';
import { TargetTagsController } from './target-tags.controller';
import { TargetsController } from './targets.controller';

/** The Management API's catalog resources and their read models. */
@Module({
  imports: [IdentityModule, ReadModelsModule],
  controllers: [SystemConfigsController, TargetsController, SoftwareModulesController, SoftwareModuleArtifactsController, DistributionSetsController, TargetFiltersController, TargetTagsController, TargetAutoConfirmController],
  providers: [MultipartPassthrough],
})
export class CatalogModule {}
