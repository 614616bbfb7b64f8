import type { TargetEvent } from '@rollgate/catalog-domain';
import { applyEach, streamKey, type ReadModelProjection } from '../read-model';

/**
 * hawkBit's auto-confirmation per target: a row while it is active, none otherwise. A table of its own (not
 * columns of `targets`), so that databases filled before it existed simply gain it and replay the log into it.
 */
export const targetAutoConfirmProjection: ReadModelProjection = {
  name: 'target-auto-confirm',
  tables: ['target_auto_confirm'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('target_auto_confirm')}" (
        tenant        text   NOT NULL,
        controller_id text   NOT NULL,
        initiator     text,
        remark        text,
        activated_at  bigint NOT NULL,
        activated_by  text   NOT NULL,
        PRIMARY KEY (tenant, controller_id)
      )`);
  },

  async apply(db, events, t) {
    const table = `"${t('target_auto_confirm')}"`;
    // Removals are gathered and sent as one statement: a fleet registering (a million target-created events
    // replayed into a new database) must not cost a round trip per target. An activation first sends the
    // removals before it, so that the page's order holds.
    const removals = { tenants: [] as string[], controllerIds: [] as string[] };
    const flushRemovals = async () => {
      if (removals.tenants.length === 0) return;
      await db.query(
        `DELETE FROM ${table} a USING unnest($1::text[], $2::text[]) AS r(tenant, controller_id) WHERE a.tenant = r.tenant AND a.controller_id = r.controller_id`,
        [removals.tenants, removals.controllerIds],
      );
      removals.tenants = [];
      removals.controllerIds = [];
    };
    await applyEach(events, 'target', async (name, e) => {
      const event = { type: name, data: e.data } as TargetEvent;
      const controllerId = streamKey(e.streamId);
      switch (event.type) {
        case 'target-auto-confirm-activated': {
          await flushRemovals();
          const { initiator, remark, by, at } = event.data;
          await db.query(
            `INSERT INTO ${table} (tenant, controller_id, initiator, remark, activated_at, activated_by) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant, controller_id) DO UPDATE SET initiator = EXCLUDED.initiator, remark = EXCLUDED.remark, activated_at = EXCLUDED.activated_at, activated_by = EXCLUDED.activated_by`,
            [e.tenant, controllerId, initiator, remark, at, by],
          );
          return;
        }
        // A deleted target loses it, and one created again under the same id starts without it.
        case 'target-auto-confirm-deactivated':
        case 'target-deleted':
        case 'target-created':
          removals.tenants.push(e.tenant);
          removals.controllerIds.push(controllerId);
          return;
        default:
          return;
      }
    });
    await flushRemovals();
  },
};
