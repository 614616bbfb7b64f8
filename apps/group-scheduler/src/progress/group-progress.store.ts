import { counterBucket, type ActionStatus, type GroupCounters, type GroupData, type GroupStatus } from '@rollgate/rollout-domain';
import type { PoolClient } from 'pg';

/** A started group as the scheduler tracks it (table scheduler_groups). */
export interface GroupProgress {
  tenant: string;
  groupId: string;
  rolloutId: string;
  index: number;
  firstActionId: number;
  size: number;
  released: number;
  downloadOnly: boolean;
  phase: GroupStatus;
  successMet: boolean;
  counters: GroupCounters;
  /** actions whose device saw them (for the rate ramp) */
  notified: number;
}

const COLUMNS = `tenant, group_id, rollout_id, idx, first_action_id, size, released, download_only, phase, success_met,
  scheduled, running, downloaded, finished, error, canceled, verified, notified, queued`;

interface Row {
  tenant: string;
  group_id: string;
  rollout_id: string;
  idx: number;
  first_action_id: string;
  size: number;
  released: number;
  download_only: boolean;
  phase: GroupStatus;
  success_met: boolean;
  scheduled: number;
  running: number;
  downloaded: number;
  finished: number;
  error: number;
  canceled: number;
  verified: number;
  notified: number;
  queued: number;
}

function toProgress(r: Row): GroupProgress {
  return {
    tenant: r.tenant, groupId: r.group_id, rolloutId: r.rollout_id, index: r.idx, firstActionId: Number(r.first_action_id), size: r.size,
    released: r.released, downloadOnly: r.download_only, phase: r.phase, successMet: r.success_met, notified: r.notified,
    counters: {
      total: r.size, scheduled: r.scheduled, running: r.running, downloaded: r.downloaded, finished: r.finished, error: r.error, canceled: r.canceled, verified: r.verified,
      ...(r.queued > 0 ? { queued: r.queued } : {}),
    },
  };
}

/** A group's counters after applyDelta (or its statement), undefined when no row was changed. */
export function progressOf(rows: readonly unknown[]): GroupProgress | undefined {
  return rows[0] ? toProgress(rows[0] as Row) : undefined;
}

/**
 * A batch's deltas ($3-$10) added to one group ($1, $2). A queued (offline) device that shows up leaves the
 * queue: the queue never exceeds the released members still scheduled.
 */
const ADD_DELTA = `UPDATE scheduler_groups SET scheduled = scheduled + $3, running = running + $4, downloaded = downloaded + $5, finished = finished + $6,
          error = error + $7, canceled = canceled + $8, verified = verified + $9, notified = notified + $10,
          queued = LEAST(queued, GREATEST(0, scheduled + $3 - (size - released)))
    WHERE tenant = $1 AND group_id = $2`;

const deltaValues = (d: CounterDelta): number[] => [d.scheduled, d.running, d.downloaded, d.finished, d.error, d.canceled, d.verified, d.notified];

/** Per-group counter deltas of one batch of action events, summed before one UPDATE per group. */
export type CounterDelta = Record<keyof Omit<GroupCounters, 'total' | 'queued'> | 'notified', number>;

export const emptyDelta = (): CounterDelta => ({ scheduled: 0, running: 0, downloaded: 0, finished: 0, error: 0, canceled: 0, verified: 0, notified: 0 });

/** O(1): one action's move between counters, added to the batch's delta for its group. */
export function addTransition(delta: CounterDelta, from: ActionStatus, to: ActionStatus): void {
  const a = counterBucket(from);
  const b = counterBucket(to);
  if (a !== b) {
    delta[a] -= 1;
    delta[b] += 1;
  }
  if (a === 'scheduled' && b !== 'scheduled') delta.notified += 1;
}

export class GroupProgressStore {
  /** Records a group when it starts (idempotent: a redelivered start changes nothing). */
  async track(tx: PoolClient, tenant: string, group: GroupData & { status: GroupStatus }): Promise<void> {
    const c = group.counters;
    await tx.query(
      `INSERT INTO scheduler_groups (${COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, 0)
       ON CONFLICT (tenant, group_id) DO NOTHING`,
      [tenant, group.groupId, group.rolloutId, group.index, group.firstActionId, group.size, group.released, group.conditions.actionType === 'downloadonly',
        group.status, group.successMet, c.scheduled, c.running, c.downloaded, c.finished, c.error, c.canceled, c.verified],
    );
  }

