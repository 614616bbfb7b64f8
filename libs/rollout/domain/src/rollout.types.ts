import type { DomainEvent } from '@rollgate/shared-domain';
import type { RolloutExecution } from './rollout-execution';
import type { GroupConditions } from './group-conditions';

/** hawkBit's rollout states (upper case here; the Management API answers them in lower case). */
export const ROLLOUT_STATUSES = [
  'CREATING', 'WAITING_FOR_APPROVAL', 'APPROVAL_DENIED', 'READY', 'STARTING', 'RUNNING',
  'PAUSED', 'STOPPING', 'STOPPED', 'FINISHED', 'DELETING', 'DELETED',
] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

export type ActionType = 'forced' | 'soft' | 'timeforced' | 'downloadonly';
export type SuccessAction = 'NEXTGROUP' | 'PAUSE';
/** hawkBit knows only PAUSE; STOP and ROLLBACK are Rollgate's emergency shutdowns. */
export type ErrorAction = 'PAUSE' | 'STOP' | 'ROLLBACK';
export const APPROVE_ROLLOUT = 'APPROVE_ROLLOUT';

export interface ApprovalPolicy {
  /** `rollout.approval.enabled` for the tenant. */
  enabled: boolean;
  /** Distinct approvers needed (Rollgate); hawkBit's behaviour is 1. */
  quorum: number;
  /** hawkBit lets a creator holding APPROVE_ROLLOUT skip approval; Rollgate refuses it unless configured. */
  creatorMayApprove: boolean;
  /** An approval older than this no longer lets the rollout start. */
  validForMs?: number;
}

export interface PlannedGroup {
  groupId: string;
  name: string;
  size: number;
}

/** What the rollout remembers of its plan: the hash that approvals bind to and the group order. */
export interface RolloutPlanSummary {
  hash: string;
  /** The shuffle seed, so the plan can be recomputed and explained later (optional only for older callers). */
  seed?: string;
  groups: PlannedGroup[];
}

export interface Approval {
  approver: string;
  remark: string;
  planHash: string;
  at: number;
  expiresAt?: number;
}

export interface GroupTrack extends PlannedGroup {
  triggered: boolean;
  outcome?: 'succeeded' | 'failed';
  completed: boolean;
}

export type StopReason = 'manual' | 'emergency' | 'rollback';

/**
 * hawkBit's dynamic rollout: targets that match the filter after creation join, in groups of
 * `targetsPerGroup` made from this template, after every planned group (lowest priority).
 */
export interface DynamicGroupTemplate {
  conditions: GroupConditions;
  targetsPerGroup: number;
  namePrefix: string;
}

export interface RollbackOrigin {
  rolloutId: string;
  groupId?: string;
  cause: string;
}

export interface RolloutData {
  rolloutId: string;
  name: string;
  description: string;
  targetFilterQuery: string;
  distributionSetId: string;
  actionType: ActionType;
  forceTime?: number;
  weight: number;
  startAt?: number;
  execution: RolloutExecution;
  approvalPolicy: ApprovalPolicy;
  /** Decided once at creation from the policy and the creator's permissions. */
  approvalRequired: boolean;
  approvals: Approval[];
  approvalExpiresAt?: number;
  planHash: string;
  groups: GroupTrack[];
  createdBy: string;
  createdAt: number;
  /** Whether any action may exist: decides soft (DELETED kept) versus hard deletion. */
  actionsCreated: boolean;
  stopReason?: StopReason;
  deletedHard?: boolean;
  rollbackOf?: RollbackOrigin;
  incidents: number;
  dynamicGroupTemplate?: DynamicGroupTemplate;
}

export type RolloutState = { status: 'INITIAL' } | (RolloutData & { status: RolloutStatus });

interface At {
  at: number;
}
interface By extends At {
  by: string;
}

