import type { PoolClient } from 'pg';

export type TimerKind = 'start-at' | 'soak' | 'pacing' | 'deploy-timeout' | 'offline-check' | 'dynamic-flush';

export interface Timer {
  tenant: string;
  timerId: string;
  kind: TimerKind;
  rolloutId: string;
  dueAt: number;
  payload: Record<string, unknown>;
}

/** Timer ids name what they wait for, so setting one again moves it instead of adding a second. */
export const timerIds = {
  startAt: (rolloutId: string) => `start-at:${rolloutId}`,
  soak: (groupId: string) => `soak:${groupId}`,
  pacing: (rolloutId: string) => `pacing:${rolloutId}`,
  deployTimeout: (actionId: number) => `deploy-timeout:${actionId}`,
  offlineCheck: (groupId: string) => `offline-check:${groupId}`,
  dynamicFlush: (rolloutId: string) => `dynamic-flush:${rolloutId}`,
};

/** Durable timers in PostgreSQL (scheduler_timers): they outlive the process that set them. */
export class TimerStore {
  async set(tx: PoolClient, timer: Timer): Promise<void> {
    await tx.query(
      `INSERT INTO scheduler_timers (tenant, timer_id, kind, rollout_id, due_at, payload) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant, timer_id) DO UPDATE SET due_at = EXCLUDED.due_at, payload = EXCLUDED.payload`,
      [timer.tenant, timer.timerId, timer.kind, timer.rolloutId, timer.dueAt, JSON.stringify(timer.payload)],
    );
  }

  /** Sets a timer, or brings an existing one forward (never later): for "try again at the latest then". */
  async setEarliest(tx: PoolClient, timer: Timer): Promise<void> {
    await tx.query(
      `INSERT INTO scheduler_timers (tenant, timer_id, kind, rollout_id, due_at, payload) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant, timer_id) DO UPDATE SET due_at = LEAST(scheduler_timers.due_at, EXCLUDED.due_at)`,
      [timer.tenant, timer.timerId, timer.kind, timer.rolloutId, timer.dueAt, JSON.stringify(timer.payload)],
    );
  }

  /** Sets or moves many timers of one kind in one statement (deploy timeouts of a batch of action events). */
  async setMany(tx: PoolClient, timers: readonly Timer[]): Promise<void> {
    if (timers.length === 0) return;
    await tx.query(
      `INSERT INTO scheduler_timers (tenant, timer_id, kind, rollout_id, due_at, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[])
       ON CONFLICT (tenant, timer_id) DO UPDATE SET due_at = EXCLUDED.due_at, payload = EXCLUDED.payload`,
      [timers.map((t) => t.tenant), timers.map((t) => t.timerId), timers.map((t) => t.kind), timers.map((t) => t.rolloutId), timers.map((t) => t.dueAt), timers.map((t) => JSON.stringify(t.payload))],
    );
  }

  async cancelMany(tx: PoolClient, tenant: string, timerIds: readonly string[]): Promise<void> {
    if (timerIds.length === 0) return;
    await tx.query(`DELETE FROM scheduler_timers WHERE tenant = $1 AND timer_id = ANY($2::text[])`, [tenant, timerIds]);
  }

  async cancelRollout(tx: PoolClient, tenant: string, rolloutId: string): Promise<void> {
    await tx.query(`DELETE FROM scheduler_timers WHERE tenant = $1 AND rollout_id = $2`, [tenant, rolloutId]);
  }

  /**
   * Takes due timers for this transaction: deleted now, gone for good at commit. SKIP LOCKED lets another
   * instance take other timers meanwhile; a rollback (the firing failed) puts them back.
   */
  async takeDue(tx: PoolClient, now: number, limit: number): Promise<Timer[]> {
    const { rows } = await tx.query<{ tenant: string; timer_id: string; kind: Timer['kind']; rollout_id: string; due_at: string; payload: Record<string, unknown> }>(
      `DELETE FROM scheduler_timers WHERE (tenant, timer_id) IN (
         SELECT tenant, timer_id FROM scheduler_timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING tenant, timer_id, kind, rollout_id, due_at, payload`,
      [now, limit],
    );
    return rows.map((r) => ({ tenant: r.tenant, timerId: r.timer_id, kind: r.kind, rolloutId: r.rollout_id, dueAt: Number(r.due_at), payload: r.payload }));
  }

  async nextDueAt(tx: Pick<PoolClient, 'query'>): Promise<number | undefined> {
    const { rows } = await tx.query<{ due: string | null }>(`SELECT min(due_at) AS due FROM scheduler_timers`);
    return rows[0].due === null ? undefined : Number(rows[0].due);
  }

  async list(tx: Pick<PoolClient, 'query'>, tenant: string, rolloutId: string): Promise<Timer[]> {
    const { rows } = await tx.query(`SELECT tenant, timer_id, kind, rollout_id, due_at, payload FROM scheduler_timers WHERE tenant = $1 AND rollout_id = $2 ORDER BY due_at`, [tenant, rolloutId]);
    return rows.map((r: { tenant: string; timer_id: string; kind: Timer['kind']; rollout_id: string; due_at: string; payload: Record<string, unknown> }) => ({
      tenant: r.tenant, timerId: r.timer_id, kind: r.kind, rolloutId: r.rollout_id, dueAt: Number(r.due_at), payload: r.payload,
    }));
  }
}
