import { DomainError, type Decider } from '@rollgate/shared-domain';
import { assertMayDecideApproval, isApprovalRequired, liveApprovals, quorumExpiry } from './rollout-approval.rules';
import { evolveRollout, initialRolloutState } from './rollout.evolve';
import type { RolloutCommand, RolloutData, RolloutEvent, RolloutState, RolloutStatus } from './rollout.types';

type Live = RolloutData & { status: RolloutStatus };
type Cmd<T extends RolloutCommand['type']> = Extract<RolloutCommand, { type: T }>;

/** Where a rollout's plan may still change (before anything was started). */
const PLAN_EDITABLE: readonly RolloutStatus[] = ['CREATING', 'READY', 'WAITING_FOR_APPROVAL', 'APPROVAL_DENIED'];
/** "stop from any live state": a rollout that could still start or is running. */
const STOPPABLE: readonly RolloutStatus[] = ['READY', 'WAITING_FOR_APPROVAL', 'STARTING', 'RUNNING', 'PAUSED'];

export const rolloutDecider: Decider<RolloutCommand, RolloutState, RolloutEvent> = {
  initialState: initialRolloutState,
  evolve: evolveRollout,
  decide(command, state) {
    if (command.type === 'create-rollout') return create(command, state);
    if (state.status === 'INITIAL') throw new DomainError('rollout_not_found', 'the rollout does not exist');
    if (state.status === 'DELETING' || state.status === 'DELETED') {
      if (command.type === 'complete-rollout-deletion' && state.status === 'DELETING') {
        return [{ type: 'rollout-deleted', data: { hard: !state.actionsCreated, at: command.at } }];
      }
      throw new DomainError('rollout_deleted', `rollout ${state.rolloutId} is ${state.status.toLowerCase()}`);
    }
    switch (command.type) {
      case 'complete-rollout-creation':
        return completeCreation(command, state);
      case 'update-rollout':
        return update(command, state);
      case 'approve-rollout':
        return approve(command, state);
      case 'deny-rollout':
        requireStatus(state, ['WAITING_FOR_APPROVAL'], 'rollout_not_awaiting_approval');
        assertMayDecideApproval(state, command.approver, command.permissions);
        return [{ type: 'rollout-approval-denied', data: { approver: command.approver, remark: command.remark ?? '', at: command.at } }];
      case 'expire-rollout-approval':
        requireStatus(state, ['READY'], 'rollout_not_ready');
        if (state.approvalExpiresAt === undefined || state.approvalExpiresAt > command.at) {
          throw new DomainError('approval_not_expired', `the approval of rollout ${state.rolloutId} has not expired`);
        }
        return [{ type: 'rollout-approval-expired', data: { at: command.at } }];
      case 'start-rollout':
        return start(command, state);
      case 'complete-rollout-start':
        requireStatus(state, ['STARTING'], 'rollout_not_starting');
        return [
          { type: 'rollout-started', data: { groupIds: state.groups.map((g) => g.groupId), at: command.at } },
          { type: 'rollout-group-triggered', data: { groupId: state.groups[0].groupId, index: 0, reason: 'first', at: command.at } },
        ];
      case 'pause-rollout':
        requireStatus(state, ['RUNNING'], 'rollout_not_running');
        return [{ type: 'rollout-paused', data: { reason: 'manual', by: command.by, at: command.at } }];
      case 'resume-rollout':
        return resume(command, state);
      case 'stop-rollout':
        requireStatus(state, STOPPABLE, 'rollout_not_stoppable');
        return [{ type: 'rollout-stopping', data: { reason: 'manual', by: command.by, at: command.at } }];
      case 'complete-rollout-stop':
        requireStatus(state, ['STOPPING'], 'rollout_not_stopping');
        return [{ type: 'rollout-stopped', data: { at: command.at } }];
      case 'delete-rollout':
        return [{ type: 'rollout-deleting', data: { by: command.by, at: command.at } }];
      case 'complete-rollout-deletion':
        throw new DomainError('rollout_not_deleting', `rollout ${state.rolloutId} is not being deleted`);
      case 'trigger-next-group': {
        requireStatus(state, ['RUNNING'], 'rollout_not_running');
        const next = nextGroupIndex(state);
        if (next < 0) throw new DomainError('no_next_group', `rollout ${state.rolloutId} has no group left to start`);
        return [{ type: 'rollout-group-triggered', data: { groupId: state.groups[next].groupId, index: next, reason: 'manual', at: command.at } }];
      }
      case 'retry-rollout':
        requireStatus(state, ['FINISHED'], 'rollout_not_finished');
        if (command.failedTargets <= 0) throw new DomainError('no_failed_targets', `rollout ${state.rolloutId} has no failed targets to retry`);
        return [{
          type: 'rollout-retry-requested',
          data: { newRolloutId: command.newRolloutId, name: `${state.name}_retry`, failedTargets: command.failedTargets, by: command.by, at: command.at },
        }];
      case 'record-group-succeeded':
        return groupSucceeded(command, state);
      case 'record-group-failed':
        return groupFailed(command, state);
      case 'record-group-completed':
        return groupCompleted(command, state);
      case 'halt-rollout':
        requireStatus(state, ['RUNNING'], 'rollout_not_running');
        return [{ type: 'rollout-paused', data: { reason: 'error-action', by: `health-trigger:${command.trigger}`, at: command.at } }];
      case 'request-rollback':
        return requestRollback(command, state);
      case 'add-dynamic-group':
        return addDynamicGroup(command, state);
      case 'record-incident':
        requireStatus(state, ['RUNNING', 'PAUSED', 'STOPPING', 'STOPPED', 'FINISHED'], 'rollout_not_started');
        return [{ type: 'rollout-incident-recorded', data: { ...command.incident, at: command.at } }];
    }
  },
};

