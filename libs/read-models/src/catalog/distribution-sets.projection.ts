import type { DistributionSetEvent } from '@rollgate/catalog-domain';
import { applyEach, streamKey, type ReadModelProjection } from '../read-model';

export const distributionSetsProjection: ReadModelProjection = {
  name: 'distribution-sets',
  tables: ['distribution_sets'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('distribution_sets')}" (
        tenant                  text    NOT NULL,
        id                      text    NOT NULL,
        name                    text    NOT NULL,
        version                 text    NOT NULL,
        type                    text    NOT NULL,
        description             text    NOT NULL,
        required_migration_step boolean NOT NULL,
        modules                 jsonb   NOT NULL,
        created_at              bigint  NOT NULL,
        created_by              text    NOT NULL,
        last_modified_at        bigint  NOT NULL,
        last_modified_by        text    NOT NULL,
        PRIMARY KEY (tenant, id)
      )`);
    await db.query(`CREATE INDEX ON "${t('distribution_sets')}" (tenant, created_at)`);
  },

  async apply(db, events, t) {
    const table = `"${t('distribution_sets')}"`;
    await applyEach(events, 'distributionset', async (name, e) => {
      const event = { type: name, data: e.data } as DistributionSetEvent;
      const id = streamKey(e.streamId);
      switch (event.type) {
        case 'distribution-set-created': {
          const d = event.data;
          await db.query(
            `INSERT INTO ${table} (tenant, id, name, version, type, description, required_migration_step, modules, created_at, created_by, last_modified_at, last_modified_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10)`,
            [e.tenant, id, d.name, d.version, d.type, d.description, d.requiredMigrationStep, JSON.stringify(d.modules), d.at, d.by],
          );
          return;
        }
        case 'distribution-set-updated': {
          const d = event.data;
          await db.query(
            `UPDATE ${table} SET description = COALESCE($3, description), required_migration_step = COALESCE($4, required_migration_step), last_modified_at = $5, last_modified_by = $6
              WHERE tenant = $1 AND id = $2`,
            [e.tenant, id, d.description ?? null, d.requiredMigrationStep ?? null, d.at, d.by],
          );
          return;
        }
        case 'distribution-set-deleted':
          await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND id = $2`, [e.tenant, id]);
      }
    });
  },
};
