import { Inject, Injectable } from '@nestjs/common';
import { actionDecider, rolloutDecider, type GroupConditions, type RolloutEvent } from '@rollgate/rollout-domain';
import { EventStore } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, fold } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { parseEventType } from '@rollgate/contracts';
import type { Principal } from '../identity/principal';
import { naturalId } from '../catalog/catalog-ids';
import { AggregateRepository } from '../shared/aggregate.repository';
import type { CreateRolloutRequest } from './rollout-body.schema';
import { RolloutCreation, rolloutStream, type StartedCreation } from './rollout-creation.service';

const FAILED: ReadonlySet<string> = new Set(['ERROR', 'TIMED_OUT']);
const READ_BATCH = 1_000;

/**
 * hawkBit's retry: a FINISHED rollout's failed targets get a new rollout `<name>_retry` (one group, the
 * original's distribution set, type, weight and last group's conditions). The original records
 * `rollout-retry-requested` in the same transaction that creates the new rollout, so neither exists alone.
 */
@Injectable()
export class RolloutRetry {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(RolloutCreation) private readonly creation: RolloutCreation,
  ) {}

  async retry(caller: Principal, rolloutId: string): Promise<StartedCreation> {
    const loaded = await this.repository.load(caller.tenant, rolloutStream(rolloutId), rolloutDecider);
    const { state } = loaded;
    if (state.status === 'INITIAL') throw new DomainError('rollout_not_found', `no rollout ${rolloutId}`);
    const failed = state.status === 'FINISHED' ? await this.failedTargets(caller.tenant, rolloutId) : [];
    const name = `${state.name}_retry`;
    // The decider refuses a rollout that is not FINISHED (409 with its state) or has nothing to retry.
    const requested: RolloutEvent[] = rolloutDecider.decide(
      { type: 'retry-rollout', newRolloutId: naturalId('rollout', name), failedTargets: failed.length, by: caller.username, at: Date.now() }, state,
    );
    const body: CreateRolloutRequest = {
      name, description: `retry of ${state.name}: its ${failed.length} failed targets`, distributionSetId: state.distributionSetId,
      targetFilterQuery: state.targetFilterQuery, type: state.actionType, weight: state.weight, forcetime: state.forceTime, amountGroups: 1,
      ...conditionsBody(await this.lastGroupConditions(caller.tenant, rolloutId)),
    };
    return this.creation.start(caller, body, { onlyTargets: failed, alongside: [{ streamId: rolloutStream(rolloutId), expectedVersion: loaded.version, events: requested }] });
  }

  /**
   * Targets whose action in this rollout ended ERROR or TIMED_OUT. SQL narrows to the action streams of the
   * rollout that ever saw a failure; the action decider's fold decides whether the failure is final (an
   * attempt that failed and was retried, then finished, is not a failed target).
   */
  async failedTargets(tenant: string, rolloutId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ stream_id: string }>(
      `SELECT c.stream_id FROM events c
        WHERE c.tenant = $1 AND c.type = 'io.rollgate.action.action-created.v1' AND c.data->>'rolloutId' = $2
          AND EXISTS (SELECT 1 FROM events f WHERE f.tenant = c.tenant AND f.stream_id = c.stream_id
                        AND (f.type = 'io.rollgate.action.action-timed-out.v1' OR f.data->>'status' IN ('ERROR', 'TIMED_OUT')))`,
      [tenant, rolloutId],
    );
    const failed: string[] = [];
    for (let from = 0; from < rows.length; from += READ_BATCH) {
      const streams = await this.store.readStreams(tenant, rows.slice(from, from + READ_BATCH).map((row) => row.stream_id));
      for (const events of streams.values()) {
        const state = fold(actionDecider, events.map((e) => ({ type: parseEventType(e.type).event, data: e.data }) as Parameters<typeof actionDecider.evolve>[1]));
        if (state.status !== 'INITIAL' && FAILED.has(state.status)) failed.push(state.targetId);
      }
    }
    return failed.sort();
  }

  private async lastGroupConditions(tenant: string, rolloutId: string): Promise<GroupConditions | undefined> {
    const { rows } = await this.pool.query<{ conditions: GroupConditions }>(
      'SELECT conditions FROM rollout_groups WHERE tenant = $1 AND rollout_id = $2 ORDER BY idx DESC LIMIT 1', [tenant, rolloutId],
    );
    return rows[0]?.conditions;
  }
}

function conditionsBody(c: GroupConditions | undefined): Partial<CreateRolloutRequest> {
  if (!c) return {};
  return {
    successCondition: { condition: 'THRESHOLD', expression: String(c.success.threshold) },
    successAction: { action: c.successAction },
    errorCondition: c.error.kind === 'count' ? { condition: 'COUNT', expression: String(c.error.threshold) } : { condition: 'THRESHOLD', expression: String(c.error.threshold) },
    errorAction: { action: c.errorAction },
    successMode: c.success.mode,
  };
}