function create(c: Cmd<'create-rollout'>, state: RolloutState): RolloutEvent[] {
  if (state.status !== 'INITIAL') throw new DomainError('rollout_already_exists', `rollout ${c.rolloutId} already exists`);
  const weight = c.weight ?? 1000;
  const actionType = c.actionType ?? 'forced';
  if (!Number.isInteger(weight) || weight < 0 || weight > 1000) throw new DomainError('invalid_weight', 'weight must be an integer in 0..1000', { weight });
  if (actionType === 'timeforced' && c.forceTime === undefined) throw new DomainError('force_time_required', 'a timeforced rollout needs a forcetime');
  if (c.plan.groups.length === 0) throw new DomainError('rollout_plan_empty', 'the plan has no groups: the filter matched no eligible target');
  if (!Number.isInteger(c.approvalPolicy.quorum) || c.approvalPolicy.quorum < 1) throw new DomainError('invalid_quorum', 'the approval quorum must be at least 1');
  const perGroup = c.dynamicGroupTemplate?.targetsPerGroup;
  if (perGroup !== undefined && (!Number.isInteger(perGroup) || perGroup < 1)) throw new DomainError('invalid_dynamic_template', 'a dynamic group template needs targetsPerGroup >= 1', { targetsPerGroup: perGroup });
  return [{
    type: 'rollout-created',
    data: {
      rolloutId: c.rolloutId, name: c.name, description: c.description ?? '', targetFilterQuery: c.targetFilterQuery,
      distributionSetId: c.distributionSetId, plan: c.plan, actionType, forceTime: c.forceTime, weight, startAt: c.startAt, execution: c.execution,
      approvalPolicy: c.approvalPolicy, approvalRequired: isApprovalRequired(c.approvalPolicy, c.creatorPermissions),
      createdBy: c.by, at: c.at, ...(c.rollbackOf ? { rollbackOf: c.rollbackOf } : {}), ...(c.dynamicGroupTemplate ? { dynamicGroupTemplate: c.dynamicGroupTemplate } : {}),
    },
  }];
}

