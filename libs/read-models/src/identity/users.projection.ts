import type { UserEvent } from '@rollgate/identity-domain';

/**
 * Users as the Management API lists them. Password hashes stay in the log: no read model holds them.
 * Typed structurally like the event store's `Projection` (a domain lib may not import `pg` or the store),
 * so the service and the CLI can run and rebuild it.
 */
interface SqlClient {
  query(text: string, values?: unknown[]): Promise<unknown>;
}
interface LoggedEvent {
  tenant: string;
  streamId: string;
  type: string;
  data: unknown;
}

export const usersProjection = {
  name: 'users',
  tables: ['users'],

  async createTables(db: SqlClient, t: (logical: string) => string): Promise<void> {
    await db.query(`
      CREATE TABLE "${t('users')}" (
        tenant           text    NOT NULL,
        username         text    NOT NULL,
        permissions      text[]  NOT NULL,
        enabled          boolean NOT NULL,
        created_at       bigint  NOT NULL,
        created_by       text    NOT NULL,
        last_modified_at bigint  NOT NULL,
        last_modified_by text    NOT NULL,
        PRIMARY KEY (tenant, username)
      )`);
  },

  async apply(db: SqlClient, events: LoggedEvent[], t: (logical: string) => string): Promise<void> {
    const table = `"${t('users')}"`;
    for (const e of events) {
      const [, , aggregate, name] = e.type.split('.');
      if (aggregate !== 'user') continue;
      const event = { type: name, data: e.data } as UserEvent;
      if (event.type === 'user-created') {
        const d = event.data;
        await db.query(
          `INSERT INTO ${table} (tenant, username, permissions, enabled, created_at, created_by, last_modified_at, last_modified_by) VALUES ($1, $2, $3, true, $4, $5, $4, $5)`,
          [e.tenant, d.username, d.permissions, d.at, d.createdBy],
        );
        continue;
      }
      // The username is the stream's key; user events after creation carry only what changed.
      const username = e.streamId.slice(`user-${e.tenant}-`.length);
      const permissions = event.type === 'user-permissions-changed' ? event.data.permissions : null;
      const disable = event.type === 'user-disabled';
      await db.query(
        `UPDATE ${table} SET permissions = COALESCE($3, permissions), enabled = enabled AND NOT $4, last_modified_at = $5, last_modified_by = $6 WHERE tenant = $1 AND username = $2`,
        [e.tenant, username, permissions, disable, event.data.at, event.data.by],
      );
    }
  },
};
