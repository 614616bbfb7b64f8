import { Inject, Injectable } from '@nestjs/common';
import type { ActionRow } from '@rollgate/read-models';
import { actionDecider, type ActionCommand, type ActionType } from '@rollgate/rollout-domain';
import { ConcurrencyError, DomainError } from '@rollgate/shared-domain';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';

/**
 * Cancels an action through the action decider. A rollout action its device never touched has no stream
 * yet (the gateway begins it lazily): the planner begins it here with `action-created` (the data the group
 * events imply) followed by the cancellation, in one append at version 0. If the gateway began the stream in
 * the meantime, that append fails on the version and the cancel is decided again on the real stream.
 */
@Injectable()
export class ActionCancellation {
  constructor(@Inject(AggregateRepository) private readonly repository: AggregateRepository) {}

  async cancel(caller: Principal, action: ActionRow, force: boolean): Promise<void> {
    const streamId = `action-${action.id}`;
    const at = Date.now();
    const cancel: ActionCommand = { type: 'cancel-action', force, by: caller.username, at };
    if (action.derived) {
      // Its rollout stopped before the device ever saw it: closed, as a recorded canceled action would be.
      if (action.status === 'CANCELED') throw new DomainError('action_closed', `action ${action.id} is canceled and no longer active`, { status: action.status });
      const { state, version } = await this.repository.load(caller.tenant, streamId, actionDecider);
      if (state.status === 'INITIAL') {
        const created = actionDecider.decide(beginFrom(action, at), state);
        const canceled = actionDecider.decide(cancel, created.reduce(actionDecider.evolve, state));
        try {
          await this.repository.appendDecided(caller, 'action', [{ streamId, expectedVersion: version, events: [...created, ...canceled] }]);
          return;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
    }
    await this.repository.execute(caller, 'action', streamId, actionDecider, cancel);
  }
}

/** The action-created a started rollout group implies for one member (docs/event-flow.md). */
function beginFrom(action: ActionRow, at: number): ActionCommand {
  return {
    type: 'create-action', actionId: action.id, targetId: action.controller_id, distributionSetId: action.distribution_set_id,
    rolloutId: action.rollout_id ?? undefined, groupId: action.group_id ?? undefined, actionType: action.action_type as ActionType,
    forceTime: action.force_time !== null ? Number(action.force_time) : undefined, weight: action.weight, at,
  };
}