function completeCreation(c: Cmd<'complete-rollout-creation'>, s: Live): RolloutEvent[] {
  requireStatus(s, ['CREATING'], 'rollout_not_creating');
  if (!s.approvalRequired) return [{ type: 'rollout-ready', data: { at: c.at } }];
  return [{ type: 'rollout-approval-requested', data: { planHash: s.planHash, quorum: s.approvalPolicy.quorum, at: c.at } }];
}

function update(c: Cmd<'update-rollout'>, s: Live): RolloutEvent[] {
  const planChanged = c.plan !== undefined && c.plan.hash !== s.planHash;
  if (planChanged && !PLAN_EDITABLE.includes(s.status)) {
    throw new DomainError('rollout_plan_locked', `the plan of rollout ${s.rolloutId} cannot change once it has started`, { status: s.status });
  }
  if (planChanged && c.plan!.groups.length === 0) throw new DomainError('rollout_plan_empty', 'the new plan has no groups');
  const name = c.name !== undefined && c.name !== s.name ? c.name : undefined;
  const description = c.description !== undefined && c.description !== s.description ? c.description : undefined;
  if (!planChanged && name === undefined && description === undefined) return [];
  const events: RolloutEvent[] = [{ type: 'rollout-updated', data: { name, description, plan: planChanged ? c.plan : undefined, by: c.by, at: c.at } }];
  // Any plan change voids an approval, given or pending: the approvers saw another plan.
  if (planChanged && s.approvalRequired && s.status !== 'CREATING') {
    events.push({ type: 'rollout-approval-voided', data: { reason: 'plan-changed', planHash: c.plan!.hash, at: c.at } });
  }
  return events;
}

function approve(c: Cmd<'approve-rollout'>, s: Live): RolloutEvent[] {
  requireStatus(s, ['WAITING_FOR_APPROVAL'], 'rollout_not_awaiting_approval');
  assertMayDecideApproval(s, c.approver, c.permissions);
  if (c.planHash !== s.planHash) {
    throw new DomainError('approval_plan_mismatch', 'the approval was given for another version of the plan', { expected: s.planHash, given: c.planHash });
  }
  const live = liveApprovals(s, c.at);
  if (live.some((a) => a.approver === c.approver)) throw new DomainError('approver_already_approved', `${c.approver} has already approved this plan`);
  const validFor = s.approvalPolicy.validForMs;
  const given = { approver: c.approver, remark: c.remark ?? '', planHash: c.planHash, at: c.at, expiresAt: validFor === undefined ? undefined : c.at + validFor };
  const events: RolloutEvent[] = [{ type: 'rollout-approval-given', data: given }];
  const quorum = [...live, given];
  if (quorum.length >= s.approvalPolicy.quorum) {
    events.push({ type: 'rollout-approved', data: { approvers: quorum.map((a) => a.approver), planHash: s.planHash, expiresAt: quorumExpiry(quorum), at: c.at } });
  }
  return events;
}

function start(c: Cmd<'start-rollout'>, s: Live): RolloutEvent[] {
  requireStatus(s, ['READY'], 'rollout_not_ready');
  if (s.approvalExpiresAt !== undefined && s.approvalExpiresAt <= c.at) {
    throw new DomainError('approval_expired', `the approval of rollout ${s.rolloutId} expired; it needs a new approval`);
  }
  const startAt = c.startAt ?? s.startAt;
  if (startAt !== undefined && startAt > c.at) {
    if (startAt === s.startAt && c.startAt === undefined) return [];
    return [{ type: 'rollout-start-scheduled', data: { startAt, by: c.by, at: c.at } }];
  }
  return [{ type: 'rollout-starting', data: { by: c.by, at: c.at } }];
}

