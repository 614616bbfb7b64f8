import { DomainError, type Decider } from '@rollgate/shared-domain';
import { readFeedback, statusForCancelFeedback, statusForDeploymentFeedback } from './action-feedback';
import { parseMaintenanceWindow } from './maintenance-window';
import { TERMINAL_ACTION_STATUSES, type ActionCommand, type ActionData, type ActionEvent, type ActionState, type ActionStatus, type AutoConfirmSource } from './action.types';

type Live = ActionData & { status: ActionStatus };
type Cmd<T extends ActionCommand['type']> = Extract<ActionCommand, { type: T }>;

/** States in which a device is working on the update, so silence beyond the timeout means it is stuck. */
const IN_PROGRESS: readonly ActionStatus[] = ['RETRIEVED', 'DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'WARNING', 'CANCEL_REJECTED'];

/** One device's update: DDI feedback mapped exactly as hawkBit, plus retries and a progress timeout. */
export const actionDecider: Decider<ActionCommand, ActionState, ActionEvent> = {
  initialState: { status: 'INITIAL' },
  evolve: evolveAction,
  decide(command, state) {
    if (command.type === 'create-action') return create(command, state);
    if (state.status === 'INITIAL') throw new DomainError('action_not_found', 'the action does not exist');
    // Idempotent: several gateways react to the same auto-confirmation, and only a waiting action changes.
    if (command.type === 'auto-confirm-action') return state.status === 'WAIT_FOR_CONFIRMATION' ? [autoConfirmed(command.autoConfirm, command.at)] : [];
    // Maps to HTTP 410 Gone on the DDI feedback endpoint.
    if (TERMINAL_ACTION_STATUSES.includes(state.status)) {
      throw new DomainError('action_closed', `action ${state.actionId} is ${state.status.toLowerCase()} and no longer active`, { status: state.status });
    }
    switch (command.type) {
      case 'confirm-action': {
        if (state.status !== 'WAIT_FOR_CONFIRMATION') throw new DomainError('action_not_awaiting_confirmation', `action ${state.actionId} is not waiting for confirmation`);
        const data = { code: command.code, details: [...(command.details ?? [])], at: command.at };
        return [command.confirmed ? { type: 'action-confirmed', data } : { type: 'action-confirmation-denied', data }];
      }
      case 'retrieve-action':
        refuseUnconfirmed(state);
        // Devices poll repeatedly: only the first retrieval is an event.
        return state.status === 'SCHEDULED' ? [{ type: 'action-retrieved', data: { at: command.at } }] : [];
      case 'report-action-feedback':
        return feedback(command, state);
      case 'cancel-action':
        if (command.force) return [{ type: 'action-canceled', data: { from: state.status, forced: true, by: command.by, at: command.at } }];
        if (state.status === 'CANCELING') return [];
        return [{ type: 'action-cancel-requested', data: { from: state.status, by: command.by, at: command.at } }];
      case 'report-cancel-feedback':
        return cancelFeedback(command, state);
      case 'reject-action':
        return reject(command, state);
      case 'time-out-action':
        return timeOut(command, state);
    }
  },
};

function create(c: Cmd<'create-action'>, state: ActionState): ActionEvent[] {
  if (state.status !== 'INITIAL') throw new DomainError('action_already_exists', `action ${c.actionId} already exists`);
  const weight = c.weight ?? 1000;
  const actionType = c.actionType ?? 'forced';
  const maxAttempts = c.maxAttempts ?? 1;
  if (!Number.isInteger(weight) || weight < 0 || weight > 1000) throw new DomainError('invalid_weight', 'weight must be an integer in 0..1000', { weight });
  if (actionType === 'timeforced' && c.forceTime === undefined) throw new DomainError('force_time_required', 'a timeforced action needs a forcetime');
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new DomainError('invalid_max_attempts', 'maxAttempts must be a whole number ≥ 1');
  if (c.maintenanceWindow) parseMaintenanceWindow(c.maintenanceWindow);
  const { actionId, targetId, distributionSetId, rolloutId, groupId, forceTime, maintenanceWindow, progressTimeoutMs, at } = c;
  const created: ActionEvent = {
    type: 'action-created',
    data: {
      actionId, targetId, distributionSetId, rolloutId, groupId, actionType, forceTime, weight, maintenanceWindow,
      maxAttempts, progressTimeoutMs, status: c.confirmationRequired ? 'WAIT_FOR_CONFIRMATION' : 'SCHEDULED', at,
    },
  };
  // hawkBit at assignment: the action needs consent, the target's auto-confirmation gives it at once.
  return c.confirmationRequired && c.autoConfirm ? [created, autoConfirmed(c.autoConfirm, at)] : [created];
}

/**
 * hawkBit's status message for an automatic confirmation (AutoConfirmationStatus#constructActionMessage):
 * the initiator, the user who switched it on, and the remark; "n/a" for whatever is absent.
 */
export function autoConfirmMessage(source: AutoConfirmSource): string {
  const orNa = (value: string | null): string => (value !== null && value.trim().length > 0 ? value : 'n/a');
  return `Assignment automatically confirmed by initiator '${orNa(source.initiator)}'. \n\nAuto confirmation activated by system user: '${orNa(source.activatedBy)}' \n\nRemark: ${orNa(source.remark)}`;
}

function autoConfirmed(source: AutoConfirmSource, at: number): ActionEvent {
  return { type: 'action-confirmed', data: { details: [autoConfirmMessage(source)], auto: { initiator: source.initiator, activatedBy: source.activatedBy }, at } };
}

function feedback(c: Cmd<'report-action-feedback'>, s: Live): ActionEvent[] {
  refuseUnconfirmed(s);
  const record = readFeedback(c.feedback);
  let status = statusForDeploymentFeedback(record.execution, record.finished, s.actionType);
  // While a cancel is pending only an end state moves the action; progress keeps it CANCELING.
  if (s.status === 'CANCELING' && !TERMINAL_ACTION_STATUSES.includes(status)) status = 'CANCELING';
  if (status === 'ERROR' && s.attempt < s.maxAttempts) {
    return [{ type: 'action-attempt-failed', data: { ...record, from: s.status, attempt: s.attempt, nextAttempt: s.attempt + 1, at: c.at } }];
  }
  return [{ type: 'action-feedback-received', data: { ...record, channel: 'deployment', from: s.status, status, at: c.at } }];
}

function cancelFeedback(c: Cmd<'report-cancel-feedback'>, s: Live): ActionEvent[] {
  if (s.status !== 'CANCELING') throw new DomainError('action_not_canceling', `action ${s.actionId} has no pending cancellation`);
  const record = readFeedback(c.feedback);
  const status = statusForCancelFeedback(record.execution, record.finished);
  if (status === 'CANCELED') return [{ type: 'action-canceled', data: { from: s.status, forced: false, at: c.at } }];
  if (status === 'CANCEL_REJECTED') return [{ type: 'action-cancel-rejected', data: { ...record, from: s.status, at: c.at } }];
  return [{ type: 'action-feedback-received', data: { ...record, channel: 'cancel', from: s.status, status, at: c.at } }];
}

function timeOut(c: Cmd<'time-out-action'>, s: Live): ActionEvent[] {
  if (!IN_PROGRESS.includes(s.status)) throw new DomainError('action_not_in_progress', `action ${s.actionId} is ${s.status.toLowerCase()}, not in progress on the device`);
  if (s.progressTimeoutMs === undefined) throw new DomainError('action_has_no_timeout', `action ${s.actionId} has no progress timeout`);
  if (s.lastProgressAt + s.progressTimeoutMs > c.at) {
    throw new DomainError('action_not_overdue', `action ${s.actionId} reported progress within its timeout`, { dueAt: s.lastProgressAt + s.progressTimeoutMs });
  }
  return [{ type: 'action-timed-out', data: { from: s.status, lastProgressAt: s.lastProgressAt, timeoutMs: s.progressTimeoutMs, at: c.at } }];
}

/** Only before the device started working on it: once it runs, the device's own feedback decides. */
function reject(c: Cmd<'reject-action'>, s: Live): ActionEvent[] {
  if (s.status !== 'SCHEDULED' && s.status !== 'RETRIEVED' && s.status !== 'WAIT_FOR_CONFIRMATION') {
    throw new DomainError('action_already_started', `action ${s.actionId} is ${s.status.toLowerCase()}; a pre-deploy check can no longer reject it`);
  }
  return [{ type: 'action-rejected', data: { from: s.status, check: c.check, details: [c.reason], at: c.at } }];
}

function refuseUnconfirmed(s: Live): void {
  if (s.status === 'WAIT_FOR_CONFIRMATION') throw new DomainError('action_awaiting_confirmation', `action ${s.actionId} waits for the user's confirmation`);
}

export function evolveAction(state: ActionState, event: ActionEvent): ActionState {
  if (event.type === 'action-created') {
    const { status, at, ...data } = event.data;
    return { ...data, status, attempt: 1, createdAt: at, lastProgressAt: at };
  }
  if (state.status === 'INITIAL') return state;
  const at = event.data.at;
  switch (event.type) {
    case 'action-confirmed':
      return { ...state, status: 'RUNNING', lastProgressAt: at };
    case 'action-confirmation-denied':
      return state;
    case 'action-retrieved':
      return { ...state, status: 'RETRIEVED', lastProgressAt: at };
    case 'action-feedback-received':
      return { ...state, status: event.data.status, lastProgressAt: at };
    case 'action-attempt-failed':
      return { ...state, status: 'SCHEDULED', attempt: event.data.nextAttempt, lastProgressAt: at };
    case 'action-cancel-requested':
      return { ...state, status: 'CANCELING' };
    case 'action-canceled':
    case 'action-rejected':
      return { ...state, status: 'CANCELED' };
    case 'action-cancel-rejected':
      return { ...state, status: 'CANCEL_REJECTED', lastProgressAt: at };
    case 'action-timed-out':
      return { ...state, status: 'TIMED_OUT' };
  }
}
