import type { ModuleRef } from '@rollgate/catalog-domain';
import { audit, link } from '../shared/read-model.queries';

export interface SetRow {
  id: string;
  name: string;
  version: string;
  type: string;
  description: string;
  required_migration_step: boolean;
  modules: ModuleRef[];
  require_signed_artifacts: boolean;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

export function toSet(row: SetRow): Record<string, unknown> {
  return {
    id: row.id, name: row.name, version: row.version, type: row.type, typeName: row.type, description: row.description,
    requiredMigrationStep: row.required_migration_step, requireSignedArtifacts: row.require_signed_artifacts, complete: true, deleted: false,
    modules: row.modules.map((m) => ({ id: m.id, type: m.type })), ...audit(row), _links: link(`distributionsets/${row.id}`),
  };
}

