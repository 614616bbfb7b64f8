import { Logger } from '@nestjs/common';
import { ACTION_ID_SEQUENCE, reserveIdBlock } from '@rollgate/event-store';
import { compileFilter } from '@rollgate/filter-domain';
import { targetsProjection } from '@rollgate/read-models';
import { groupDecider, rolloutDecider } from '@rollgate/rollout-domain';
import { groupStream, rolloutStream } from '@rollgate/scheduling-domain';
import type { Pool, PoolClient } from 'pg';
import { timerIds, type TimerStore } from '../timers/timer.store';
import type { StreamWriter, WrittenEvent } from '../writes/stream-writer';
import { awaitProjection } from './await-projection';
import type { Rollout } from './scheduler-engine';

const CHUNK = 5_000;

/**
 * Dynamic rollouts (hawkBit): a target created or changed after the rollout was created that now matches its
 * filter joins, lowest priority, in a dynamic group made from the rollout's template. Joiners wait in
 * scheduler_dynamic_members until they fill a group of `targetsPerGroup`, or until the flush timer makes a
 * smaller one, so that a trickle of new devices is not held back forever.
 */
export class DynamicJoiner {
  private readonly logger = new Logger('dynamic');

  constructor(
    private readonly pool: Pool,
    private readonly writer: StreamWriter,
    private readonly timers: TimerStore,
    private readonly flushAfterMs: number,
  ) {}

  async register(tx: PoolClient, tenant: string, rollout: Rollout): Promise<void> {
    if (!rollout.dynamicGroupTemplate) return;
    await tx.query(
      `INSERT INTO scheduler_dynamic_rollouts (tenant, rollout_id, filter, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [tenant, rollout.rolloutId, rollout.targetFilterQuery, rollout.createdAt],
    );
  }

  async unregister(tx: PoolClient, tenant: string, rolloutId: string): Promise<void> {
    await tx.query(`DELETE FROM scheduler_dynamic_rollouts WHERE tenant = $1 AND rollout_id = $2`, [tenant, rolloutId]);
  }

  /** A target event: the target joins every running dynamic rollout of the tenant whose filter it now matches. */
  async onTargetChanged(tx: PoolClient, tenant: string, controllerId: string, eventId: string, load: (rolloutId: string) => Promise<Rollout | undefined>, now: number): Promise<WrittenEvent[]> {
    const { rows } = await tx.query<{ rollout_id: string; filter: string; created_at: string }>(`SELECT rollout_id, filter, created_at FROM scheduler_dynamic_rollouts WHERE tenant = $1`, [tenant]);
    if (rows.length === 0) return [];
    if (!(await awaitProjection(this.pool, targetsProjection, eventId))) this.logger.warn('the targets read model did not reach a target event in time; matching with what it has');
    const written: WrittenEvent[] = [];
    for (const r of rows) {
      if (!(await this.matches(tx, tenant, controllerId, r.filter, Number(r.created_at)))) continue;
      const joined = await tx.query(`INSERT INTO scheduler_dynamic_members (tenant, rollout_id, target_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [tenant, r.rollout_id, controllerId]);
      if (joined.rowCount === 0) continue;
      const rollout = await load(r.rollout_id);
      if (!rollout?.dynamicGroupTemplate) continue;
      const pending = await this.pendingCount(tx, tenant, r.rollout_id);
      if (pending >= rollout.dynamicGroupTemplate.targetsPerGroup) written.push(...(await this.flush(tx, tenant, rollout, now)));
      else await this.timers.setEarliest(tx, { tenant, timerId: timerIds.dynamicFlush(r.rollout_id), kind: 'dynamic-flush', rolloutId: r.rollout_id, dueAt: now + this.flushAfterMs, payload: {} });
    }
    return written;
  }

  /** Turns pending joiners into dynamic groups of targetsPerGroup (the last one may be smaller). */
  async flush(tx: PoolClient, tenant: string, rollout: Rollout, now: number): Promise<WrittenEvent[]> {
    const template = rollout.dynamicGroupTemplate;
    if (!template || (rollout.status !== 'RUNNING' && rollout.status !== 'PAUSED')) return [];
    const written: WrittenEvent[] = [];
    let current = rollout;
    for (;;) {
      const { rows } = await tx.query<{ target_id: string }>(
        `SELECT target_id FROM scheduler_dynamic_members WHERE tenant = $1 AND rollout_id = $2 AND group_id IS NULL ORDER BY target_id LIMIT $3 FOR UPDATE`,
        [tenant, rollout.rolloutId, template.targetsPerGroup],
      );
      if (rows.length === 0) return written;
      const targets = rows.map((r) => r.target_id);
      const index = current.groups.length;
      const groupId = `${rollout.rolloutId}-dynamic-${index}`;
      const name = `${template.namePrefix}-${index + 1}`;
      await this.createGroup(tx, tenant, rollout.rolloutId, groupId, index, name, targets, template.conditions, now);
      await tx.query(`UPDATE scheduler_dynamic_members SET group_id = $4 WHERE tenant = $1 AND rollout_id = $2 AND target_id = ANY($3::text[])`, [tenant, rollout.rolloutId, targets, groupId]);
      const stream = rolloutStream(rollout.rolloutId);
      const { events, state } = await this.writer.execute(tx, tenant, 'rollout', stream, rolloutDecider, { type: 'add-dynamic-group', groupId, name, size: targets.length, at: now });
      written.push(...events.map((event) => ({ tenant, streamId: stream, event })));
      if (state.status === 'INITIAL') return written;
      current = state;
    }
  }

  private async createGroup(tx: PoolClient, tenant: string, rolloutId: string, groupId: string, index: number, name: string, targets: string[], conditions: NonNullable<Rollout['dynamicGroupTemplate']>['conditions'], now: number): Promise<void> {
    const stream = groupStream(groupId);
    await this.writer.execute(tx, tenant, 'rollout', stream, groupDecider, { type: 'create-group', groupId, rolloutId, index, name, conditions, at: now });
    for (let c = 0; c < targets.length; c += CHUNK) await this.writer.execute(tx, tenant, 'rollout', stream, groupDecider, { type: 'add-group-members', targetIds: targets.slice(c, c + CHUNK), at: now });
    const firstActionId = await reserveIdBlock(tx, ACTION_ID_SEQUENCE, targets.length);
    await this.writer.execute(tx, tenant, 'rollout', stream, groupDecider, { type: 'complete-group-creation', firstActionId, at: now });
    await this.writer.execute(tx, tenant, 'rollout', stream, groupDecider, { type: 'schedule-group', at: now });
  }

  private async pendingCount(tx: PoolClient, tenant: string, rolloutId: string): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM scheduler_dynamic_members WHERE tenant = $1 AND rollout_id = $2 AND group_id IS NULL`, [tenant, rolloutId]);
    return rows[0].n;
  }

  /** The filter against the targets read model (the planner's), for this one target created after the rollout. */
  private async matches(tx: PoolClient, tenant: string, controllerId: string, filter: string, rolloutCreatedAt: number): Promise<boolean> {
    let sql: { where: string; values: unknown[] };
    try {
      sql = compileFilter(filter).toSql({ firstParameter: 4 });
    } catch (error) {
      this.logger.warn(`dynamic rollout filter "${filter}" does not compile: ${(error as Error).message}`);
      return false;
    }
    const { rowCount } = await tx.query(`SELECT 1 FROM targets WHERE tenant = $1 AND controller_id = $2 AND created_at > $3 AND (${sql.where})`, [tenant, controllerId, rolloutCreatedAt, ...sql.values]);
    return (rowCount ?? 0) > 0;
  }
}
