/**
 * Rollout progress as hawkBit shows it (`totalTargetsPerStatus`), kept as counters per deployment group and
 * moved by each action event's (from → to) transition, so that no read ever re-counts actions.
 *
 * A rollout action's stream begins lazily (`action-created`, appended by the gateway with the device's first
 * event), so the members without an action yet are not counted one by one: they are the group's total minus
 * its touched actions, and show as `notstarted` before the group starts, `scheduled` once it has started, and
 * `cancelled` once the rollout is stopping (the stop closes every untouched action of the rollout).
 */

/** hawkBit's keys of `totalTargetsPerStatus`. */
export const PER_STATUS_KEYS = ['notstarted', 'scheduled', 'running', 'finished', 'error', 'cancelled'] as const;
export type PerStatusKey = (typeof PER_STATUS_KEYS)[number];
/** The keys an existing action can be counted under (`notstarted` is only ever an untouched member). */
export type ActionBucket = Exclude<PerStatusKey, 'notstarted'>;

/** The counter column of each bucket in `rollout_groups`; constants, never input, so safe to put in SQL. */
export const BUCKET_COLUMN: Readonly<Record<ActionBucket, string>> = {
  scheduled: 'actions_scheduled', running: 'actions_running', finished: 'actions_finished', error: 'actions_error', cancelled: 'actions_cancelled',
};

/**
 * hawkBit's mapping of action statuses (libs/rollout/domain/src/action.types.ts) to the per-status keys;
 * Rollgate's TIMED_OUT is a failure of the device, so it counts as `error`. Every other open status
 * (retrieved, downloading, waiting for confirmation, canceling, ...) is `running`.
 */
export function bucketOf(actionStatus: string): ActionBucket {
  switch (actionStatus) {
    case 'SCHEDULED': return 'scheduled';
    case 'FINISHED': return 'finished';
    case 'ERROR':
    case 'TIMED_OUT': return 'error';
    case 'CANCELED': return 'cancelled';
    default: return 'running';
  }
}

/**
 * The action status an action event leaves its action in (the action decider's evolve), or undefined when
 * the event does not move it. `action-created` carries its status in its data.
 */
export function statusAfter(event: string, data: { status?: string }): string | undefined {
  switch (event) {
    case 'action-created':
    case 'action-feedback-received': return data.status;
    case 'action-confirmed': return 'RUNNING';
    case 'action-retrieved': return 'RETRIEVED';
    case 'action-attempt-failed': return 'SCHEDULED';
    case 'action-cancel-requested': return 'CANCELING';
    case 'action-canceled':
    case 'action-rejected': return 'CANCELED';
    case 'action-cancel-rejected': return 'CANCEL_REJECTED';
    case 'action-timed-out': return 'TIMED_OUT';
    default: return undefined;
  }
}

/** One group's stored counters (columns of `rollout_groups`). */
export interface GroupProgress {
  total_targets: number;
  started: boolean;
  closed: boolean;
  actions_scheduled: number;
  actions_running: number;
  actions_finished: number;
  actions_error: number;
  actions_cancelled: number;
}

/** `totalTargetsPerStatus` of one group from its counters: O(1). */
export function groupPerStatus(group: GroupProgress): Record<PerStatusKey, number> {
  const touched = group.actions_scheduled + group.actions_running + group.actions_finished + group.actions_error + group.actions_cancelled;
  const untouched = Math.max(0, group.total_targets - touched);
  return {
    notstarted: !group.closed && !group.started ? untouched : 0,
    scheduled: group.actions_scheduled + (!group.closed && group.started ? untouched : 0),
    running: group.actions_running,
    finished: group.actions_finished,
    error: group.actions_error,
    cancelled: group.actions_cancelled + (group.closed ? untouched : 0),
  };
}

/** A rollout's `totalTargetsPerStatus`: the sum over its groups (a handful of rows, never its actions). */
export function rolloutPerStatus(groups: readonly GroupProgress[]): Record<PerStatusKey, number> {
  const sum = Object.fromEntries(PER_STATUS_KEYS.map((key) => [key, 0])) as Record<PerStatusKey, number>;
  for (const group of groups) {
    const counts = groupPerStatus(group);
    for (const key of PER_STATUS_KEYS) sum[key] += counts[key];
  }
  return sum;
}
