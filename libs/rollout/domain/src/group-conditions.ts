import type { ActionStatus } from './action.types';
import type { ActionType, ErrorAction, SuccessAction } from './rollout.types';

/**
 * A group's progress as counters, updated once per action status change and read in O(1) by the
 * conditions below (hawkBit re-counts rows every 2 s instead).
 */
export interface GroupCounters {
  total: number;
  scheduled: number;
  running: number;
  downloaded: number;
  finished: number;
  error: number;
  canceled: number;
  /** Devices the health evaluator confirmed healthy after install ("verified" success mode). */
  verified: number;
  /**
   * Of `scheduled`: members whose device has not polled within pollingOverdueTime (skip_and_queue). Their
   * actions stay open, but the group's conditions are judged on the other members, so they block nothing.
   */
  queued?: number;
}

export type CounterBucket = 'scheduled' | 'running' | 'downloaded' | 'finished' | 'error' | 'canceled';

export interface SuccessCondition {
  /** Percentage 0..100 of the group. */
  threshold: number;
  /** finished: hawkBit's count; verified: only devices confirmed healthy after install. */
  mode: 'finished' | 'verified';
}

export type ErrorCondition = { kind: 'percentage'; threshold: number } | { kind: 'count'; threshold: number };

export interface GroupConditions {
  success: SuccessCondition;
  successAction: SuccessAction;
  error: ErrorCondition;
  errorAction: ErrorAction;
  actionType: ActionType;
  /** When set, meeting the success condition waits for this health gate's verdict before it counts. */
  healthGate?: string;
}

export function emptyCounters(total = 0): GroupCounters {
  return { total, scheduled: total, running: 0, downloaded: 0, finished: 0, error: 0, canceled: 0, verified: 0 };
}

/** Which counter an action status belongs to (hawkBit's progress keys, with DOWNLOADED kept apart). */
export function counterBucket(status: ActionStatus): CounterBucket {
  switch (status) {
    case 'SCHEDULED':
    case 'WAIT_FOR_CONFIRMATION':
      return 'scheduled';
    case 'RETRIEVED':
    case 'DOWNLOAD':
    case 'RUNNING':
    case 'WARNING':
    case 'CANCELING':
    case 'CANCEL_REJECTED':
      return 'running';
    case 'DOWNLOADED':
      return 'downloaded';
    case 'FINISHED':
      return 'finished';
    case 'ERROR':
    case 'TIMED_OUT':
      return 'error';
    case 'CANCELED':
      return 'canceled';
  }
}

/** O(1): moves one action between counters. Mutates on purpose: this runs once per device event. */
export function applyActionTransition(counters: GroupCounters, from: ActionStatus, to: ActionStatus): GroupCounters {
  const a = counterBucket(from);
  const b = counterBucket(to);
  if (a !== b) {
    counters[a] -= 1;
    counters[b] += 1;
  }
  return counters;
}

export function successCount(c: GroupCounters, conditions: Pick<GroupConditions, 'success' | 'actionType'>): number {
  if (conditions.success.mode === 'verified') return c.verified;
  return c.finished + (conditions.actionType === 'downloadonly' ? c.downloaded : 0);
}

/**
 * hawkBit: success when succeeded ÷ size ≥ threshold %; an empty group succeeds. Integer-safe form. Queued
 * (offline) members are left out of the size; a group whose members are all offline has proven nothing and
 * does not succeed.
 */
export function isSuccessMet(c: GroupCounters, conditions: Pick<GroupConditions, 'success' | 'actionType'>): boolean {
  if (c.total === 0) return true;
  const online = c.total - queuedOf(c);
  if (online <= 0) return false;
  return successCount(c, conditions) * 100 >= conditions.success.threshold * online;
}

function queuedOf(c: GroupCounters): number {
  return Math.min(c.queued ?? 0, c.scheduled);
}

/** hawkBit: error when errors ÷ size > threshold % (strictly); Rollgate also takes an absolute count. */
export function isErrorMet(c: GroupCounters, error: ErrorCondition): boolean {
  if (c.total === 0) return false;
  if (error.kind === 'count') return c.error > error.threshold;
  return c.error * 100 > error.threshold * c.total;
}

/** Every action reached an end state (for downloadonly, DOWNLOADED is one), offline members aside. */
export function isComplete(c: GroupCounters, actionType: ActionType): boolean {
  const done = c.finished + c.error + c.canceled + (actionType === 'downloadonly' ? c.downloaded : 0);
  return done + queuedOf(c) >= c.total;
}
