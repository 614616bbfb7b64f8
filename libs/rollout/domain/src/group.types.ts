import type { DomainEvent } from '@rollgate/shared-domain';
import type { GroupConditions, GroupCounters } from './group-conditions';
import type { ErrorAction, SuccessAction } from './rollout.types';

/** SOAKING: the success condition is met and the group waits out its soak (or a gate's extension) before it counts. */
export const GROUP_STATUSES = ['CREATING', 'READY', 'SCHEDULED', 'RUNNING', 'SOAKING', 'WAITING_FOR_GATE', 'FINISHED', 'ERROR'] as const;
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
  /** Members at positions below this have open actions (pacing); the rest are not offered yet. */
  released: number;
  /** While SOAKING: when the soak ends. */
  soakUntil?: number;
  /** Gate verdicts that asked for more soak, for the record and to bound re-asks. */
  gateDeferrals: number;
}

export type GateVerdict = 'PASS' | 'FAIL' | 'CAUTION' | 'INCONCLUSIVE';
export type SoakReason = 'success' | 'gate-caution' | 'gate-inconclusive';

export type GroupState = { status: 'INITIAL' } | (GroupData & { status: GroupStatus });

interface At {
  at: number;
}

export type GroupCommand =
  | (At & { type: 'create-group'; groupId: string; rolloutId: string; index: number; name: string; conditions: GroupConditions })
  | (At & { type: 'add-group-members'; targetIds: readonly string[] })
  | (At & { type: 'complete-group-creation'; firstActionId: number })
  | (At & { type: 'schedule-group' })
  /** `released` (pacing): how many members, from position 0, get open actions now; absent means all. */
  | (At & { type: 'start-group'; released?: number })
  | (At & { type: 'release-group-actions'; released: number })
  /** `soakMs`: the rollout's soak after this group (execution.soakMs[index]); waited before success counts. */
  | (At & { type: 'report-group-progress'; counters: GroupCounters; soakMs?: number })
  | (At & { type: 'complete-group-soak'; counters?: GroupCounters })
  /** CAUTION and INCONCLUSIVE extend the soak by `extendSoakMs`, then the gate is asked again. */
  | (At & { type: 'record-gate-verdict'; verdict: GateVerdict; verdictId: string; reason?: string; counters?: GroupCounters; extendSoakMs?: number });

export type GroupCommandType = GroupCommand['type'];

export type GroupEvent =
  | DomainEvent<'group-created', At & { groupId: string; rolloutId: string; index: number; name: string; conditions: GroupConditions }>
  /**
   * `targetCount` is never written: a reader that needs only the group's size (the scheduler) may load a
   * chunk as its count instead of its thousands of ids.
   */
  | DomainEvent<'group-members-added', At & { chunk: number; targetIds: string[]; targetCount?: number }>
  | DomainEvent<'group-ready', At & { size: number; firstActionId: number }>
  | DomainEvent<'group-scheduled', At>
  | DomainEvent<'group-started', At & { size: number; released?: number }>
  | DomainEvent<'group-actions-released', At & { released: number }>
  | DomainEvent<'group-soak-started', At & { until: number; reason: SoakReason; counters: GroupCounters }>
  | DomainEvent<'group-soak-completed', At>
  | DomainEvent<'group-gate-deferred', At & { verdictId: string; verdict: 'CAUTION' | 'INCONCLUSIVE'; reason: string }>
  | DomainEvent<'group-gate-requested', At & { gate: string; counters: GroupCounters }>
  | DomainEvent<'group-gate-passed', At & { verdictId: string }>
  | DomainEvent<'group-gate-failed', At & { verdictId: string; reason: string }>
  | DomainEvent<'group-success-condition-met', At & { successAction: SuccessAction; counters: GroupCounters }>
  | DomainEvent<'group-error-condition-met', At & { errorAction: ErrorAction; counters: GroupCounters; cause: 'threshold' | 'health-gate' }>
  | DomainEvent<'group-finished', At & { counters: GroupCounters }>;

export type GroupEventType = GroupEvent['type'];
