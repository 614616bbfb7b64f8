import { actionTransitionOf } from '@rollgate/scheduling-domain';
import { eventName, streamKey, type LoggedEvent, type ReadModelProjection, type SqlClient } from '../read-model';

/** Types of the action aggregate: `io.rollgate.action.<event>.v<n>` (libs/contracts event-type.ts). */
const ACTION_TYPES = 'io.rollgate.action.';

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

  /**
   * Set-based per batch: one read of the touched targets and actions, the events folded in memory in log
   * order, one upsert per table. A log reader's open transaction holds every other reader back (ARCHITECTURE,
   * "The event log"), so a batch of thousands of device events must not cost thousands of statements.
   */
  async apply(db, events, t) {
    // The scheduler's readers see every event of the log: a prefix test skips the others cheaply.
    const relevant = events.filter((e) => e.type.startsWith(ACTION_TYPES)).map((e) => ({ e, event: eventName(e.type).event }));
    if (relevant.length === 0) return;
    const tables = { deployments: `"${t('target_deployments')}"`, actions: `"${t('target_deployment_actions')}"` };
    const batch = new DeploymentBatch();
    for (const { e, event } of relevant) {
      if (event === 'action-created') batch.created(e);
      else batch.need(e.tenant, streamKey(e.streamId));
    }
    await batch.loadActions(db, tables);
    await batch.loadTargets(db, tables);
    for (const { e, event } of relevant) {
      if (event === 'action-created') batch.applyCreated(e);
      else batch.applyChange(event, e);
    }
    await batch.save(db, tables);
  },
};

interface Tables {
  deployments: string;
  actions: string;
}

interface ActionRow {
  tenant: string;
  actionId: string;
  targetId: string;
  dsId: string;
  rolloutId: string | null;
  actionType: string;
}

interface DeploymentRow {
  tenant: string;
  targetId: string;
  assignedDs: string | null;
  installedDs: string | null;
  previousInstalledDs: string | null;
  lastActionId: string;
  lastActionStatus: string;
  lastRolloutId: string | null;
  updatedAt: number;
}

const key = (tenant: string, id: string) => `${tenant}\u0000${id}`;

/** One batch of action events folded into the rows it touches. */
class DeploymentBatch {
  private readonly newActions = new Map<string, ActionRow>();
  private readonly actions = new Map<string, ActionRow>();
  private readonly targets = new Map<string, DeploymentRow>();
  private readonly dirty = new Set<string>();
  private readonly actionIds = new Map<string, Set<string>>();

  created(e: LoggedEvent): void {
    const d = e.data as ActionCreated;
    if (typeof d.targetId !== 'string' || typeof d.distributionSetId !== 'string') return;
    const actionId = streamKey(e.streamId);
    const row = { tenant: e.tenant, actionId, targetId: d.targetId, dsId: d.distributionSetId, rolloutId: d.rolloutId ?? null, actionType: d.actionType ?? 'forced' };
    if (!this.newActions.has(key(e.tenant, actionId))) this.newActions.set(key(e.tenant, actionId), row);
  }

  async loadActions(db: SqlClient, t: Tables): Promise<void> {
    for (const row of this.newActions.values()) this.actions.set(key(row.tenant, row.actionId), row);
    for (const [tenant, ids] of this.actionIds) {
      const missing = [...ids].filter((id) => !this.actions.has(key(tenant, id)));
      if (missing.length === 0) continue;
      const { rows } = await db.query(`SELECT action_id, target_id, ds_id, rollout_id, action_type FROM ${t.actions} WHERE tenant = $1 AND action_id = ANY($2::text[])`, [tenant, missing]);
      for (const r of rows as Array<{ action_id: string; target_id: string; ds_id: string; rollout_id: string | null; action_type: string }>) {
        this.actions.set(key(tenant, r.action_id), { tenant, actionId: r.action_id, targetId: r.target_id, dsId: r.ds_id, rolloutId: r.rollout_id, actionType: r.action_type });
      }
    }
  }

