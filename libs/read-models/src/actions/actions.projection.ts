import { eventName, insertMembershipChunk, streamKey, TenantRun, type LoggedEvent, type ReadModelProjection, type SqlClient, type TableNames } from '../read-model';

/**
 * Actions as the Management API lists them (`targets/{id}/actions`), with their status history.
 *
 * Two sources, because rollout actions begin lazily (docs/event-flow.md):
 * - `action-<id>` streams (manual assignments, and rollout actions once their device made contact) are
 *   copied into `actions` and `action_status_history`, one row per action and one per event;
 * - a rollout action its device never touched exists only as group membership: the group's membership
 *   chunks, `firstActionId` and `group-started`. Those are kept per chunk (one row of thousands of target
 *   ids, never a row per target, so rollout creation stays cheap) and the queries derive the actions.
 */
export const ACTION_TABLES = ['actions', 'action_status_history', 'action_rollouts', 'action_groups', 'action_group_chunks'] as const;

/** The parts of action-created the read model keeps (libs/rollout/domain action.types.ts). */
interface ActionCreated {
  actionId: string;
  targetId: string;
  distributionSetId: string;
  rolloutId?: string;
  groupId?: string;
  actionType: string;
  forceTime?: number;
  weight: number;
  maintenanceWindow?: unknown;
  status: string;
  at: number;
}

interface ActionChange {
  at: number;
  status?: string;
  from?: string;
  by?: string;
  details?: string[];
  execution?: string;
  finished?: string;
  attempt?: number;
  nextAttempt?: number;
  forced?: boolean;
  timeoutMs?: number;
  code?: number;
  check?: string;
  /** action-confirmed by the target's auto-confirmation: details hold hawkBit's message */
  auto?: unknown;
}

/** Each action event's new status and the messages its history entry shows (hawkBit's `messages[]`). */
function changeOf(event: string, d: ActionChange): { status: string; messages: string[] } | undefined {
  const details = Array.isArray(d.details) ? d.details.filter((m): m is string => typeof m === 'string') : [];
  switch (event) {
    case 'action-confirmed':
      return { status: 'RUNNING', messages: d.auto ? details : ['the user confirmed the update', ...details] };
    case 'action-confirmation-denied':
      return { status: 'WAIT_FOR_CONFIRMATION', messages: ['the user denied the update', ...details] };
    case 'action-retrieved':
      return { status: 'RETRIEVED', messages: ['Update Server: Target retrieved update action and should start now the download.'] };
    case 'action-feedback-received':
      return typeof d.status === 'string' ? { status: d.status, messages: details } : undefined;
    case 'action-attempt-failed':
      return { status: 'SCHEDULED', messages: [`attempt ${d.attempt ?? '?'} failed, scheduling attempt ${d.nextAttempt ?? '?'}`, ...details] };
    case 'action-cancel-requested':
      return { status: 'CANCELING', messages: [`cancellation requested${d.by ? ` by ${d.by}` : ''}`] };
    case 'action-canceled':
      return { status: 'CANCELED', messages: [d.forced ? `canceled by force${d.by ? ` by ${d.by}` : ''}` : 'the device confirmed the cancellation'] };
    case 'action-cancel-rejected':
      return { status: 'CANCEL_REJECTED', messages: ['the device rejected the cancellation', ...details] };
    case 'action-rejected':
      // A failed pre-deploy check (architecture, free disk) closes the action; the reason is the message.
      return { status: 'CANCELED', messages: [`rejected by the ${d.check ?? 'pre-deploy'} check`, ...details] };
    case 'action-timed-out':
      return { status: 'TIMED_OUT', messages: [`no progress within ${d.timeoutMs ?? '?'} ms`] };
    default:
      return undefined;
  }
}

