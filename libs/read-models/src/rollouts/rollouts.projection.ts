import { eventName, insertMembershipChunk, mayBeLogged, streamKey, TenantRun, type LoggedEvent, type ReadModelProjection, type SqlClient } from '../read-model';
import { BUCKET_COLUMN, bucketOf, statusAfter, type ActionBucket } from './rollout-progress';

export * from './rollout-progress';

/** The parts of the rollout events (contracts: RolloutEventSchemas) this read model needs. */
interface CreatedData {
  rolloutId: string;
  name: string;
  description: string;
  targetFilterQuery: string;
  distributionSetId: string;
  plan: { groups: Array<{ groupId: string; size: number }> };
  actionType: string;
  forceTime?: number;
  weight: number;
  startAt?: number;
  execution?: { strategy?: string };
  createdBy: string;
  at: number;
}
interface GroupCreatedData {
  groupId: string;
  rolloutId: string;
  index: number;
  name: string;
  conditions: unknown;
  at: number;
}
interface Stamp {
  at: number;
  by?: string;
  approver?: string;
  remark?: string;
  startAt?: number;
  hard?: boolean;
  name?: string;
  description?: string;
}

/** Rollout events that only move the status (API spelling: hawkBit's lower-case names). */
const STATUS_OF: Readonly<Record<string, string>> = {
  'rollout-ready': 'ready',
  'rollout-approval-requested': 'waiting_for_approval',
  'rollout-approval-voided': 'waiting_for_approval',
  'rollout-approval-expired': 'waiting_for_approval',
  'rollout-approved': 'ready',
  'rollout-approval-denied': 'approval_denied',
  'rollout-starting': 'starting',
  'rollout-started': 'running',
  'rollout-paused': 'paused',
  'rollout-resumed': 'running',
  'rollout-stopping': 'stopping',
  'rollout-stopped': 'stopped',
  'rollout-finished': 'finished',
  'rollout-deleting': 'deleting',
};
/**
 * Group events that move the group's status. hawkBit has no status for a group held by a health gate or a
 * soak, so Rollgate adds two lower-case ones: `waiting_for_gate` (a gate verdict was asked for and has not
 * come) and `soaking` (the group waits out its soak time, also after a CAUTION/INCONCLUSIVE verdict). A
 * group whose error condition was met (or whose gate failed) is `error` and stays so when it finishes.
 */
const GROUP_STATUS_OF: Readonly<Record<string, string>> = {
  'group-ready': 'ready', 'group-scheduled': 'scheduled', 'group-started': 'running', 'group-finished': 'finished',
  'group-error-condition-met': 'error', 'group-gate-failed': 'error',
  'group-gate-requested': 'waiting_for_gate', 'group-gate-deferred': 'soaking', 'group-gate-passed': 'running',
  'group-soak-started': 'soaking', 'group-soak-completed': 'running',
};
/** Statuses a later event no longer changes: an errored group that finishes shows that it failed. */
const STICKY_GROUP_STATUSES: readonly string[] = ['error'];

/**
 * Rollouts, their deployment groups and each group's targets. Membership is kept as the log records it: one
 * row per `group-members-added` chunk holding its thousands of ids as an array (`rollout_group_members`), so
 * a million-target rollout costs a few hundred array rows instead of a million indexed rows at creation;
 * the members' listing unnests them. While a rollout is CREATING, `created_targets`
 * counts the members recorded so far (its progress towards `total_targets`).
 */
