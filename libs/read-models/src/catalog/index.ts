import { distributionSetsProjection } from './distribution-sets.projection';
import type { ReadModelProjection } from '../read-model';
import { softwareModuleArtifactsProjection } from './software-module-artifacts.projection';
import { softwareModulesProjection } from './software-modules.projection';
import { targetFiltersProjection } from './target-filters.projection';
import { targetAutoConfirmProjection } from './target-auto-confirm.projection';
import { targetsProjection } from './targets.projection';
import { targetTagsProjection } from './target-tags.projection';
import { tenantConfigsProjection } from './tenant-configs.projection';

export * from '../read-model';
export { distributionSetsProjection, softwareModuleArtifactsProjection, softwareModulesProjection, targetAutoConfirmProjection, targetFiltersProjection, targetsProjection, targetTagsProjection, tenantConfigsProjection };

/** Every read model of the catalog, for the service that runs them and the CLI that rebuilds them. */
export const CATALOG_PROJECTIONS: readonly ReadModelProjection[] = [tenantConfigsProjection, targetsProjection, softwareModulesProjection, softwareModuleArtifactsProjection, distributionSetsProjection, targetFiltersProjection, targetTagsProjection, targetAutoConfirmProjection];
