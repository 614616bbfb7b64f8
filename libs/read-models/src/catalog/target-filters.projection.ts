import type { TargetFilterEvent } from '@rollgate/catalog-domain';
import { applyEach, streamKey, type ReadModelProjection } from '../read-model';

export const targetFiltersProjection: ReadModelProjection = {
  name: 'target-filters',
  tables: ['target_filters'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('target_filters')}" (
        tenant           text   NOT NULL,
        id               text   NOT NULL,
        name             text   NOT NULL,
        query            text   NOT NULL,
        created_at       bigint NOT NULL,
        created_by       text   NOT NULL,
        last_modified_at bigint NOT NULL,
        last_modified_by text   NOT NULL,
        PRIMARY KEY (tenant, id)
      )`);
    await db.query(`CREATE INDEX ON "${t('target_filters')}" (tenant, created_at)`);
  },

  async apply(db, events, t) {
    const table = `"${t('target_filters')}"`;
    await applyEach(events, 'targetfilter', async (name, e) => {
      const event = { type: name, data: e.data } as TargetFilterEvent;
      const id = streamKey(e.streamId);
      switch (event.type) {
        case 'target-filter-created': {
          const d = event.data;
          await db.query(
            `INSERT INTO ${table} (tenant, id, name, query, created_at, created_by, last_modified_at, last_modified_by) VALUES ($1, $2, $3, $4, $5, $6, $5, $6)`,
            [e.tenant, id, d.name, d.query, d.at, d.by],
          );
          return;
        }
        case 'target-filter-updated': {
          const d = event.data;
          await db.query(
            `UPDATE ${table} SET name = COALESCE($3, name), query = COALESCE($4, query), last_modified_at = $5, last_modified_by = $6 WHERE tenant = $1 AND id = $2`,
            [e.tenant, id, d.name ?? null, d.query ?? null, d.at, d.by],
          );
          return;
        }
        case 'target-filter-deleted':
          await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND id = $2`, [e.tenant, id]);
      }
    });
  },
};