export type RolloutCommand =
  | (By & {
      type: 'create-rollout';
      rolloutId: string;
      name: string;
      description?: string;
      targetFilterQuery: string;
      distributionSetId: string;
      plan: RolloutPlanSummary;
      actionType?: ActionType;
      forceTime?: number;
      weight?: number;
      startAt?: number;
      execution?: RolloutExecution;
      approvalPolicy: ApprovalPolicy;
      creatorPermissions: readonly string[];
      /** a rollback rollout: which rollout it undoes and why */
      rollbackOf?: RollbackOrigin;
      dynamicGroupTemplate?: DynamicGroupTemplate;
    })
  | (At & { type: 'complete-rollout-creation' })
  | (By & { type: 'update-rollout'; name?: string; description?: string; plan?: RolloutPlanSummary })
  | (At & { type: 'approve-rollout'; approver: string; permissions: readonly string[]; planHash: string; remark?: string })
  | (At & { type: 'deny-rollout'; approver: string; permissions: readonly string[]; remark?: string })
  | (At & { type: 'expire-rollout-approval' })
  | (By & { type: 'start-rollout'; startAt?: number })
  | (At & { type: 'complete-rollout-start' })
  | (By & { type: 'pause-rollout' })
  | (By & { type: 'resume-rollout' })
  | (By & { type: 'stop-rollout' })
  | (At & { type: 'complete-rollout-stop' })
  | (By & { type: 'delete-rollout' })
  | (At & { type: 'complete-rollout-deletion' })
  | (By & { type: 'trigger-next-group' })
  | (By & { type: 'retry-rollout'; newRolloutId: string; failedTargets: number })
  | (At & { type: 'record-group-succeeded'; groupId: string; successAction: SuccessAction })
  | (At & { type: 'record-group-failed'; groupId: string; errorAction: ErrorAction })
  | (At & { type: 'record-group-completed'; groupId: string })
  /** health-evaluator's halt_and_assess: the rollout pauses for a human to look. */
  | (At & { type: 'halt-rollout'; trigger: string })
  /**
   * A rollback of part of the rollout (health-evaluator's triggers, or an operator): `scope` device rolls back
   * the named devices and lets the rollout go on; wave, affected and all stop the rollout first.
   */
  | (At & { type: 'request-rollback'; scope: RollbackScope; groupId?: string; controllerIds?: string[]; cause: string })
  /** The incident report after a rollback (or an emergency stop): what happened, recorded on the rollout. */
  | (At & { type: 'record-incident'; incident: IncidentReport })
  /** A dynamic group the scheduler made of targets that matched after creation. */
  | (At & { type: 'add-dynamic-group'; groupId: string; name: string; size: number });

export type RollbackScope = 'device' | 'wave' | 'affected' | 'all';

export interface IncidentReport {
  incidentId: string;
  cause: string;
  groupId?: string;
  /** the rollback rollouts created, each back to one previously installed distribution set */
  rollbackRollouts: Array<{ rolloutId: string; distributionSetId: string; devices: number }>;
  /** affected devices without a known previous distribution set (nothing to return them to) */
  devicesWithoutPrevious: number;
  counters?: Record<string, number>;
}

export type RolloutCommandType = RolloutCommand['type'];

export type GroupTriggerReason = 'first' | 'success-condition' | 'manual' | 'resume' | 'dynamic';

export type RolloutEvent =
  | DomainEvent<'rollout-created', {
      rolloutId: string; name: string; description: string; targetFilterQuery: string; distributionSetId: string;
      plan: RolloutPlanSummary; actionType: ActionType; forceTime?: number; weight: number; startAt?: number; execution?: RolloutExecution;
      approvalPolicy: ApprovalPolicy; approvalRequired: boolean; createdBy: string; at: number; rollbackOf?: RollbackOrigin;
      dynamicGroupTemplate?: DynamicGroupTemplate;
    }>
  | DomainEvent<'rollout-dynamic-group-added', At & { groupId: string; name: string; size: number; index: number }>
  | DomainEvent<'rollout-ready', At>
  | DomainEvent<'rollout-approval-requested', At & { planHash: string; quorum: number }>
  | DomainEvent<'rollout-updated', By & { name?: string; description?: string; plan?: RolloutPlanSummary }>
  | DomainEvent<'rollout-approval-voided', At & { reason: 'plan-changed'; planHash: string }>
  | DomainEvent<'rollout-approval-given', At & { approver: string; remark: string; planHash: string; expiresAt?: number }>
  | DomainEvent<'rollout-approved', At & { approvers: string[]; planHash: string; expiresAt?: number }>
  | DomainEvent<'rollout-approval-denied', At & { approver: string; remark: string }>
  | DomainEvent<'rollout-approval-expired', At>
  | DomainEvent<'rollout-start-scheduled', By & { startAt: number }>
  | DomainEvent<'rollout-starting', By>
  | DomainEvent<'rollout-started', At & { groupIds: string[] }>
  | DomainEvent<'rollout-group-triggered', At & { groupId: string; index: number; reason: GroupTriggerReason }>
  | DomainEvent<'rollout-group-succeeded', At & { groupId: string }>
  | DomainEvent<'rollout-group-failed', At & { groupId: string; errorAction: ErrorAction }>
  | DomainEvent<'rollout-group-completed', At & { groupId: string }>
  | DomainEvent<'rollout-paused', At & { reason: 'manual' | 'success-action' | 'error-action' | 'success-condition-not-met'; by?: string; groupId?: string }>
  | DomainEvent<'rollout-resumed', By>
  | DomainEvent<'rollout-stopping', At & { reason: StopReason; by?: string; groupId?: string }>
  | DomainEvent<'rollout-rollback-requested', At & { groupId: string; distributionSetId: string; scope?: RollbackScope; controllerIds?: string[]; cause?: string }>
  | DomainEvent<'rollout-incident-recorded', At & IncidentReport>
  | DomainEvent<'rollout-stopped', At>
  | DomainEvent<'rollout-finished', At>
  | DomainEvent<'rollout-deleting', By>
  | DomainEvent<'rollout-deleted', At & { hard: boolean }>
  | DomainEvent<'rollout-retry-requested', By & { newRolloutId: string; name: string; failedTargets: number }>;

export type RolloutEventType = RolloutEvent['type'];