function resume(c: Cmd<'resume-rollout'>, s: Live): RolloutEvent[] {
  requireStatus(s, ['PAUSED'], 'rollout_not_paused');
  const events: RolloutEvent[] = [{ type: 'rollout-resumed', data: { by: c.by, at: c.at } }];
  if (s.groups.every((g) => g.completed)) {
    events.push({ type: 'rollout-finished', data: { at: c.at } });
    return events;
  }
  // Resume starts the next group at once only if the group we paused after met its success condition, or ended
  // without meeting either condition (the operator's resume is the decision that pause asked for).
  const last = lastTriggered(s);
  const next = nextGroupIndex(s);
  const lastMayCascade = last !== undefined && (last.outcome === 'succeeded' || (last.outcome === undefined && last.completed));
  if (lastMayCascade && next >= 0) {
    events.push({ type: 'rollout-group-triggered', data: { groupId: s.groups[next].groupId, index: next, reason: 'resume', at: c.at } });
  }
  return events;
}

function groupSucceeded(c: Cmd<'record-group-succeeded'>, s: Live): RolloutEvent[] {
  const group = runningGroup(s, c.groupId);
  if (group.outcome !== undefined) return [];
  const events: RolloutEvent[] = [{ type: 'rollout-group-succeeded', data: { groupId: c.groupId, at: c.at } }];
  if (s.status !== 'RUNNING') return events;
  if (c.successAction === 'PAUSE') {
    events.push({ type: 'rollout-paused', data: { reason: 'success-action', groupId: c.groupId, at: c.at } });
    return events;
  }
  const next = nextGroupIndex(s);
  // Only the most recently started group cascades; an older group succeeding late must not skip ahead.
  if (next >= 0 && lastTriggered(s)?.groupId === c.groupId) {
    events.push({ type: 'rollout-group-triggered', data: { groupId: s.groups[next].groupId, index: next, reason: 'success-condition', at: c.at } });
  }
  return events;
}

function groupFailed(c: Cmd<'record-group-failed'>, s: Live): RolloutEvent[] {
  const group = runningGroup(s, c.groupId);
  if (group.outcome === 'failed') return [];
  const events: RolloutEvent[] = [{ type: 'rollout-group-failed', data: { groupId: c.groupId, errorAction: c.errorAction, at: c.at } }];
  switch (c.errorAction) {
    case 'PAUSE':
      if (s.status === 'RUNNING') events.push({ type: 'rollout-paused', data: { reason: 'error-action', groupId: c.groupId, at: c.at } });
      return events;
    case 'STOP':
      events.push({ type: 'rollout-stopping', data: { reason: 'emergency', groupId: c.groupId, at: c.at } });
      return events;
    case 'ROLLBACK':
      events.push(
        { type: 'rollout-stopping', data: { reason: 'rollback', groupId: c.groupId, at: c.at } },
        { type: 'rollout-rollback-requested', data: { groupId: c.groupId, distributionSetId: s.distributionSetId, at: c.at } },
      );
      return events;
  }
}

/** A device rollback leaves the rollout running; any wider one stops it first (rollout-stopping cancels open actions). */
function requestRollback(c: Cmd<'request-rollback'>, s: Live): RolloutEvent[] {
  const wide = c.scope !== 'device';
  requireStatus(s, wide ? ['RUNNING', 'PAUSED', 'STOPPING', 'STOPPED'] : ['RUNNING', 'PAUSED'], 'rollout_not_running');
  if (!wide && (c.controllerIds ?? []).length === 0) throw new DomainError('rollback_devices_missing', 'a device rollback names its devices');
  const groupId = c.groupId ?? lastTriggered(s)?.groupId;
  if (!groupId) throw new DomainError('group_not_started', `rollout ${s.rolloutId} has not started a group`);
  if (!s.groups.some((g) => g.groupId === groupId)) throw new DomainError('unknown_group', `group ${groupId} is not part of rollout ${s.rolloutId}`, { groupId });
  const events: RolloutEvent[] = [];
  if (wide && STOPPABLE.includes(s.status)) events.push({ type: 'rollout-stopping', data: { reason: 'rollback', groupId, at: c.at } });
  events.push({
    type: 'rollout-rollback-requested',
    data: { groupId, distributionSetId: s.distributionSetId, scope: c.scope, controllerIds: c.controllerIds, cause: c.cause, at: c.at },
  });
  return events;
}

