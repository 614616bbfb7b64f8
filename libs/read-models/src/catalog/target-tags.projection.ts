import type { TargetTagEvent } from '@rollgate/catalog-domain';
import { entityTableProjection } from '../entity-table.projection';

type DataOf<T extends TargetTagEvent['type']> = Extract<TargetTagEvent, { type: T }>['data'];

/** Target tags; which targets carry a tag is the targets read model's `tags` column (what `tags.name` filters). */
export const targetTagsProjection = entityTableProjection<DataOf<'target-tag-created'>, DataOf<'target-tag-updated'>>({
  name: 'target-tags',
  table: 'target_tags',
  aggregate: 'targettag',
  columns: { name: 'text', description: 'text', colour: 'text' },
  created: { event: 'target-tag-created', values: (d) => ({ name: d.name, description: d.description, colour: d.colour }) },
  updated: { event: 'target-tag-updated', values: (d) => ({ description: d.description, colour: d.colour }) },
  deleted: 'target-tag-deleted',
});
