import { applyAttributes, type TargetCreatedData, type TargetEvent } from '@rollgate/catalog-domain';
import { eventName, streamKey, type LoggedEvent, type ReadModelProjection, type SqlClient } from '../read-model';

/**
 * Targets as the Management API lists them and as the filter language queries them: column names are the
 * filter compiler's defaults (DEFAULT_TARGET_COLUMNS), timestamps epoch milliseconds.
 */
export const targetsProjection: ReadModelProjection = {
  name: 'targets',
  tables: ['targets'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('targets')}" (
        tenant               text   NOT NULL,
        controller_id        text   NOT NULL,
        name                 text   NOT NULL,
        description          text   NOT NULL DEFAULT '',
        address              text,
        security_token       text   NOT NULL,
        update_status        text   NOT NULL DEFAULT 'UNKNOWN',
        last_target_query    bigint,
        attributes           jsonb  NOT NULL DEFAULT '{}',
        metadata             jsonb  NOT NULL DEFAULT '{}',
        target_group         text,
        tags                 text[] NOT NULL DEFAULT '{}',
        assigned_ds_name     text,
        assigned_ds_version  text,
        installed_ds_name    text,
        installed_ds_version text,
        target_type_key      text,
        target_type_name     text,
        device_type          text,
        region               text,
        site                 text,
        created_at           bigint NOT NULL,
        created_by           text   NOT NULL,
        last_modified_at     bigint NOT NULL,
        last_modified_by     text   NOT NULL,
        PRIMARY KEY (tenant, controller_id)
      )`);
    await db.query(`CREATE INDEX ON "${t('targets')}" (tenant, created_at)`);
    await db.query(`CREATE INDEX ON "${t('targets')}" (tenant, update_status)`);
  },

  /**
   * Consecutive creations (a bulk create is one append of many) go in as one set-based statement; everything
   * else is applied one event at a time, in log order.
   */
  async apply(db, events, t) {
    const table = `"${t('targets')}"`;
    let created: LoggedEvent[] = [];
    const flush = async () => {
      if (created.length > 0) await insertCreated(db, table, created);
      created = [];
    };
    for (const e of events) {
      const { aggregate, event } = eventName(e.type);
      if (aggregate === 'targettag' && event === 'target-tag-deleted') {
        await flush();
        // A deleted tag leaves every target it was on (hawkBit); names are unique among a tenant's live tags.
        await db.query(`UPDATE ${table} SET tags = array_remove(tags, $2) WHERE tenant = $1 AND $2 = ANY(tags)`, [e.tenant, (e.data as { name: string }).name]);
        continue;
      }
      if (aggregate !== 'target') continue;
      if (event === 'target-created') {
        created.push(e);
        continue;
      }
      await flush();
      await applyChange(db, table, e, { type: event, data: e.data } as TargetEvent);
    }
    await flush();
  },
};

async function insertCreated(db: SqlClient, table: string, events: LoggedEvent[]): Promise<void> {
  const rows = events.map((e) => ({ tenant: e.tenant, id: streamKey(e.streamId), data: e.data as TargetCreatedData }));
  // A re-created target starts over: nothing of the deleted one survives.
  await db.query(`DELETE FROM ${table} t USING unnest($1::text[], $2::text[]) AS c(tenant, controller_id) WHERE t.tenant = c.tenant AND t.controller_id = c.controller_id`, [
    rows.map((r) => r.tenant), rows.map((r) => r.id),
  ]);
  await db.query(
    `INSERT INTO ${table} (tenant, controller_id, name, description, address, security_token, created_at, created_by, last_modified_at, last_modified_by)
     SELECT tenant, controller_id, name, description, address, security_token, created_at, created_by, created_at, created_by
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])
         AS c(tenant, controller_id, name, description, address, security_token, created_at, created_by)`,
    [
      rows.map((r) => r.tenant), rows.map((r) => r.id), rows.map((r) => r.data.name), rows.map((r) => r.data.description),
      rows.map((r) => r.data.address), rows.map((r) => r.data.securityToken), rows.map((r) => r.data.at), rows.map((r) => r.data.by),
    ],
  );
}

async function applyChange(db: SqlClient, table: string, e: LoggedEvent, event: TargetEvent): Promise<void> {
  const controllerId = streamKey(e.streamId);
  switch (event.type) {
    case 'target-created':
      return insertCreated(db, table, [e]);
    case 'target-updated': {
      const d = event.data;
      await db.query(
        `UPDATE ${table} SET name = COALESCE($3, name), description = COALESCE($4, description),
                address = CASE WHEN $5::boolean THEN $6 ELSE address END, security_token = COALESCE($7, security_token),
                last_modified_at = $8, last_modified_by = $9
          WHERE tenant = $1 AND controller_id = $2`,
        [e.tenant, controllerId, d.name ?? null, d.description ?? null, 'address' in d, d.address ?? null, d.securityToken ?? null, d.at, d.by],
      );
      return;
    }
    case 'target-attributes-updated': {
      const result = (await db.query(`SELECT attributes FROM ${table} WHERE tenant = $1 AND controller_id = $2`, [e.tenant, controllerId])) as { rows: { attributes: Record<string, string> }[] };
      const current = result.rows[0]?.attributes ?? {};
      await db.query(`UPDATE ${table} SET attributes = $3 WHERE tenant = $1 AND controller_id = $2`, [
        e.tenant, controllerId, JSON.stringify(applyAttributes(current, event.data.mode, event.data.data)),
      ]);
      return;
    }
    case 'target-deleted':
      await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND controller_id = $2`, [e.tenant, controllerId]);
      return;
    case 'target-tagged':
      await db.query(`UPDATE ${table} SET tags = array_append(array_remove(tags, $3), $3) WHERE tenant = $1 AND controller_id = $2`, [e.tenant, controllerId, event.data.tagName]);
      return;
    case 'target-untagged':
      await db.query(`UPDATE ${table} SET tags = array_remove(tags, $3) WHERE tenant = $1 AND controller_id = $2`, [e.tenant, controllerId, event.data.tagName]);
  }
}
