import type { RolloutData, RolloutStatus } from '@rollgate/rollout-domain';
import { currentRatePerMinute, endedCount, inFlight, isReleaseWorthIt, pacedRelease, rateRefillAt, refillRateBucket, type PacingInput, type PacingLimits, type RateBucket } from '@rollgate/scheduling-domain';
import type { PoolClient } from 'pg';
import type { GroupProgress, GroupProgressStore } from '../progress/group-progress.store';
import { timerIds, type TimerStore } from '../timers/timer.store';
import { freezeAt, type SchedulerSettings } from './scheduler-settings';

const BUDGET_RETRY_MS = 5_000;

type Rollout = RolloutData & { status: RolloutStatus };

/** The part of a group pacing needs; a group about to start has released 0 and nothing ended. */
export type PacedGroup = Pick<GroupProgress, 'groupId' | 'size' | 'released' | 'counters' | 'downloadOnly' | 'notified'>;

/**
 * Decides how many members of a group may have open actions (event-flow step 3): maxParallel per rollout,
 * maximumPerMinute with its ramp (a token bucket per rollout), the tenant's change budget, freeze windows.
 * When it holds members back for time (rate, freeze), it sets the rollout's pacing timer to try again.
 */
export class Pacer {
  constructor(
    private readonly settings: SchedulerSettings,
    private readonly progress: GroupProgressStore,
    private readonly timers: TimerStore,
  ) {}

  /** Whether pacing applies at all: otherwise a group starts with every member released. */
  isPaced(rollout: Rollout): boolean {
    const e = rollout.execution;
    return e.maxParallel !== undefined || e.rate !== undefined || this.settings.changeBudget !== undefined || this.settings.freezeWindows.length > 0;
  }

  /** The new `released` for `group`; equal to its current one when nothing is worth releasing now. */
  async nextRelease(tx: PoolClient, tenant: string, rollout: Rollout, group: PacedGroup, now: number, starting: boolean): Promise<number> {
    if (rollout.status !== 'RUNNING' && !(starting && rollout.status === 'STARTING')) return group.released;
    const freeze = freezeAt(this.settings, now);
    if (freeze.frozen) {
      await this.retryAt(tx, tenant, rollout.rolloutId, freeze.until!);
      return group.released;
    }
    const limits: PacingLimits = { maxParallel: rollout.execution.maxParallel, rate: rollout.execution.rate, tenantBudget: this.settings.changeBudget };
    const siblings = (await this.progress.ofRollout(tx, tenant, rollout.rolloutId)).filter((g) => g.groupId !== group.groupId);
    const rolloutInFlightElsewhere = siblings.reduce((sum, g) => sum + inFlight(g.released, endedCount(g.counters, g.downloadOnly)), 0);
    const tenantInFlightElsewhere = limits.tenantBudget === undefined ? 0 : await this.progress.tenantInFlight(tx, tenant, group.groupId);
    const { bucket, perMinute } = await this.rateBucket(tx, tenant, rollout, [...siblings, group], now);
    const input: PacingInput = {
      size: group.size, released: group.released, ended: endedCount(group.counters, group.downloadOnly),
      rolloutInFlightElsewhere, tenantInFlightElsewhere, rateTokens: bucket ? bucket.tokens : Infinity, frozen: false, limits,
    };
    const next = pacedRelease(input);
    // A group's first release always counts; later ones wait until they open a worthwhile number.
    const release = starting ? next : isReleaseWorthIt(input, next) ? next : group.released;
    if (bucket && perMinute !== undefined) {
      const spent = { tokens: bucket.tokens - (release - group.released), at: bucket.at };
      await this.saveBucket(tx, tenant, rollout.rolloutId, spent);
      if (release < group.size) await this.retryAt(tx, tenant, rollout.rolloutId, rateRefillAt(spent, perMinute, Math.max(1, Math.min(perMinute, group.size - release))));
    }
    // Members held back by other rollouts' use of the budget: their progress does not wake this group.
    if (limits.tenantBudget !== undefined && release < group.size) await this.retryAt(tx, tenant, rollout.rolloutId, now + BUDGET_RETRY_MS);
    return release;
  }

  private async rateBucket(tx: PoolClient, tenant: string, rollout: Rollout, groups: PacedGroup[], now: number): Promise<{ bucket?: RateBucket; perMinute?: number }> {
    const rate = rollout.execution.rate;
    if (!rate) return {};
    const notified = groups.reduce((sum, g) => sum + g.notified, 0);
    const succeeded = groups.reduce((sum, g) => sum + g.counters.finished, 0);
    const perMinute = currentRatePerMinute(rate, notified, succeeded);
    const { rows } = await tx.query<{ tokens: number; at: string }>(`SELECT tokens, at FROM scheduler_rate_buckets WHERE tenant = $1 AND rollout_id = $2 FOR UPDATE`, [tenant, rollout.rolloutId]);
    const stored = rows[0] ? { tokens: rows[0].tokens, at: Number(rows[0].at) } : undefined;
    return { bucket: refillRateBucket(stored, now, perMinute), perMinute };
  }

  private async saveBucket(tx: PoolClient, tenant: string, rolloutId: string, bucket: RateBucket): Promise<void> {
    await tx.query(
      `INSERT INTO scheduler_rate_buckets (tenant, rollout_id, tokens, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, rollout_id) DO UPDATE SET tokens = EXCLUDED.tokens, at = EXCLUDED.at`,
      [tenant, rolloutId, bucket.tokens, bucket.at],
    );
  }

  private async retryAt(tx: PoolClient, tenant: string, rolloutId: string, dueAt: number): Promise<void> {
    await this.timers.setEarliest(tx, { tenant, timerId: timerIds.pacing(rolloutId), kind: 'pacing', rolloutId, dueAt, payload: {} });
  }
}
