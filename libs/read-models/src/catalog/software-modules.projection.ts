import type { SoftwareModuleEvent } from '@rollgate/catalog-domain';
import { entityTableProjection } from '../entity-table.projection';

type DataOf<T extends SoftwareModuleEvent['type']> = Extract<SoftwareModuleEvent, { type: T }>['data'];

export const softwareModulesProjection = entityTableProjection<DataOf<'software-module-created'>, DataOf<'software-module-updated'>>({
  name: 'software-modules',
  table: 'software_modules',
  aggregate: 'softwaremodule',
  columns: { name: 'text', version: 'text', type: 'text', description: 'text', vendor: 'text' },
  created: { event: 'software-module-created', values: (d) => ({ name: d.name, version: d.version, type: d.type, description: d.description, vendor: d.vendor }) },
  updated: { event: 'software-module-updated', values: (d) => ({ description: d.description, vendor: d.vendor }) },
  deleted: 'software-module-deleted',
});