  async loadTargets(db: SqlClient, t: Tables): Promise<void> {
    const byTenant = new Map<string, Set<string>>();
    for (const row of this.actions.values()) byTenant.set(row.tenant, (byTenant.get(row.tenant) ?? new Set()).add(row.targetId));
    for (const [tenant, targetIds] of byTenant) {
      const { rows } = await db.query(
        `SELECT target_id, assigned_ds, installed_ds, previous_installed_ds, last_action_id, last_action_status, last_rollout_id, updated_at
           FROM ${t.deployments} WHERE tenant = $1 AND target_id = ANY($2::text[])`,
        [tenant, [...targetIds]],
      );
      for (const r of rows as Array<Record<string, string | null>>) {
        this.targets.set(key(tenant, r.target_id as string), {
          tenant, targetId: r.target_id as string, assignedDs: r.assigned_ds, installedDs: r.installed_ds, previousInstalledDs: r.previous_installed_ds,
          lastActionId: r.last_action_id as string, lastActionStatus: r.last_action_status as string, lastRolloutId: r.last_rollout_id, updatedAt: Number(r.updated_at),
        });
      }
    }
  }

  /** An action whose change is in the batch: its target and set are loaded unless it was created in it. */
  need(tenant: string, actionId: string): void {
    this.actionIds.set(tenant, (this.actionIds.get(tenant) ?? new Set()).add(actionId));
  }

  applyCreated(e: LoggedEvent): void {
    const action = this.actions.get(key(e.tenant, streamKey(e.streamId)));
    if (!action) return;
    const k = key(e.tenant, action.targetId);
    const current = this.targets.get(k);
    const status = (e.data as ActionCreated).status ?? 'SCHEDULED';
    this.targets.set(k, {
      tenant: e.tenant, targetId: action.targetId, assignedDs: action.dsId, installedDs: current?.installedDs ?? null, previousInstalledDs: current?.previousInstalledDs ?? null,
      lastActionId: action.actionId, lastActionStatus: status, lastRolloutId: action.rolloutId, updatedAt: atOf(e),
    });
    this.dirty.add(k);
  }

  applyChange(event: string, e: LoggedEvent): void {
    const transition = actionTransitionOf(event, e.data);
    if (!transition) return;
    const action = this.actions.get(key(e.tenant, streamKey(e.streamId)));
    if (!action) return;
    const k = key(e.tenant, action.targetId);
    const row = this.targets.get(k);
    if (!row) return;
    const latest = row.lastActionId === action.actionId;
    // Only the target's latest action speaks for its assignment; an older one finishing late still installs.
    if (latest) row.lastActionStatus = transition.to;
    if (transition.to === 'FINISHED' && action.actionType !== 'downloadonly') {
      if (row.installedDs !== action.dsId) row.previousInstalledDs = row.installedDs;
      row.installedDs = action.dsId;
    } else if (transition.to === 'CANCELED' && latest) {
      // hawkBit: a cancelled assignment falls back to what is installed.
      row.assignedDs = row.installedDs;
    }
    row.updatedAt = atOf(e);
    this.dirty.add(k);
  }

  async save(db: SqlClient, t: Tables): Promise<void> {
    const actions = [...this.newActions.values()];
    if (actions.length > 0) {
      await db.query(
        `INSERT INTO ${t.actions} (tenant, action_id, target_id, ds_id, rollout_id, action_type)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) ON CONFLICT DO NOTHING`,
        [actions.map((a) => a.tenant), actions.map((a) => a.actionId), actions.map((a) => a.targetId), actions.map((a) => a.dsId), actions.map((a) => a.rolloutId), actions.map((a) => a.actionType)],
      );
    }
    const rows = [...this.dirty].map((k) => this.targets.get(k)!);
    if (rows.length === 0) return;
    const col = <K extends keyof DeploymentRow>(name: K) => rows.map((r) => r[name]);
    await db.query(
      `INSERT INTO ${t.deployments} (tenant, target_id, assigned_ds, installed_ds, previous_installed_ds, last_action_id, last_action_status, last_rollout_id, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
       ON CONFLICT (tenant, target_id) DO UPDATE SET assigned_ds = EXCLUDED.assigned_ds, installed_ds = EXCLUDED.installed_ds,
         previous_installed_ds = EXCLUDED.previous_installed_ds, last_action_id = EXCLUDED.last_action_id, last_action_status = EXCLUDED.last_action_status,
         last_rollout_id = EXCLUDED.last_rollout_id, updated_at = EXCLUDED.updated_at`,
      [col('tenant'), col('targetId'), col('assignedDs'), col('installedDs'), col('previousInstalledDs'), col('lastActionId'), col('lastActionStatus'), col('lastRolloutId'), col('updatedAt')],
    );
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
