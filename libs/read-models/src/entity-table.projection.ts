import { applyEach, streamKey, type ReadModelProjection } from './read-model';

/** Every created/updated event of a catalog entity carries who and when. */
interface Audited {
  at: number;
  by: string;
}

export interface EntityTableSpec<Created extends Audited, Updated extends Audited> {
  name: string;
  table: string;
  /** the aggregate of the entity's events (`io.rollgate.<aggregate>.…`) */
  aggregate: string;
  /** the entity's own columns and their SQL types; tenant, id and the audit columns are added */
  columns: Record<string, string>;
  created: { event: string; values(data: Created): Record<string, unknown> };
  /** `values` answers undefined for what the update leaves unchanged */
  updated: { event: string; values(data: Updated): Record<string, unknown> };
  deleted: string;
}

/**
 * A read model of one catalog entity per row (software modules, distribution sets, target filters):
 * created inserts the row, updated changes the columns it names, deleted removes the row. Each entity
 * states only its columns and how its events map onto them.
 */
export function entityTableProjection<Created extends Audited, Updated extends Audited>(spec: EntityTableSpec<Created, Updated>): ReadModelProjection {
  const ownColumns = Object.entries(spec.columns);
  return {
    name: spec.name,
    tables: [spec.table],

    async createTables(db, t) {
      const columns = ownColumns.map(([column, type]) => `${column} ${type} NOT NULL,`).join('\n        ');
      await db.query(`
      CREATE TABLE "${t(spec.table)}" (
        tenant           text   NOT NULL,
        id               text   NOT NULL,
        ${columns}
        created_at       bigint NOT NULL,
        created_by       text   NOT NULL,
        last_modified_at bigint NOT NULL,
        last_modified_by text   NOT NULL,
        PRIMARY KEY (tenant, id)
      )`);
      await db.query(`CREATE INDEX ON "${t(spec.table)}" (tenant, created_at)`);
    },

    async apply(db, events, t) {
      const table = `"${t(spec.table)}"`;
      await applyEach(events, spec.aggregate, async (event, e) => {
        const id = streamKey(e.streamId);
        if (event === spec.created.event) {
          const data = e.data as Created;
          const values = spec.created.values(data);
          const names = Object.keys(values);
          const placeholders = names.map((_, i) => `$${i + 3}`);
          const at = names.length + 3;
          await db.query(
            `INSERT INTO ${table} (tenant, id, ${names.join(', ')}, created_at, created_by, last_modified_at, last_modified_by)
             VALUES ($1, $2, ${placeholders.join(', ')}, $${at}, $${at + 1}, $${at}, $${at + 1})`,
            [e.tenant, id, ...Object.values(values), data.at, data.by],
          );
        } else if (event === spec.updated.event) {
          const data = e.data as Updated;
          const values = Object.entries(spec.updated.values(data));
          const sets = values.map(([column], i) => `${column} = COALESCE($${i + 3}, ${column})`);
          const at = values.length + 3;
          await db.query(
            `UPDATE ${table} SET ${[...sets, `last_modified_at = $${at}`, `last_modified_by = $${at + 1}`].join(', ')} WHERE tenant = $1 AND id = $2`,
            [e.tenant, id, ...values.map(([, value]) => value ?? null), data.at, data.by],
          );
        } else if (event === spec.deleted) {
          await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND id = $2`, [e.tenant, id]);
        }
      });
    },
  };
}
