import type { TargetFilterEvent } from '@rollgate/catalog-domain';
import { entityTableProjection } from '../entity-table.projection';

type DataOf<T extends TargetFilterEvent['type']> = Extract<TargetFilterEvent, { type: T }>['data'];

export const targetFiltersProjection = entityTableProjection<DataOf<'target-filter-created'>, DataOf<'target-filter-updated'>>({
  name: 'target-filters',
  table: 'target_filters',
  aggregate: 'targetfilter',
  columns: { name: 'text', query: 'text' },
  created: { event: 'target-filter-created', values: (d) => ({ name: d.name, query: d.query }) },
  updated: { event: 'target-filter-updated', values: (d) => ({ name: d.name, query: d.query }) },
  deleted: 'target-filter-deleted',
});
