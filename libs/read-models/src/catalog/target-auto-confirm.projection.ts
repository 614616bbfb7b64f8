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
    await applyEach(events, 'target', async (name, e) => {
      const event = { type: name, data: e.data } as TargetEvent;
      const controllerId = streamKey(e.streamId);
      switch (event.type) {
        case 'target-auto-confirm-activated': {
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
          await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND controller_id = $2`, [e.tenant, controllerId]);
          return;
        default:
          return;
      }
    });
  },
};