  /**
   * Keeps phase and pacing in step with the group's stream after the scheduler appended to it, and deletes
   * the tenant's timers `cancelTimerIds` in the same statement (one round trip in the cascade).
   */
  async syncPhase(tx: PoolClient, tenant: string, group: GroupData & { status: GroupStatus }, cancelTimerIds: readonly string[] = []): Promise<void> {
    const sync = `UPDATE scheduler_groups SET phase = $3, success_met = $4, released = GREATEST(released, $5) WHERE tenant = $1 AND group_id = $2`;
    const values = [tenant, group.groupId, group.status, group.successMet, group.released];
    if (cancelTimerIds.length === 0) await tx.query(sync, values);
    else await tx.query(`WITH synced AS (${sync}) DELETE FROM scheduler_timers WHERE tenant = $1 AND timer_id = ANY($6::text[])`, [...values, cancelTimerIds]);
  }

  /** Adds a batch's deltas to one group, answering its counters after (the row is locked until commit). */
  async applyDelta(tx: PoolClient, tenant: string, groupId: string, d: CounterDelta): Promise<GroupProgress | undefined> {
    const { rows } = await tx.query<Row>(`${ADD_DELTA} RETURNING ${COLUMNS}`, [tenant, groupId, ...deltaValues(d)]);
    return progressOf(rows);
  }

  /**
   * applyDelta as one statement with its values written out, which changes nothing where `unless` (an SQL
   * condition) holds: for a caller that sends it together with other statements in one round trip (a
   * simple query). Its rows go to progressOf.
   */
  deltaStatement(tx: PoolClient, tenant: string, groupId: string, d: CounterDelta, unless: string): string {
    const values = [tx.escapeLiteral(tenant), tx.escapeLiteral(groupId), ...deltaValues(d).map(String)];
    return `${ADD_DELTA.replace(/\$([0-9]+)/g, (_, n: string) => values[Number(n) - 1])} AND NOT (${unless}) RETURNING ${COLUMNS}`;
  }

  /**
   * skip_and_queue: every released member still SCHEDULED when its device should have polled long ago is
   * offline; answers the group's progress with that queue.
   */
  async queueOffline(tx: PoolClient, tenant: string, groupId: string): Promise<GroupProgress | undefined> {
    const { rows } = await tx.query<Row>(
      `UPDATE scheduler_groups SET queued = GREATEST(0, scheduled - (size - released)) WHERE tenant = $1 AND group_id = $2 RETURNING ${COLUMNS}`,
      [tenant, groupId],
    );
    return rows[0] ? toProgress(rows[0]) : undefined;
  }

  async get(tx: PoolClient, tenant: string, groupId: string): Promise<GroupProgress | undefined> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM scheduler_groups WHERE tenant = $1 AND group_id = $2`, [tenant, groupId]);
    return rows[0] ? toProgress(rows[0]) : undefined;
  }

  async ofRollout(tx: PoolClient, tenant: string, rolloutId: string): Promise<GroupProgress[]> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM scheduler_groups WHERE tenant = $1 AND rollout_id = $2 ORDER BY idx`, [tenant, rolloutId]);
    return rows.map(toProgress);
  }

  /** Actions in flight (released and not ended) across the tenant's groups, except those of `exceptGroupId`. */
  async tenantInFlight(tx: PoolClient, tenant: string, exceptGroupId: string): Promise<number> {
    const { rows } = await tx.query<{ n: string }>(
      `SELECT coalesce(sum(GREATEST(0, released - (finished + error + canceled + CASE WHEN download_only THEN downloaded ELSE 0 END))), 0) AS n
         FROM scheduler_groups WHERE tenant = $1 AND group_id <> $2 AND phase <> 'FINISHED'`,
      [tenant, exceptGroupId],
    );
    return Number(rows[0].n);
  }
}
