import { defaultExecution } from './rollout-execution';
import type { GroupTrack, RolloutData, RolloutEvent, RolloutState, RolloutStatus } from './rollout.types';

type Live = RolloutData & { status: RolloutStatus };

export const initialRolloutState: RolloutState = { status: 'INITIAL' };

export function evolveRollout(state: RolloutState, event: RolloutEvent): RolloutState {
  if (event.type === 'rollout-created') {
    const d = event.data;
    return {
      status: 'CREATING', rolloutId: d.rolloutId, name: d.name, description: d.description,
      targetFilterQuery: d.targetFilterQuery, distributionSetId: d.distributionSetId, actionType: d.actionType,
      forceTime: d.forceTime, weight: d.weight, startAt: d.startAt, execution: d.execution ?? defaultExecution(), approvalPolicy: d.approvalPolicy,
      approvalRequired: d.approvalRequired, approvals: [], planHash: d.plan.hash,
      groups: d.plan.groups.map((g) => ({ ...g, triggered: false, completed: false })),
      createdBy: d.createdBy, createdAt: d.at, actionsCreated: false, rollbackOf: d.rollbackOf, incidents: 0, dynamicGroupTemplate: d.dynamicGroupTemplate,
    };
  }
  if (state.status === 'INITIAL') return state;
  return evolveLive(state, event);
}

function evolveLive(s: Live, event: RolloutEvent): Live {
  switch (event.type) {
    case 'rollout-created':
      return s;
    case 'rollout-ready':
      return { ...s, status: 'READY' };
    case 'rollout-approval-requested':
      return { ...s, status: 'WAITING_FOR_APPROVAL', approvals: [], approvalExpiresAt: undefined };
    case 'rollout-updated': {
      const { name, description, plan } = event.data;
      const next: Live = { ...s, name: name ?? s.name, description: description ?? s.description };
      if (!plan) return next;
      return { ...next, planHash: plan.hash, groups: plan.groups.map((g) => ({ ...g, triggered: false, completed: false })) };
    }
    case 'rollout-approval-voided':
      return { ...s, status: 'WAITING_FOR_APPROVAL', approvals: [], approvalExpiresAt: undefined };
    case 'rollout-approval-given': {
      const { approver, remark, planHash, at, expiresAt } = event.data;
      return { ...s, approvals: [...s.approvals, { approver, remark, planHash, at, expiresAt }] };
    }
    case 'rollout-approved':
      return { ...s, status: 'READY', approvalExpiresAt: event.data.expiresAt };
    case 'rollout-approval-denied':
      return { ...s, status: 'APPROVAL_DENIED' };
    case 'rollout-approval-expired':
      return { ...s, status: 'WAITING_FOR_APPROVAL', approvals: [], approvalExpiresAt: undefined };
    case 'rollout-start-scheduled':
      return { ...s, startAt: event.data.startAt };
    case 'rollout-starting':
      return { ...s, status: 'STARTING', actionsCreated: true };
    case 'rollout-started':
      return { ...s, status: 'RUNNING' };
    case 'rollout-group-triggered':
      return withGroup(s, event.data.groupId, { triggered: true });
    case 'rollout-group-succeeded':
      return withGroup(s, event.data.groupId, { outcome: 'succeeded' });
    case 'rollout-group-failed':
      return withGroup(s, event.data.groupId, { outcome: 'failed' });
    case 'rollout-group-completed':
      return withGroup(s, event.data.groupId, { completed: true });
    case 'rollout-paused':
      return { ...s, status: 'PAUSED' };
    case 'rollout-resumed':
      return { ...s, status: 'RUNNING' };
    case 'rollout-stopping':
      return { ...s, status: 'STOPPING', stopReason: event.data.reason };
    case 'rollout-rollback-requested':
      return s;
    case 'rollout-incident-recorded':
      return { ...s, incidents: s.incidents + 1 };
    case 'rollout-dynamic-group-added': {
      const { groupId, name, size } = event.data;
      return { ...s, groups: [...s.groups, { groupId, name, size, triggered: false, completed: false }] };
    }
    case 'rollout-stopped':
      return { ...s, status: 'STOPPED' };
    case 'rollout-finished':
      return { ...s, status: 'FINISHED' };
    case 'rollout-deleting':
      return { ...s, status: 'DELETING' };
    case 'rollout-deleted':
      return { ...s, status: 'DELETED', deletedHard: event.data.hard };
    case 'rollout-retry-requested':
      return s;
  }
}

function withGroup(s: Live, groupId: string, patch: Partial<GroupTrack>): Live {
  return { ...s, groups: s.groups.map((g) => (g.groupId === groupId ? { ...g, ...patch } : g)) };
}
