import type { TenantConfigEvent } from '@rollgate/catalog-domain';
import { applyEach, type ReadModelProjection } from '../read-model';

/** Explicitly set configuration values per tenant; absent keys read as their defaults. */
export const tenantConfigsProjection: ReadModelProjection = {
  name: 'tenant-configs',
  tables: ['tenant_configs'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('tenant_configs')}" (
        tenant           text   NOT NULL,
        key              text   NOT NULL,
        value            jsonb  NOT NULL,
        created_at       bigint NOT NULL,
        created_by       text   NOT NULL,
        last_modified_at bigint NOT NULL,
        last_modified_by text   NOT NULL,
        PRIMARY KEY (tenant, key)
      )`);
  },

  async apply(db, events, t) {
    const table = `"${t('tenant_configs')}"`;
    await applyEach(events, 'tenantconfig', async (name, e) => {
      const event = { type: name, data: e.data } as TenantConfigEvent;
      switch (event.type) {
        case 'config-value-set': {
          const { key, value, by, at } = event.data;
          await db.query(
            `INSERT INTO ${table} (tenant, key, value, created_at, created_by, last_modified_at, last_modified_by) VALUES ($1, $2, $3, $4, $5, $4, $5)
             ON CONFLICT (tenant, key) DO UPDATE SET value = EXCLUDED.value, last_modified_at = EXCLUDED.last_modified_at, last_modified_by = EXCLUDED.last_modified_by`,
            [e.tenant, key, JSON.stringify(value), at, by],
          );
          return;
        }
        case 'config-value-deleted':
          await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND key = $2`, [e.tenant, event.data.key]);
      }
    });
  },
};