/**
 * A dynamic group joins after every planned group. If the cascade already ran out of groups (the last one
 * succeeded with nothing after it), the new group starts at once; otherwise the cascade reaches it in turn.
 */
function addDynamicGroup(c: Cmd<'add-dynamic-group'>, s: Live): RolloutEvent[] {
  requireStatus(s, ['RUNNING', 'PAUSED'], 'rollout_not_running');
  if (!s.dynamicGroupTemplate) throw new DomainError('rollout_not_dynamic', `rollout ${s.rolloutId} has no dynamic group template`);
  if (s.groups.some((g) => g.groupId === c.groupId)) return [];
  if (!Number.isInteger(c.size) || c.size < 1) throw new DomainError('invalid_group_size', 'a dynamic group has at least one member', { size: c.size });
  const index = s.groups.length;
  const events: RolloutEvent[] = [{ type: 'rollout-dynamic-group-added', data: { groupId: c.groupId, name: c.name, size: c.size, index, at: c.at } }];
  const last = lastTriggered(s);
  const cascadeIdle = nextGroupIndex(s) < 0 && last?.outcome === 'succeeded';
  if (s.status === 'RUNNING' && cascadeIdle) events.push({ type: 'rollout-group-triggered', data: { groupId: c.groupId, index, reason: 'dynamic', at: c.at } });
  return events;
}

function groupCompleted(c: Cmd<'record-group-completed'>, s: Live): RolloutEvent[] {
  const group = runningGroup(s, c.groupId);
  if (group.completed) return [];
  const events: RolloutEvent[] = [{ type: 'rollout-group-completed', data: { groupId: c.groupId, at: c.at } }];
  const allDone = s.groups.every((g) => g.completed || g.groupId === c.groupId);
  // hawkBit: a dynamic rollout keeps running for targets that may still join.
  if (allDone && s.status === 'RUNNING' && !s.dynamicGroupTemplate) events.push({ type: 'rollout-finished', data: { at: c.at } });
  else if (missedSuccess(s, group)) events.push({ type: 'rollout-paused', data: { reason: 'success-condition-not-met', groupId: c.groupId, at: c.at } });
  return events;
}

/**
 * Every device of the cascading group reached an end state, yet neither its success nor its error condition
 * was met (say 85 % finished against a 90 % success threshold and a 20 % error threshold). hawkBit leaves such
 * a rollout RUNNING forever with nothing left to happen; Rollgate pauses it with this reason, so an operator
 * sees why and decides: resume (the next group starts), triggerNextGroup, or stop.
 */
function missedSuccess(s: Live, group: Live['groups'][number]): boolean {
  return s.status === 'RUNNING' && group.outcome === undefined && lastTriggered(s)?.groupId === group.groupId && nextGroupIndex(s) >= 0;
}

function runningGroup(s: Live, groupId: string) {
  requireStatus(s, ['RUNNING', 'PAUSED'], 'rollout_not_running');
  const group = s.groups.find((g) => g.groupId === groupId);
  if (!group) throw new DomainError('unknown_group', `group ${groupId} is not part of rollout ${s.rolloutId}`, { groupId });
  if (!group.triggered) throw new DomainError('group_not_started', `group ${groupId} has not been started`, { groupId });
  return group;
}

function nextGroupIndex(s: Live): number {
  return s.groups.findIndex((g) => !g.triggered);
}

function lastTriggered(s: Live) {
  return s.groups.filter((g) => g.triggered).at(-1);
}

function requireStatus(s: Live, allowed: readonly RolloutStatus[], code: string): void {
  if (!allowed.includes(s.status)) {
    throw new DomainError(code, `rollout ${s.rolloutId} is ${s.status.toLowerCase()}; this needs ${allowed.map((a) => a.toLowerCase()).join(' or ')}`, { status: s.status });
  }
}
