import type { GateVerdict, GroupCommand, GroupData, GroupEvent, RolloutCommand, RolloutData, RolloutEvent, RolloutStatus } from '@rollgate/rollout-domain';

/** The streams the scheduler writes (docs/event-flow.md, "Streams"). */
export const rolloutStream = (rolloutId: string): string => `rollout-${rolloutId}`;
export const groupStream = (groupId: string): string => `rolloutgroup-${groupId}`;
export const actionStream = (actionId: number | string): string => `action-${actionId}`;
export const healthStream = (rolloutId: string): string => `health-${rolloutId}`;

/** A command the scheduler issues in reaction to an event, addressed to its stream. */
export type SchedulerCommand =
  | { aggregate: 'rollout'; streamId: string; command: RolloutCommand }
  | { aggregate: 'group'; streamId: string; command: GroupCommand };

const onRollout = (rolloutId: string, command: RolloutCommand): SchedulerCommand => ({ aggregate: 'rollout', streamId: rolloutStream(rolloutId), command });
const onGroup = (groupId: string, command: GroupCommand): SchedulerCommand => ({ aggregate: 'group', streamId: groupStream(groupId), command });

/** A gate that answered CAUTION/INCONCLUSIVE is asked again after this, when the rollout has no soak for the group. */
export const DEFAULT_GATE_RECHECK_MS = 60_000;

/**
 * The rollout's own events the scheduler continues (event-flow steps 3 and 8). Starting a group is decided
 * here without its pacing: the caller fills `released` (it needs the in-flight counts, which are not pure).
 */
export function reactToRolloutEvent(event: RolloutEvent, rollout: RolloutData & { status: RolloutStatus }, at: number): SchedulerCommand[] {
  switch (event.type) {
    case 'rollout-starting':
      // Every group scheduled, then the rollout started with its first group triggered; one transaction.
      return [...rollout.groups.map((g) => onGroup(g.groupId, { type: 'schedule-group', at })), onRollout(rollout.rolloutId, { type: 'complete-rollout-start', at })];
    case 'rollout-group-triggered':
      // A trigger overtaken by a pause or stop (or a delete) starts nothing; resume triggers again.
      return rollout.status === 'RUNNING' ? [onGroup(event.data.groupId, { type: 'start-group', at })] : [];
    case 'rollout-stopping':
      // The stopping event itself cancelled every open action (the gateway acts on it); the stop is complete.
      return [onRollout(rollout.rolloutId, { type: 'complete-rollout-stop', at })];
    default:
      return [];
  }
}

/**
 * A group's condition events become rollout commands (event-flow step 5). The seeds' "human approval after
 * the canary" turns the first group's NEXTGROUP into PAUSE.
 */
export function reactToGroupEvent(event: GroupEvent, group: Pick<GroupData, 'groupId' | 'rolloutId' | 'index'>, rollout: Pick<RolloutData, 'execution'>, at: number): SchedulerCommand[] {
  const { groupId, rolloutId } = group;
  switch (event.type) {
    case 'group-success-condition-met': {
      const pauseAfterCanary = rollout.execution.pauseAfterCanary === true && group.index === 0;
      return [onRollout(rolloutId, { type: 'record-group-succeeded', groupId, successAction: pauseAfterCanary ? 'PAUSE' : event.data.successAction, at })];
    }
    case 'group-error-condition-met':
      return [onRollout(rolloutId, { type: 'record-group-failed', groupId, errorAction: event.data.errorAction, at })];
    case 'group-finished':
      return [onRollout(rolloutId, { type: 'record-group-completed', groupId, at })];
    default:
      return [];
  }
}

/** The soak after group `index` (execution.soakMs; a missing entry means none). */
export function soakAfter(rollout: Pick<RolloutData, 'execution'>, index: number): number {
  return rollout.execution.soakMs[index] ?? 0;
}

export interface GateEvaluated {
  rolloutId: string;
  groupId: string;
  gate: string;
  verdictId: string;
  verdict: GateVerdict;
  reason?: string;
}

/** health-evaluator's verdict recorded on the group (event-flow step 6); CAUTION/INCONCLUSIVE soak again. */
export function reactToGateVerdict(verdict: GateEvaluated, group: Pick<GroupData, 'index'>, rollout: Pick<RolloutData, 'execution'>, at: number): SchedulerCommand {
  const extendSoakMs = soakAfter(rollout, group.index) || DEFAULT_GATE_RECHECK_MS;
  return onGroup(verdict.groupId, { type: 'record-gate-verdict', verdict: verdict.verdict, verdictId: verdict.verdictId, reason: verdict.reason, extendSoakMs, at });
}
