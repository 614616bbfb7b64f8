import type { DomainEvent } from '@rollgate/shared-domain';
import type { GroupConditions, GroupCounters } from './group-conditions';
import type { ErrorAction, SuccessAction } from './rollout.types';

export const GROUP_STATUSES = ['CREATING', 'READY', 'SCHEDULED', 'RUNNING', 'WAITING_FOR_GATE', 'FINISHED', 'ERROR'] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

export interface GroupData {
  groupId: string;
  rolloutId: string;
  index: number;
  name: string;
  conditions: GroupConditions;
  size: number;
  /** Member p (0-based, in membership order) runs as action `firstActionId + p` (DDI action ids are integers). */
  firstActionId: number;
  membershipChunks: number;
  counters: GroupCounters;
  successMet: boolean;
}

export type GroupState = { status: 'INITIAL' } | (GroupData & { status: GroupStatus });

interface At {
  at: number;
}

export type GroupCommand =
  | (At & { type: 'create-group'; groupId: string; rolloutId: string; index: number; name: string; conditions: GroupConditions })
  | (At & { type: 'add-group-members'; targetIds: readonly string[] })
  | (At & { type: 'complete-group-creation'; firstActionId: number })
  | (At & { type: 'schedule-group' })
  | (At & { type: 'start-group' })
  | (At & { type: 'report-group-progress'; counters: GroupCounters })
  | (At & { type: 'record-gate-verdict'; passed: boolean; verdictId: string; reason?: string; counters?: GroupCounters });

export type GroupCommandType = GroupCommand['type'];

export type GroupEvent =
  | DomainEvent<'group-created', At & { groupId: string; rolloutId: string; index: number; name: string; conditions: GroupConditions }>
  | DomainEvent<'group-members-added', At & { chunk: number; targetIds: string[] }>
  | DomainEvent<'group-ready', At & { size: number; firstActionId: number }>
  | DomainEvent<'group-scheduled', At>
  | DomainEvent<'group-started', At & { size: number }>
  | DomainEvent<'group-gate-requested', At & { gate: string; counters: GroupCounters }>
  | DomainEvent<'group-gate-passed', At & { verdictId: string }>
  | DomainEvent<'group-gate-failed', At & { verdictId: string; reason: string }>
  | DomainEvent<'group-success-condition-met', At & { successAction: SuccessAction; counters: GroupCounters }>
  | DomainEvent<'group-error-condition-met', At & { errorAction: ErrorAction; counters: GroupCounters; cause: 'threshold' | 'health-gate' }>
  | DomainEvent<'group-finished', At & { counters: GroupCounters }>;

export type GroupEventType = GroupEvent['type'];
