import { actionTransitionOf } from '@rollgate/scheduling-domain';
import { eventName, streamKey, type LoggedEvent, type ReadModelProjection, type SqlClient } from '../read-model';

/** The parts of action-created this read model keeps (libs/rollout/domain action.types.ts). */
interface ActionCreated {
  targetId: string;
  distributionSetId: string;
  rolloutId?: string;
  groupId?: string;
  actionType: string;
  status: string;
}

/**
 * `target_deployments` (docs/event-flow.md, "Read models shared by several services"): per tenant and target
 * the assigned and installed distribution set, the previously installed one (what a rollback returns to) and
 * the last action with its status and rollout. Projected from action events; `target_deployment_actions`
 * remembers each action's target and distribution set, which later action events do not repeat.
 * A target no action ever touched has no row (its installed set is not known from the log).
 */
export const targetDeploymentsProjection: ReadModelProjection = {
  name: 'target-deployments',
  tables: ['target_deployments', 'target_deployment_actions'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('target_deployments')}" (
        tenant                 text   NOT NULL,
        target_id              text   NOT NULL,
        assigned_ds            text,
        installed_ds           text,
        previous_installed_ds  text,
        last_action_id         text   NOT NULL,
        last_action_status     text   NOT NULL,
        last_rollout_id        text,
        updated_at             bigint NOT NULL,
        PRIMARY KEY (tenant, target_id)
      )`);
    await db.query(`CREATE INDEX ON "${t('target_deployments')}" (tenant, last_rollout_id)`);
    await db.query(`
      CREATE TABLE "${t('target_deployment_actions')}" (
        tenant       text NOT NULL,
        action_id    text NOT NULL,
        target_id    text NOT NULL,
        ds_id        text NOT NULL,
        rollout_id   text,
        action_type  text NOT NULL,
        PRIMARY KEY (tenant, action_id)
      )`);
  },

  async apply(db, events, t) {
    const tables = { deployments: `"${t('target_deployments')}"`, actions: `"${t('target_deployment_actions')}"` };
    for (const e of events) {
      const { aggregate, event } = eventName(e.type);
      if (aggregate !== 'action') continue;
      if (event === 'action-created') await created(db, tables, e);
      else await changed(db, tables, event, e);
    }
  },
};

interface Tables {
  deployments: string;
  actions: string;
}

async function created(db: SqlClient, t: Tables, e: LoggedEvent): Promise<void> {
  const d = e.data as ActionCreated;
  if (typeof d.targetId !== 'string' || typeof d.distributionSetId !== 'string') return;
  const actionId = streamKey(e.streamId);
  const at = atOf(e);
  await db.query(
    `INSERT INTO ${t.actions} (tenant, action_id, target_id, ds_id, rollout_id, action_type) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [e.tenant, actionId, d.targetId, d.distributionSetId, d.rolloutId ?? null, d.actionType ?? 'forced'],
  );
  await db.query(
    `INSERT INTO ${t.deployments} (tenant, target_id, assigned_ds, last_action_id, last_action_status, last_rollout_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant, target_id) DO UPDATE SET assigned_ds = EXCLUDED.assigned_ds, last_action_id = EXCLUDED.last_action_id,
       last_action_status = EXCLUDED.last_action_status, last_rollout_id = EXCLUDED.last_rollout_id, updated_at = EXCLUDED.updated_at`,
    [e.tenant, d.targetId, d.distributionSetId, actionId, d.status ?? 'SCHEDULED', d.rolloutId ?? null, at],
  );
}

async function changed(db: SqlClient, t: Tables, event: string, e: LoggedEvent): Promise<void> {
  const transition = actionTransitionOf(event, e.data);
  if (!transition) return;
  const actionId = streamKey(e.streamId);
  const { rows } = await db.query(`SELECT target_id, ds_id, action_type FROM ${t.actions} WHERE tenant = $1 AND action_id = $2`, [e.tenant, actionId]);
  const action = rows[0] as { target_id: string; ds_id: string; action_type: string } | undefined;
  if (!action) return;
  const at = atOf(e);
  // Only the target's latest action speaks for its assignment; an older one finishing late still installs.
  await db.query(`UPDATE ${t.deployments} SET last_action_status = $4, updated_at = $5 WHERE tenant = $1 AND target_id = $2 AND last_action_id = $3`, [e.tenant, action.target_id, actionId, transition.to, at]);
  if (transition.to === 'FINISHED' && action.action_type !== 'downloadonly') {
    await db.query(
      `UPDATE ${t.deployments}
          SET previous_installed_ds = CASE WHEN installed_ds IS DISTINCT FROM $3 THEN installed_ds ELSE previous_installed_ds END,
              installed_ds = $3, updated_at = $4
        WHERE tenant = $1 AND target_id = $2`,
      [e.tenant, action.target_id, action.ds_id, at],
    );
  } else if (transition.to === 'CANCELED') {
    // hawkBit: a cancelled assignment falls back to what is installed.
    await db.query(`UPDATE ${t.deployments} SET assigned_ds = installed_ds WHERE tenant = $1 AND target_id = $2 AND last_action_id = $3`, [e.tenant, action.target_id, actionId]);
  }
}

function atOf(e: LoggedEvent): number {
  const at = (e.data as { at?: unknown }).at;
  return typeof at === 'number' ? at : e.recordedAt.getTime();
}

export interface TargetDeployment {
  targetId: string;
  assignedDs: string | null;
  installedDs: string | null;
  previousInstalledDs: string | null;
  lastActionId: string;
  lastActionStatus: string;
  lastRolloutId: string | null;
}

/** The deployments of the given targets (those with any action), for a rollback plan or the API. */
export async function targetDeployments(db: SqlClient, tenant: string, targetIds: readonly string[]): Promise<TargetDeployment[]> {
  if (targetIds.length === 0) return [];
  const { rows } = await db.query(
    `SELECT target_id, assigned_ds, installed_ds, previous_installed_ds, last_action_id, last_action_status, last_rollout_id
       FROM target_deployments WHERE tenant = $1 AND target_id = ANY($2::text[])`,
    [tenant, targetIds],
  );
  return rows.map((r: Record<string, string | null>) => ({
    targetId: r.target_id as string, assignedDs: r.assigned_ds, installedDs: r.installed_ds, previousInstalledDs: r.previous_installed_ds,
    lastActionId: r.last_action_id as string, lastActionStatus: r.last_action_status as string, lastRolloutId: r.last_rollout_id,
  }));
}
