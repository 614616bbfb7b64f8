import type { DistributionSetEvent } from '@rollgate/catalog-domain';
import { entityTableProjection } from '../entity-table.projection';

type DataOf<T extends DistributionSetEvent['type']> = Extract<DistributionSetEvent, { type: T }>['data'];

export const distributionSetsProjection = entityTableProjection<DataOf<'distribution-set-created'>, DataOf<'distribution-set-updated'>>({
  name: 'distribution-sets',
  table: 'distribution_sets',
  aggregate: 'distributionset',
  columns: { name: 'text', version: 'text', type: 'text', description: 'text', required_migration_step: 'boolean', modules: 'jsonb', require_signed_artifacts: 'boolean' },
  created: {
    event: 'distribution-set-created',
    values: (d) => ({
      name: d.name,
      version: d.version,
      type: d.type,
      description: d.description,
      required_migration_step: d.requiredMigrationStep,
      modules: JSON.stringify(d.modules),
      require_signed_artifacts: d.requireSignedArtifacts ?? false,
    }),
  },
  updated: { event: 'distribution-set-updated', values: (d) => ({ description: d.description, required_migration_step: d.requiredMigrationStep, require_signed_artifacts: d.requireSignedArtifacts }) },
  deleted: 'distribution-set-deleted',
});
