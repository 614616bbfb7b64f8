import type { ActionStatus } from '@rollgate/rollout-domain';

/** One action moving between statuses: what a group's counters need from an action event. */
export interface ActionTransition {
  from: ActionStatus;
  to: ActionStatus;
}

const ACTION_STREAM = /^action-([1-9][0-9]{0,15})$/;

/** `action-<id>` → the numeric DDI action id, or undefined for any other stream. */
export function actionIdOfStream(streamId: string): number | undefined {
  const match = ACTION_STREAM.exec(streamId);
  if (!match) return undefined;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * The status change an action event records (action.types.ts), from its short name and payload. Events that
 * carry `from` say it themselves; retrieval and confirmation start from the only status they are allowed in.
 * `action-created` moves nothing: counters start with every member SCHEDULED (WAIT_FOR_CONFIRMATION counts
 * there too). Undefined for events that change no status or are malformed.
 */
/** The action events actionTransitionOf may answer a transition for; for any other it answers undefined. */
export const STATUS_CHANGING_ACTION_EVENTS: ReadonlySet<string> = new Set([
  'action-retrieved', 'action-confirmed', 'action-feedback-received', 'action-attempt-failed', 'action-cancel-requested',
  'action-canceled', 'action-cancel-rejected', 'action-timed-out', 'action-rejected',
]);

export function actionTransitionOf(event: string, data: unknown): ActionTransition | undefined {
  const d = (data ?? {}) as { from?: unknown; status?: unknown };
  const from = d.from as ActionStatus;
  switch (event) {
    case 'action-retrieved':
      return { from: 'SCHEDULED', to: 'RETRIEVED' };
    case 'action-confirmed':
      return { from: 'WAIT_FOR_CONFIRMATION', to: 'RUNNING' };
    case 'action-feedback-received':
      return typeof d.from === 'string' && typeof d.status === 'string' ? { from, to: d.status as ActionStatus } : undefined;
    case 'action-attempt-failed':
      return typeof d.from === 'string' ? { from, to: 'SCHEDULED' } : undefined;
    case 'action-cancel-requested':
      return typeof d.from === 'string' ? { from, to: 'CANCELING' } : undefined;
    case 'action-canceled':
      return typeof d.from === 'string' ? { from, to: 'CANCELED' } : undefined;
    case 'action-cancel-rejected':
      return typeof d.from === 'string' ? { from, to: 'CANCEL_REJECTED' } : undefined;
    case 'action-timed-out':
      return typeof d.from === 'string' ? { from, to: 'TIMED_OUT' } : undefined;
    case 'action-rejected':
      // The gateway's pre-deploy checks refused the device: the action is closed as canceled.
      return typeof d.from === 'string' ? { from, to: 'CANCELED' } : undefined;
    default:
      return undefined;
  }
}

/** A group's id range: member p runs as action firstActionId + p (docs/event-flow.md, "Action ids"). */
export interface ActionRange {
  firstActionId: number;
  size: number;
}

export function positionInRange(range: ActionRange, actionId: number): number | undefined {
  const p = actionId - range.firstActionId;
  return p >= 0 && p < range.size ? p : undefined;
}

/**
 * The range holding `actionId` among ranges sorted by firstActionId (they never overlap: ids are reserved in
 * blocks). Binary search: the last range starting at or before the id, if the id falls inside it.
 */
export function findRange<R extends ActionRange>(sorted: readonly R[], actionId: number): R | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].firstActionId <= actionId) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  return positionInRange(sorted[found], actionId) === undefined ? undefined : sorted[found];
}
