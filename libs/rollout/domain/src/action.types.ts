import type { DomainEvent } from '@rollgate/shared-domain';
import type { MaintenanceWindowSpec } from './maintenance-window';
import type { ActionType } from './rollout.types';

/** hawkBit's action states plus Rollgate's TIMED_OUT (a device stuck in `proceeding`). */
export const ACTION_STATUSES = [
  'SCHEDULED', 'RETRIEVED', 'DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'WAIT_FOR_CONFIRMATION', 'WARNING',
  'CANCELING', 'CANCELED', 'CANCEL_REJECTED', 'FINISHED', 'ERROR', 'TIMED_OUT',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export const TERMINAL_ACTION_STATUSES: readonly ActionStatus[] = ['CANCELED', 'FINISHED', 'ERROR', 'TIMED_OUT'];

export const DDI_EXECUTIONS = ['closed', 'proceeding', 'canceled', 'scheduled', 'rejected', 'resumed', 'downloaded', 'download'] as const;
export type DdiExecution = (typeof DDI_EXECUTIONS)[number];
export type DdiFinished = 'success' | 'failure' | 'none';

export interface ActionData {
  actionId: string;
  targetId: string;
  distributionSetId: string;
  rolloutId?: string;
  groupId?: string;
  actionType: ActionType;
  forceTime?: number;
  weight: number;
  maintenanceWindow?: MaintenanceWindowSpec;
  /** 1-based attempt; a failed attempt below maxAttempts schedules the next one. */
  attempt: number;
  maxAttempts: number;
  progressTimeoutMs?: number;
  createdAt: number;
  lastProgressAt: number;
}

export type ActionState = { status: 'INITIAL' } | (ActionData & { status: ActionStatus });

interface At {
  at: number;
}

export interface DdiFeedback {
  execution: string;
  finished?: string;
  details?: readonly string[];
  code?: number;
  progress?: { cnt: number; of: number };
}

/**
 * The target's active auto-confirmation (hawkBit), as the action decider needs it to confirm on the user's
 * behalf: who asked for it, their remark, and who switched it on (an operator or the device).
 */
export interface AutoConfirmSource {
  initiator: string | null;
  remark: string | null;
  activatedBy: string;
}

export type ActionCommand =
  | (At & {
      type: 'create-action';
      actionId: string;
      targetId: string;
      distributionSetId: string;
      rolloutId?: string;
      groupId?: string;
      actionType?: ActionType;
      forceTime?: number;
      weight?: number;
      maintenanceWindow?: MaintenanceWindowSpec;
      confirmationRequired?: boolean;
      /** the target's auto-confirmation, when active: an action that needs consent is confirmed at once */
      autoConfirm?: AutoConfirmSource;
      maxAttempts?: number;
      progressTimeoutMs?: number;
    })
  | (At & { type: 'confirm-action'; confirmed: boolean; code?: number; details?: readonly string[] })
  /** the target's auto-confirmation answers for the user; nothing happens unless the action waits for consent */
  | (At & { type: 'auto-confirm-action'; autoConfirm: AutoConfirmSource })
  | (At & { type: 'retrieve-action' })
  | (At & { type: 'report-action-feedback'; feedback: DdiFeedback })
  | (At & { type: 'cancel-action'; force?: boolean; by: string })
  /** A pre-deploy check failed on the device's reported attributes (architecture, free disk): closed, not failed. */
  | (At & { type: 'reject-action'; check: string; reason: string })
  | (At & { type: 'report-cancel-feedback'; feedback: DdiFeedback })
  | (At & { type: 'time-out-action' });

export type ActionCommandType = ActionCommand['type'];

export interface FeedbackRecord {
  execution: DdiExecution;
  finished: DdiFinished;
  details: string[];
  code?: number;
  progress?: { cnt: number; of: number };
}

export type ActionEvent =
  | DomainEvent<'action-created', At & Omit<ActionData, 'attempt' | 'createdAt' | 'lastProgressAt'> & { status: ActionStatus }>
  /** `auto` when the target's auto-confirmation answered, not the device's user (details: hawkBit's message) */
  | DomainEvent<'action-confirmed', At & { code?: number; details: string[]; auto?: { initiator: string | null; activatedBy: string } }>
  | DomainEvent<'action-confirmation-denied', At & { code?: number; details: string[] }>
  | DomainEvent<'action-retrieved', At>
  | DomainEvent<'action-feedback-received', At & FeedbackRecord & { channel: 'deployment' | 'cancel'; from: ActionStatus; status: ActionStatus }>
  | DomainEvent<'action-attempt-failed', At & FeedbackRecord & { from: ActionStatus; attempt: number; nextAttempt: number }>
  | DomainEvent<'action-cancel-requested', At & { from: ActionStatus; by: string }>
  | DomainEvent<'action-canceled', At & { from: ActionStatus; forced: boolean; by?: string }>
  /**
   * The device cannot take this update (a pre-deploy check on its attributes failed). The action ends
   * CANCELED, so the group counts it as canceled, not as an error: the build is not at fault.
   */
  | DomainEvent<'action-rejected', At & { from: ActionStatus; check: string; details: string[] }>
  | DomainEvent<'action-cancel-rejected', At & FeedbackRecord & { from: ActionStatus }>
  | DomainEvent<'action-timed-out', At & { from: ActionStatus; lastProgressAt: number; timeoutMs: number }>;

export type ActionEventType = ActionEvent['type'];
