import type { SoftwareModuleEvent } from '@rollgate/catalog-domain';
import { applyEach, streamKey, type ReadModelProjection } from '../read-model';

export const softwareModulesProjection: ReadModelProjection = {
  name: 'software-modules',
  tables: ['software_modules'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('software_modules')}" (
        tenant           text   NOT NULL,
        id               text   NOT NULL,
        name             text   NOT NULL,
        version          text   NOT NULL,
        type             text   NOT NULL,
        description      text   NOT NULL,
        vendor           text   NOT NULL,
        created_at       bigint NOT NULL,
        created_by       text   NOT NULL,
        last_modified_at bigint NOT NULL,
        last_modified_by text   NOT NULL,
        PRIMARY KEY (tenant, id)
      )`);
    await db.query(`CREATE INDEX ON "${t('software_modules')}" (tenant, created_at)`);
  },

  async apply(db, events, t) {
    const table = `"${t('software_modules')}"`;
    await applyEach(events, 'softwaremodule', async (name, e) => {
      const event = { type: name, data: e.data } as SoftwareModuleEvent;
      const id = streamKey(e.streamId);
      switch (event.type) {
        case 'software-module-created': {
          const d = event.data;
          await db.query(
            `INSERT INTO ${table} (tenant, id, name, version, type, description, vendor, created_at, created_by, last_modified_at, last_modified_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9)`,
            [e.tenant, id, d.name, d.version, d.type, d.description, d.vendor, d.at, d.by],
          );
          return;
        }
        case 'software-module-updated': {
          const d = event.data;
          await db.query(
            `UPDATE ${table} SET description = COALESCE($3, description), vendor = COALESCE($4, vendor), last_modified_at = $5, last_modified_by = $6 WHERE tenant = $1 AND id = $2`,
            [e.tenant, id, d.description ?? null, d.vendor ?? null, d.at, d.by],
          );
          return;
        }
        case 'software-module-deleted':
          await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND id = $2`, [e.tenant, id]);
      }
    });
  },
};
