import type { SqlClient } from '../read-model';

/** One action of a target as the read model answers it, whichever of its two sources it came from. */
export interface ActionRow {
  tenant: string;
  id: string;
  controller_id: string;
  distribution_set_id: string;
  rollout_id: string | null;
  rollout_name: string | null;
  group_id: string | null;
  action_type: string;
  weight: number;
  force_time: string | null;
  maintenance_window: { schedule: string; duration: string; timezone: string } | null;
  status: string;
  created_at: string;
  last_modified_at: string;
  /** true: a rollout action its device never touched (no `action-<id>` stream yet) */
  derived: boolean;
}

export interface ActionStatusRow {
  seq: number;
  status: string;
  messages: string[];
  reported_at: string;
}

/**
 * Every action of one target, as SQL text to select from: the recorded ones, plus the rollout actions of
 * started groups that have no stream yet (id = firstActionId + position in membership order). `$1` is the
 * tenant, `$<controllerParam>` the controller id; the answer has the columns of ActionRow.
 */
export function targetActionsSource(controllerParam: number): string {
  const c = `$${controllerParam}::text`;
  return `
    SELECT a.tenant, a.id, a.controller_id, a.distribution_set_id, a.rollout_id, r.name AS rollout_name, a.group_id, a.action_type, a.weight,
           a.force_time, a.maintenance_window, a.status, a.created_at, a.last_modified_at, false AS derived
      FROM actions a LEFT JOIN action_rollouts r ON r.tenant = a.tenant AND r.rollout_id = a.rollout_id
     WHERE a.tenant = $1 AND a.controller_id = ${c}
    UNION ALL
    SELECT c.tenant, d.id, ${c}, r.distribution_set_id, r.rollout_id, r.name, g.group_id, r.action_type, r.weight,
           r.force_time, NULL::jsonb, CASE WHEN r.stopped_at IS NOT NULL THEN 'CANCELED' ELSE 'SCHEDULED' END,
           g.started_at, COALESCE(r.stopped_at, g.started_at), true
      FROM action_group_chunks c
      JOIN action_groups g ON g.tenant = c.tenant AND g.group_id = c.group_id
      JOIN action_rollouts r ON r.tenant = g.tenant AND r.rollout_id = g.rollout_id
      CROSS JOIN LATERAL (SELECT g.first_action_id + c.first_position + array_position(c.target_ids, ${c}) - 1 AS id) d
     WHERE c.tenant = $1 AND c.target_ids @> ARRAY[${c}] AND g.started_at IS NOT NULL AND g.first_action_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM actions x WHERE x.tenant = $1 AND x.id = d.id)`;
}

/** One action of one target; undefined when it is not that target's (or not in the tenant). */
export async function findTargetAction(db: SqlClient, tenant: string, controllerId: string, actionId: string): Promise<ActionRow | undefined> {
  if (!/^[1-9][0-9]{0,17}$/.test(actionId)) return undefined;
  const { rows } = await db.query(`SELECT * FROM (${targetActionsSource(2)}) a WHERE a.id = $3::bigint`, [tenant, controllerId, actionId]);
  return rows[0] as ActionRow | undefined;
}

/**
 * The status history of an action, oldest first. A derived action has no events of its own; its history is
 * what its rollout did to it: scheduled when the group started, canceled when the rollout stopped.
 */
export async function actionStatusHistory(db: SqlClient, action: ActionRow): Promise<ActionStatusRow[]> {
  if (action.derived) {
    const scheduled: ActionStatusRow = { seq: 1, status: 'SCHEDULED', messages: [`assigned by rollout ${action.rollout_id ?? ''}`.trim()], reported_at: action.created_at };
    if (action.status !== 'CANCELED') return [scheduled];
    return [scheduled, { seq: 2, status: 'CANCELED', messages: ['the rollout was stopped before the device retrieved the action'], reported_at: action.last_modified_at }];
  }
  const { rows } = await db.query(`SELECT seq, status, messages, reported_at FROM action_status_history WHERE tenant = $1 AND action_id = $2 ORDER BY seq`, [action.tenant, action.id]);
  return rows as ActionStatusRow[];
}

/**
 * Open actions (not in an end state) of these targets, for "already assigned" and for superseding: one
 * set-based query, whatever the number of targets (a chunk's members are matched with its array, unnested
 * only for chunks that hold one of them).
 */
export async function openActionsOf(db: SqlClient, tenant: string, controllerIds: readonly string[]): Promise<ActionRow[]> {
  if (controllerIds.length === 0) return [];
  const { rows } = await db.query(
    `SELECT a.tenant, a.id, a.controller_id, a.distribution_set_id, a.rollout_id, r.name AS rollout_name, a.group_id, a.action_type, a.weight,
            a.force_time, a.maintenance_window, a.status, a.created_at, a.last_modified_at, false AS derived
       FROM actions a LEFT JOIN action_rollouts r ON r.tenant = a.tenant AND r.rollout_id = a.rollout_id
      WHERE a.tenant = $1 AND a.controller_id = ANY($2::text[]) AND a.status NOT IN ('CANCELED', 'FINISHED', 'ERROR', 'TIMED_OUT')
     UNION ALL
     SELECT c.tenant, d.id, m.controller_id, r.distribution_set_id, r.rollout_id, r.name, g.group_id, r.action_type, r.weight,
            r.force_time, NULL::jsonb, 'SCHEDULED', g.started_at, g.started_at, true
       FROM action_group_chunks c
       JOIN action_groups g ON g.tenant = c.tenant AND g.group_id = c.group_id
       JOIN action_rollouts r ON r.tenant = g.tenant AND r.rollout_id = g.rollout_id
       CROSS JOIN LATERAL unnest(c.target_ids) WITH ORDINALITY AS m(controller_id, ordinal)
       CROSS JOIN LATERAL (SELECT g.first_action_id + c.first_position + m.ordinal - 1 AS id) d
      WHERE c.tenant = $1 AND c.target_ids && $2::text[] AND m.controller_id = ANY($2::text[])
        AND g.started_at IS NOT NULL AND g.first_action_id IS NOT NULL AND r.stopped_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM actions x WHERE x.tenant = $1 AND x.id = d.id)`,
    [tenant, controllerIds],
  );
  return rows as ActionRow[];
}

/**
 * hawkBit's assigned and installed distribution sets of a target, from its actions: installed is the set of
 * its latest finished action; assigned the set of its latest action not canceled, else the installed one.
 */
export async function targetDistributionSets(db: SqlClient, tenant: string, controllerId: string): Promise<{ assigned?: string; installed?: string }> {
  const { rows } = await db.query(
    `SELECT (SELECT distribution_set_id FROM (${targetActionsSource(2)}) a WHERE a.status = 'FINISHED' AND a.action_type <> 'downloadonly' ORDER BY a.id DESC LIMIT 1) AS installed,
            (SELECT distribution_set_id FROM (${targetActionsSource(2)}) a WHERE a.status NOT IN ('CANCELED', 'CANCELING') ORDER BY a.id DESC LIMIT 1) AS assigned`,
    [tenant, controllerId],
  );
  const row = rows[0] as { installed: string | null; assigned: string | null };
  return { installed: row.installed ?? undefined, assigned: row.assigned ?? row.installed ?? undefined };
}
