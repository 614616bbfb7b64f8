import { DomainError } from '@rollgate/shared-domain';
import { DDI_EXECUTIONS, type ActionStatus, type DdiExecution, type DdiFeedback, type DdiFinished, type FeedbackRecord } from './action.types';
import type { ActionType } from './rollout.types';

/** Normalises a DDI feedback body; clients vary, so only execution and finished are checked. */
export function readFeedback(feedback: DdiFeedback): FeedbackRecord {
  const execution = feedback.execution?.toLowerCase() as DdiExecution;
  if (!DDI_EXECUTIONS.includes(execution)) {
    throw new DomainError('invalid_feedback', `unknown execution "${feedback.execution}"`, { allowed: DDI_EXECUTIONS });
  }
  const finished = (feedback.finished ?? 'none').toLowerCase() as DdiFinished;
  if (finished !== 'success' && finished !== 'failure' && finished !== 'none') {
    throw new DomainError('invalid_feedback', `unknown result "${feedback.finished}"`, { allowed: ['success', 'failure', 'none'] });
  }
  // Long details and many messages are normal (one per progress step): keep them all, unabridged.
  return { execution, finished, details: [...(feedback.details ?? [])], code: feedback.code, progress: feedback.progress };
}

/** hawkBit's mapping of deployment feedback to an action status. */
export function statusForDeploymentFeedback(execution: DdiExecution, finished: DdiFinished, actionType: ActionType): ActionStatus {
  switch (execution) {
    case 'closed':
      return finished === 'failure' ? 'ERROR' : 'FINISHED';
    case 'canceled':
      return 'CANCELED';
    case 'rejected':
      return 'WARNING';
    case 'download':
      return 'DOWNLOAD';
    case 'downloaded':
      return actionType === 'downloadonly' ? 'FINISHED' : 'DOWNLOADED';
    case 'proceeding':
    case 'scheduled':
    case 'resumed':
      return 'RUNNING';
  }
}

/**
 * Feedback on the cancel channel: `canceled` or a successful close confirms the cancellation; `rejected`
 * or a failed close means the device refused (CANCEL_REJECTED, the update carries on); progress messages
 * leave the action CANCELING.
 */
export function statusForCancelFeedback(execution: DdiExecution, finished: DdiFinished): ActionStatus {
  switch (execution) {
    case 'canceled':
      return 'CANCELED';
    case 'closed':
      return finished === 'failure' ? 'CANCEL_REJECTED' : 'CANCELED';
    case 'rejected':
      return 'CANCEL_REJECTED';
    case 'download':
    case 'downloaded':
    case 'proceeding':
    case 'scheduled':
    case 'resumed':
      return 'CANCELING';
  }
}