export const actionsProjection: ReadModelProjection = {
  name: 'actions',
  tables: [...ACTION_TABLES],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('actions')}" (
        tenant              text    NOT NULL,
        id                  bigint  NOT NULL,
        controller_id       text    NOT NULL,
        distribution_set_id text    NOT NULL,
        rollout_id          text,
        group_id            text,
        action_type         text    NOT NULL,
        weight              integer NOT NULL,
        force_time          bigint,
        maintenance_window  jsonb,
        status              text    NOT NULL,
        created_at          bigint  NOT NULL,
        last_modified_at    bigint  NOT NULL,
        PRIMARY KEY (tenant, id)
      )`);
    await db.query(`CREATE INDEX ON "${t('actions')}" (tenant, controller_id, id)`);
    await db.query(`
      CREATE TABLE "${t('action_status_history')}" (
        tenant      text    NOT NULL,
        action_id   bigint  NOT NULL,
        seq         integer NOT NULL,
        status      text    NOT NULL,
        messages    jsonb   NOT NULL,
        reported_at bigint  NOT NULL,
        PRIMARY KEY (tenant, action_id, seq)
      )`);
    await db.query(`
      CREATE TABLE "${t('action_rollouts')}" (
        tenant              text    NOT NULL,
        rollout_id          text    NOT NULL,
        name                text    NOT NULL,
        distribution_set_id text    NOT NULL,
        action_type         text    NOT NULL,
        weight              integer NOT NULL,
        force_time          bigint,
        stopped_at          bigint,
        PRIMARY KEY (tenant, rollout_id)
      )`);
    await db.query(`
      CREATE TABLE "${t('action_groups')}" (
        tenant          text    NOT NULL,
        group_id        text    NOT NULL,
        rollout_id      text    NOT NULL,
        member_count    integer NOT NULL DEFAULT 0,
        first_action_id bigint,
        started_at      bigint,
        PRIMARY KEY (tenant, group_id)
      )`);
    await db.query(`CREATE INDEX ON "${t('action_groups')}" (tenant, first_action_id)`);
    await db.query(`
      CREATE TABLE "${t('action_group_chunks')}" (
        tenant         text    NOT NULL,
        group_id       text    NOT NULL,
        first_position integer NOT NULL,
        target_ids     text[]  NOT NULL,
        PRIMARY KEY (tenant, group_id, first_position)
      )`);
    // Stored out of line but uncompressed: compressing a chunk's ~200 KB of ids costs several times the insert.
    await db.query(`ALTER TABLE "${t('action_group_chunks')}" ALTER COLUMN target_ids SET STORAGE EXTERNAL`);
    // "Which started groups is this target in?" without a row per target. A large pending list (64 MB) lets a
    // million-target rollout's chunks go in as appends (measured: ~2.6x cheaper than merging into the index as
    // they arrive); lookups scan the pending list until vacuum merges it, tens of milliseconds at that size.
    await db.query(`CREATE INDEX ON "${t('action_group_chunks')}" USING gin (target_ids) WITH (fastupdate = on, gin_pending_list_limit = 65536)`);
  },

  async apply(db, events, t) {
    const rows = new TenantRun<ActionRow>((tenant, run) => applyActionRows(db, t, tenant, run));
    for (const e of events) {
      const { aggregate, event } = eventName(e.type);
      if (aggregate === 'action') {
        const row = actionRowOf(event, e);
        if (row) await rows.add(e.tenant, row);
      } else if (aggregate === 'rollout') {
        await rows.flush();
        await applyRolloutEvent(db, t, event, e);
      }
    }
    await rows.flush();
  },
};

/** The numeric id of an `action-<id>` stream; anything else is not an action this model can list. */
function actionIdOf(streamId: string): string | undefined {
  const id = streamKey(streamId);
  return /^[1-9][0-9]{0,17}$/.test(id) ? id : undefined;
}

/** One action event as the read model stores it: the action's row (when created) and its history entry. */
interface ActionRow {
  id: string;
  created?: ActionCreated;
  status: string;
  messages: string[];
  seq: number;
  at: number;
}

function actionRowOf(event: string, e: LoggedEvent): ActionRow | undefined {
  const id = actionIdOf(e.streamId);
  if (id === undefined) return undefined;
  if (event === 'action-created') {
    const d = e.data as ActionCreated;
    if (typeof d.targetId !== 'string' || typeof d.distributionSetId !== 'string') return undefined;
    const status = d.status ?? 'SCHEDULED';
    return { id, created: d, status, messages: d.rolloutId ? [`assigned by rollout ${d.rolloutId}`] : ['assigned manually'], seq: e.streamVersion, at: d.at };
  }
  const d = e.data as ActionChange;
  const change = changeOf(event, d);
  return change ? { id, status: change.status, messages: change.messages, seq: e.streamVersion, at: d.at } : undefined;
}

/**
 * Consecutive action events of one tenant in two statements whatever their number (a wave of devices sends
 * thousands a minute, and two round trips per event made this read model a large share of PostgreSQL's
 * work): the new actions and every history entry in one, then each changed action's latest status (what the
 * events one by one would leave) in the other, which sees the rows the first inserted.
 */
async function applyActionRows(db: SqlClient, t: TableNames, tenant: string, rows: readonly ActionRow[]): Promise<void> {
  const created = rows.filter((r) => r.created !== undefined);
  const c = (pick: (d: ActionCreated, r: ActionRow) => unknown) => created.map((r) => pick(r.created!, r));
  await db.query(
    `WITH created AS (
       INSERT INTO "${t('actions')}" (tenant, id, controller_id, distribution_set_id, rollout_id, group_id, action_type, weight, force_time, maintenance_window, status, created_at, last_modified_at)
       SELECT $1, a.id, a.controller_id, a.distribution_set_id, a.rollout_id, a.group_id, a.action_type, a.weight, a.force_time, a.maintenance_window::jsonb, a.status, a.at, a.at
         FROM unnest($7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::bigint[], $15::text[], $16::text[], $17::bigint[])
           AS a(id, controller_id, distribution_set_id, rollout_id, group_id, action_type, weight, force_time, maintenance_window, status, at)
       ON CONFLICT (tenant, id) DO NOTHING)
     INSERT INTO "${t('action_status_history')}" (tenant, action_id, seq, status, messages, reported_at)
     SELECT $1, h.action_id, h.seq, h.status, h.messages::jsonb, h.at FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::bigint[]) AS h(action_id, seq, status, messages, at)
     ON CONFLICT (tenant, action_id, seq) DO NOTHING`,
    [
      tenant, rows.map((r) => r.id), rows.map((r) => r.seq), rows.map((r) => r.status), rows.map((r) => JSON.stringify(r.messages)), rows.map((r) => r.at),
      c((_, r) => r.id), c((d) => d.targetId), c((d) => d.distributionSetId), c((d) => d.rolloutId ?? null), c((d) => d.groupId ?? null), c((d) => d.actionType ?? 'forced'),
      c((d) => d.weight ?? 1000), c((d) => d.forceTime ?? null), c((d) => (d.maintenanceWindow ? JSON.stringify(d.maintenanceWindow) : null)), c((_, r) => r.status), c((d) => d.at),
    ],
  );
  const latest = new Map<string, ActionRow>();
  for (const r of rows) if (r.created === undefined) latest.set(r.id, r);
  if (latest.size === 0) return;
  const changed = [...latest.values()];
  await db.query(
    `UPDATE "${t('actions')}" a SET status = l.status, last_modified_at = l.at FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS l(id, status, at) WHERE a.tenant = $1 AND a.id = l.id`,
    [tenant, changed.map((r) => r.id), changed.map((r) => r.status), changed.map((r) => r.at)],
  );
}

interface RolloutCreated {
  name: string;
  distributionSetId: string;
  actionType: string;
  weight: number;
  forceTime?: number;
  at: number;
}

async function applyRolloutEvent(db: SqlClient, t: TableNames, event: string, e: LoggedEvent): Promise<void> {
  const key = streamKey(e.streamId);
  // Read only where needed: a membership chunk's payload is left undecoded (insertMembershipChunk).
  const at = () => (e.data as { at?: number }).at ?? 0;
  switch (event) {
    case 'rollout-created': {
      const d = e.data as RolloutCreated;
      await db.query(
        `INSERT INTO "${t('action_rollouts')}" (tenant, rollout_id, name, distribution_set_id, action_type, weight, force_time) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant, rollout_id) DO NOTHING`,
        [e.tenant, key, d.name, d.distributionSetId, d.actionType, d.weight, d.forceTime ?? null],
      );
      return;
    }
    case 'rollout-stopping':
      // Every open action of the rollout is canceled by this one event; untouched ones just close.
      await db.query(`UPDATE "${t('action_rollouts')}" SET stopped_at = COALESCE(stopped_at, $3) WHERE tenant = $1 AND rollout_id = $2`, [e.tenant, key, at()]);
      return;
    case 'rollout-deleted':
      if ((e.data as { hard?: boolean }).hard) await forgetRollout(db, t, e.tenant, key);
      return;
    case 'group-created':
      await db.query(`INSERT INTO "${t('action_groups')}" (tenant, group_id, rollout_id) VALUES ($1, $2, $3) ON CONFLICT (tenant, group_id) DO NOTHING`, [
        e.tenant, key, (e.data as { rolloutId: string }).rolloutId,
      ]);
      return;
    case 'group-members-added':
      // Chunks arrive in order; a chunk's first position is the count of members before it.
      await insertMembershipChunk(e, async (source, values) => {
        const { rows } = await db.query<{ inserted: number }>(
          `WITH chunk AS (
             INSERT INTO "${t('action_group_chunks')}" (tenant, group_id, first_position, target_ids)
             SELECT $1, $2, g.member_count, members.ids FROM "${t('action_groups')}" g, LATERAL (${source}) AS members(chunk, ids)
              WHERE g.tenant = $1 AND g.group_id = $2 AND cardinality(members.ids) > 0
             RETURNING cardinality(target_ids) AS added),
           counted AS (UPDATE "${t('action_groups')}" g SET member_count = g.member_count + chunk.added FROM chunk WHERE g.tenant = $1 AND g.group_id = $2)
           SELECT count(*)::int AS inserted FROM chunk`,
          [e.tenant, key, ...values],
        );
        return rows[0].inserted;
      });
      return;
    case 'group-ready':
      await db.query(`UPDATE "${t('action_groups')}" SET first_action_id = $3 WHERE tenant = $1 AND group_id = $2`, [e.tenant, key, (e.data as { firstActionId: number }).firstActionId]);
      return;
    case 'group-started':
      await db.query(`UPDATE "${t('action_groups')}" SET started_at = COALESCE(started_at, $3) WHERE tenant = $1 AND group_id = $2`, [e.tenant, key, at()]);
      return;
  }
}

async function forgetRollout(db: SqlClient, t: TableNames, tenant: string, rolloutId: string): Promise<void> {
  await db.query(
    `DELETE FROM "${t('action_group_chunks')}" c USING "${t('action_groups')}" g WHERE c.tenant = $1 AND g.tenant = $1 AND g.rollout_id = $2 AND c.group_id = g.group_id`,
    [tenant, rolloutId],
  );
  await db.query(`DELETE FROM "${t('action_groups')}" WHERE tenant = $1 AND rollout_id = $2`, [tenant, rolloutId]);
  await db.query(`DELETE FROM "${t('action_rollouts')}" WHERE tenant = $1 AND rollout_id = $2`, [tenant, rolloutId]);
}