export const rolloutsProjection: ReadModelProjection = {
  name: 'rollouts',
  tables: ['rollouts', 'rollout_groups', 'rollout_group_members', 'rollout_actions'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('rollouts')}" (
        tenant               text    NOT NULL,
        id                   text    NOT NULL,
        name                 text    NOT NULL,
        description          text    NOT NULL,
        status               text    NOT NULL,
        target_filter_query  text    NOT NULL,
        distribution_set_id  text    NOT NULL,
        action_type          text    NOT NULL,
        force_time           bigint,
        weight               integer NOT NULL,
        start_at             bigint,
        total_targets        integer NOT NULL,
        total_groups         integer NOT NULL,
        strategy             text    NOT NULL DEFAULT 'groups',
        created_targets      integer NOT NULL DEFAULT 0,
        approval_remark      text,
        approve_decided_by   text,
        deleted              boolean NOT NULL DEFAULT false,
        created_at           bigint  NOT NULL,
        created_by           text    NOT NULL,
        last_modified_at     bigint  NOT NULL,
        last_modified_by     text    NOT NULL,
        PRIMARY KEY (tenant, id)
      )`);
    await db.query(`
      CREATE TABLE "${t('rollout_groups')}" (
        tenant           text    NOT NULL,
        id               text    NOT NULL,
        rollout_id       text    NOT NULL,
        idx              integer NOT NULL,
        name             text    NOT NULL,
        status           text    NOT NULL,
        conditions       jsonb   NOT NULL,
        total_targets    integer NOT NULL DEFAULT 0,
        first_action_id  bigint,
        started          boolean NOT NULL DEFAULT false,
        closed           boolean NOT NULL DEFAULT false,
        actions_scheduled integer NOT NULL DEFAULT 0,
        actions_running   integer NOT NULL DEFAULT 0,
        actions_finished  integer NOT NULL DEFAULT 0,
        actions_error     integer NOT NULL DEFAULT 0,
        actions_cancelled integer NOT NULL DEFAULT 0,
        created_at       bigint  NOT NULL,
        created_by       text    NOT NULL,
        last_modified_at bigint  NOT NULL,
        last_modified_by text    NOT NULL,
        PRIMARY KEY (tenant, id)
      )`);
    await db.query(`CREATE INDEX ON "${t('rollout_groups')}" (tenant, rollout_id, idx)`);
    // Finds the group whose action id range holds an action (the range starting at or below it).
    await db.query(`CREATE INDEX ON "${t('rollout_groups')}" (tenant, first_action_id)`);
    // The bucket each touched rollout action is counted under, so that its next event moves it (from → to)
    // in O(1). Untouched members have no row: they are counted as the group's total minus its touched ones.
    await db.query(`
      CREATE TABLE "${t('rollout_actions')}" (
        tenant    text   NOT NULL,
        action_id bigint NOT NULL,
        group_id  text   NOT NULL,
        bucket    text   NOT NULL,
        PRIMARY KEY (tenant, action_id)
      )`);
    // One row per membership chunk, in chunk order: positions are implied by the order (chunk, array index).
    await db.query(`
      CREATE TABLE "${t('rollout_group_members')}" (
        tenant         text    NOT NULL,
        group_id       text    NOT NULL,
        chunk          integer NOT NULL,
        rollout_id     text    NOT NULL,
        controller_ids text[]  NOT NULL,
        PRIMARY KEY (tenant, group_id, chunk)
      )`);
    // Stored out of line but uncompressed: compressing a chunk's ~200 KB of ids costs several times the insert
    // (measured 4-12 ms against ~50 ms per 20,000 ids), for about 2.7x the space.
    await db.query(`ALTER TABLE "${t('rollout_group_members')}" ALTER COLUMN controller_ids SET STORAGE EXTERNAL`);
  },

  async apply(db, events, t) {
    const tables = { rollouts: `"${t('rollouts')}"`, groups: `"${t('rollout_groups')}"`, members: `"${t('rollout_group_members')}"`, actions: `"${t('rollout_actions')}"` };
    // Consecutive membership chunks of one tenant are copied by one statement (a creation's chunks come one
    // after the other); any other event is applied after them, in log order.
    // Likewise consecutive action events of one tenant move their counters together (applyActionMoves).
    const chunks = new TenantRun<LoggedEvent>((_, run) => addMemberChunks(db, tables, run));
    const moves = new TenantRun<ActionMove>((tenant, run) => applyActionMoves(db, tables, tenant, run));
    for (const e of events) {
      const { aggregate, event } = eventName(e.type);
      if (aggregate === 'action') {
        const move = actionMoveOf(event, e);
        if (!move) continue;
        await chunks.flush();
        await moves.add(e.tenant, move);
        continue;
      }
      await moves.flush();
      if (aggregate === 'rollout' && event === 'group-members-added' && mayBeLogged(e)) {
        await chunks.add(e.tenant, e);
        continue;
      }
      await chunks.flush();
      if (aggregate !== 'rollout') continue;
      if (event.startsWith('group-')) await applyGroupEvent(db, tables, event, e);
      else await applyRolloutEvent(db, tables, event, e);
    }
    await chunks.flush();
    await moves.flush();
  },
};

interface Tables {
  rollouts: string;
  groups: string;
  members: string;
  actions: string;
}

async function applyRolloutEvent(db: SqlClient, t: Tables, event: string, e: LoggedEvent): Promise<void> {
  const id = streamKey(e.streamId);
  const by = actorName(e);
  if (event === 'rollout-created') {
    const d = e.data as CreatedData;
    const total = d.plan.groups.reduce((sum, g) => sum + g.size, 0);
    await db.query(
      `INSERT INTO ${t.rollouts} (tenant, id, name, description, status, target_filter_query, distribution_set_id, action_type, force_time, weight, start_at,
                                  total_targets, total_groups, strategy, created_at, created_by, last_modified_at, last_modified_by)
       VALUES ($1, $2, $3, $4, 'creating', $5, $6, $7, $8, $9, $10, $11, $12, $15, $13, $14, $13, $14)`,
      [e.tenant, id, d.name, d.description, d.targetFilterQuery, d.distributionSetId, d.actionType, d.forceTime ?? null, d.weight, d.startAt ?? null, total, d.plan.groups.length, d.at, d.createdBy, d.execution?.strategy ?? 'groups'],
    );
    return;
  }
  const d = e.data as Stamp;
  if (event === 'rollout-deleted') {
    // A rollout that never created actions is gone; one that did stays visible as deleted (hawkBit).
    if (d.hard) {
      await db.query(`DELETE FROM ${t.actions} WHERE tenant = $1 AND group_id IN (SELECT g.id FROM ${t.groups} g WHERE g.tenant = $1 AND g.rollout_id = $2)`, [e.tenant, id]);
      await db.query(`DELETE FROM ${t.members} WHERE tenant = $1 AND group_id IN (SELECT g.id FROM ${t.groups} g WHERE g.tenant = $1 AND g.rollout_id = $2)`, [e.tenant, id]);
      await db.query(`DELETE FROM ${t.groups} WHERE tenant = $1 AND rollout_id = $2`, [e.tenant, id]);
      await db.query(`DELETE FROM ${t.rollouts} WHERE tenant = $1 AND id = $2`, [e.tenant, id]);
    } else {
      await touch(db, t.rollouts, e, id, { status: 'deleted', deleted: true }, by);
    }
    return;
  }
  if (event === 'rollout-approval-given' || event === 'rollout-approval-denied') {
    await touch(db, t.rollouts, e, id, { approval_remark: d.remark ?? '', approve_decided_by: d.approver ?? null, ...(STATUS_OF[event] ? { status: STATUS_OF[event] } : {}) }, d.approver ?? by);
    return;
  }
  if (event === 'rollout-updated') {
    const columns = { ...(d.name !== undefined ? { name: d.name } : {}), ...(d.description !== undefined ? { description: d.description } : {}) };
    await touch(db, t.rollouts, e, id, columns, by);
    return;
  }
  if (event === 'rollout-stopping') {
    // The stop closes every action of the rollout no device has touched yet: they count as cancelled now.
    await db.query(`UPDATE ${t.groups} SET closed = true WHERE tenant = $1 AND rollout_id = $2`, [e.tenant, id]);
  }
  if (event === 'rollout-start-scheduled') {
    await touch(db, t.rollouts, e, id, { start_at: d.startAt ?? null }, by);
    return;
  }
  const status = STATUS_OF[event];
  if (status) await touch(db, t.rollouts, e, id, { status }, by);
}

async function applyGroupEvent(db: SqlClient, t: Tables, event: string, e: LoggedEvent): Promise<void> {
  const groupId = streamKey(e.streamId);
  if (event === 'group-created') {
    const d = e.data as GroupCreatedData;
    const by = actorName(e);
    await db.query(
      `INSERT INTO ${t.groups} (tenant, id, rollout_id, idx, name, status, conditions, created_at, created_by, last_modified_at, last_modified_by)
       VALUES ($1, $2, $3, $4, $5, 'creating', $6, $7, $8, $7, $8)`,
      [e.tenant, groupId, d.rolloutId, d.index, d.name, JSON.stringify(d.conditions), d.at, by],
    );
    return;
  }
  if (event === 'group-members-added') {
    await addMembers(db, t, groupId, e);
    return;
  }
  if (event === 'group-ready') {
    const { firstActionId } = e.data as { firstActionId: number };
    await db.query(`UPDATE ${t.groups} SET first_action_id = $3 WHERE tenant = $1 AND id = $2`, [e.tenant, groupId, firstActionId]);
  }
  if (event === 'group-started') await db.query(`UPDATE ${t.groups} SET started = true WHERE tenant = $1 AND id = $2`, [e.tenant, groupId]);
  const status = GROUP_STATUS_OF[event];
  if (status) await touch(db, t.groups, e, groupId, { status }, actorName(e), STICKY_GROUP_STATUSES);
}

/** One membership chunk as one array row; the group's counter and the rollout's progress move in the same statement. */
async function addMembers(db: SqlClient, t: Tables, groupId: string, e: LoggedEvent): Promise<void> {
  const insert = async (source: string, values: unknown[]) => {
    const { rows } = await db.query<{ inserted: number }>(
      `WITH chunk AS (
         INSERT INTO ${t.members} (tenant, group_id, chunk, rollout_id, controller_ids)
         SELECT $1, $2, members.chunk, g.rollout_id, members.ids FROM ${t.groups} g, LATERAL (${source}) AS members(chunk, ids) WHERE g.tenant = $1 AND g.id = $2
         RETURNING rollout_id, cardinality(controller_ids) AS added),
       grown AS (UPDATE ${t.groups} g SET total_targets = g.total_targets + chunk.added FROM chunk WHERE g.tenant = $1 AND g.id = $2),
       progressed AS (UPDATE ${t.rollouts} r SET created_targets = r.created_targets + chunk.added FROM chunk WHERE r.tenant = $1 AND r.id = chunk.rollout_id)
       SELECT count(*)::int AS inserted FROM chunk`,
      [e.tenant, groupId, ...values],
    );
    return rows[0].inserted;
  };
  await insertMembershipChunk(e, insert);
}

/**
 * Membership chunks of one tenant, copied from their rows in the log by one statement (one round trip and
 * one plan for a creation's chunks, instead of one each); each group's counter and each rollout's progress
 * move by what was copied. A chunk the log does not hold (a test's event) is stored from its payload.
 */
async function addMemberChunks(db: SqlClient, t: Tables, events: readonly LoggedEvent[]): Promise<void> {
  const tenant = events[0].tenant;
  const { rows } = await db.query<{ id: string }>(
    `WITH members AS (
       SELECT x.id, x.group_id, m.chunk, m."targetIds" AS ids
         FROM unnest($2::uuid[], $3::text[]) AS x(id, group_id)
         JOIN events ev ON ev.id = x.id AND ev.tenant = $1, jsonb_to_record(ev.data) AS m(chunk int, "targetIds" text[])),
     chunk AS (
       INSERT INTO ${t.members} (tenant, group_id, chunk, rollout_id, controller_ids)
       SELECT $1, g.id, members.chunk, g.rollout_id, members.ids FROM members JOIN ${t.groups} g ON g.tenant = $1 AND g.id = members.group_id
       RETURNING group_id, rollout_id, cardinality(controller_ids) AS added),
     per_group AS (SELECT group_id, rollout_id, sum(added)::int AS added FROM chunk GROUP BY group_id, rollout_id),
     grown AS (UPDATE ${t.groups} g SET total_targets = g.total_targets + p.added FROM per_group p WHERE g.tenant = $1 AND g.id = p.group_id),
     progressed AS (
       UPDATE ${t.rollouts} r SET created_targets = r.created_targets + p.added
         FROM (SELECT rollout_id, sum(added)::int AS added FROM per_group GROUP BY rollout_id) p WHERE r.tenant = $1 AND r.id = p.rollout_id)
     SELECT id::text AS id FROM members`,
    [tenant, events.map((e) => e.id), events.map((e) => streamKey(e.streamId))],
  );
  const copied = new Set(rows.map((row) => row.id.toLowerCase()));
  for (const e of events) if (!copied.has(e.id.toLowerCase())) await addMembers(db, t, streamKey(e.streamId), e);
}

/** An action event that moves its action to a bucket (an action of a rollout's id range, or of none). */
interface ActionMove {
  actionId: string;
  to: ActionBucket;
}

function actionMoveOf(event: string, e: LoggedEvent): ActionMove | undefined {
  const next = statusAfter(event, e.data as { status?: string });
  if (next === undefined) return undefined;
  const actionId = streamKey(e.streamId);
  if (!/^\d{1,18}$/.test(actionId)) return undefined; // not a numeric DDI action id: never one of a rollout's ranges
  // As PostgreSQL prints the bigint back (applyActionMoves matches its rows by this text): no leading zeros.
  return { actionId: String(BigInt(actionId)), to: bucketOf(next) };
}

/**
 * Moves the actions of consecutive action events of one tenant between their groups' counters, in two
 * statements whatever their number: a wave of devices reporting sends each action through four to six
 * buckets within seconds, and one round trip per step (a lookup, the row, the counter) made this read model
 * a large share of PostgreSQL's work while a wave ran. Only where each action starts (its stored bucket, or
 * none for an untouched member) and where it ends count: the steps between cancel out on the counters.
 * An action is found in its group's contiguous id range (`firstActionId <= id < firstActionId + size`)
 * the first time; actions of manual assignments belong to no group and are skipped.
 */
async function applyActionMoves(db: SqlClient, t: Tables, tenant: string, moves: readonly ActionMove[]): Promise<void> {
  const finalBucket = new Map<string, ActionBucket>();
  for (const move of moves) finalBucket.set(move.actionId, move.to);
  const ids = [...finalBucket.keys()];
  const { rows } = await db.query<{ action_id: string; group_id: string | null; bucket: ActionBucket | null }>(
    `SELECT a.id::text AS action_id, COALESCE(k.group_id, g.id) AS group_id, k.bucket
       FROM unnest($2::bigint[]) AS a(id)
       LEFT JOIN ${t.actions} k ON k.tenant = $1 AND k.action_id = a.id
       LEFT JOIN LATERAL (
         SELECT r.id FROM (SELECT id, first_action_id, total_targets FROM ${t.groups} WHERE tenant = $1 AND first_action_id <= a.id ORDER BY first_action_id DESC LIMIT 1) r
          WHERE k.action_id IS NULL AND a.id < r.first_action_id + r.total_targets) g ON true`,
    [tenant, ids],
  );
  const moved: Array<{ actionId: string; groupId: string; to: ActionBucket }> = [];
  const deltas = new Map<string, Record<ActionBucket, number>>();
  const deltaOf = (groupId: string) => {
    let delta = deltas.get(groupId);
    if (!delta) deltas.set(groupId, (delta = { scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 0 }));
    return delta;
  };
  for (const row of rows) {
    const to = finalBucket.get(row.action_id);
    if (row.group_id === null || to === undefined || row.bucket === to) continue;
    moved.push({ actionId: row.action_id, groupId: row.group_id, to });
    // `bucket` null: the action was an untouched member until now (counted implicitly, nothing to take off).
    if (row.bucket !== null) deltaOf(row.group_id)[row.bucket] -= 1;
    deltaOf(row.group_id)[to] += 1;
  }
  if (moved.length === 0) return;
  const buckets = Object.keys(BUCKET_COLUMN) as ActionBucket[];
  const groups = [...deltas.keys()];
  await db.query(
    `WITH stored AS (
       INSERT INTO ${t.actions} (tenant, action_id, group_id, bucket)
       SELECT $1, m.action_id, m.group_id, m.bucket FROM unnest($2::bigint[], $3::text[], $4::text[]) AS m(action_id, group_id, bucket)
       ON CONFLICT (tenant, action_id) DO UPDATE SET bucket = EXCLUDED.bucket)
     UPDATE ${t.groups} g SET ${buckets.map((b, i) => `${BUCKET_COLUMN[b]} = g.${BUCKET_COLUMN[b]} + d.d${i}`).join(', ')}
       FROM unnest($5::text[], ${buckets.map((_, i) => `$${i + 6}::int[]`).join(', ')}) AS d(group_id, ${buckets.map((_, i) => `d${i}`).join(', ')})
      WHERE g.tenant = $1 AND g.id = d.group_id`,
    [tenant, moved.map((m) => m.actionId), moved.map((m) => m.groupId), moved.map((m) => m.to), groups, ...buckets.map((b) => groups.map((g) => deltas.get(g)![b]))],
  );
}

/**
 * Sets the given columns plus the audit pair; column names are constants of this file, never input. A row
 * whose status is one of `stickyStatuses` keeps it (its columns and audit pair are left as they are).
 */
async function touch(db: SqlClient, table: string, e: LoggedEvent, id: string, columns: Record<string, unknown>, by: string, stickyStatuses: readonly string[] = []): Promise<void> {
  const names = Object.keys(columns);
  const sets = names.map((name, i) => `${name} = $${i + 5}, `).join('');
  const keep = stickyStatuses.length > 0 ? ` AND status <> ALL(ARRAY[${stickyStatuses.map((s) => `'${s}'`).join(', ')}])` : '';
  await db.query(`UPDATE ${table} SET ${sets}last_modified_at = $3, last_modified_by = $4 WHERE tenant = $1 AND id = $2${keep}`, [
    e.tenant, id, (e.data as Stamp).at, by, ...names.map((name) => columns[name]),
  ]);
}

/** `user:<name>` actors show as the user's name (hawkBit's lastModifiedBy); others as they are. */
function actorName(e: LoggedEvent): string {
  const data = e.data as Stamp;
  if (typeof data.by === 'string') return data.by;
  const actor = (e.metadata as { actor?: string } | undefined)?.actor ?? 'system';
  return actor.startsWith('user:') ? actor.slice('user:'.length) : actor;
}
