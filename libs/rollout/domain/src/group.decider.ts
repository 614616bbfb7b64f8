import { DomainError, type Decider } from '@rollgate/shared-domain';
import { emptyCounters, isComplete, isErrorMet, isSuccessMet, type GroupConditions, type GroupCounters } from './group-conditions';
import type { GroupCommand, GroupData, GroupEvent, GroupState, GroupStatus } from './group.types';

type Live = GroupData & { status: GroupStatus };
type Cmd<T extends GroupCommand['type']> = Extract<GroupCommand, { type: T }>;

/**
 * A deployment group: membership is recorded in chunks while CREATING (no per-target events), then the
 * group runs and its conditions are evaluated from counters on each progress report. Condition events are
 * emitted once, on the report that makes them true, so the group stream stays small.
 */
export const groupDecider: Decider<GroupCommand, GroupState, GroupEvent> = {
  initialState: { status: 'INITIAL' },
  evolve: evolveGroup,
  decide(command, state) {
    if (command.type === 'create-group') return create(command, state);
    if (state.status === 'INITIAL') throw new DomainError('group_not_found', 'the group does not exist');
    switch (command.type) {
      case 'add-group-members':
        requireStatus(state, ['CREATING'], 'group_membership_closed');
        if (command.targetIds.length === 0) return [];
        return [{ type: 'group-members-added', data: { chunk: state.membershipChunks, targetIds: [...command.targetIds], at: command.at } }];
      case 'complete-group-creation':
        requireStatus(state, ['CREATING'], 'group_not_creating');
        if (!Number.isSafeInteger(command.firstActionId) || command.firstActionId < 1) {
          throw new DomainError('invalid_action_id_block', 'the first action id is a positive integer', { firstActionId: command.firstActionId });
        }
        return [{ type: 'group-ready', data: { size: state.size, firstActionId: command.firstActionId, at: command.at } }];
      case 'schedule-group':
        requireStatus(state, ['READY'], 'group_not_ready');
        return [{ type: 'group-scheduled', data: { at: command.at } }];
      case 'start-group':
        return start(command, state);
      case 'release-group-actions':
        return release(command, state);
      case 'report-group-progress':
        return progress(command, state);
      case 'complete-group-soak':
        return completeSoak(command, state);
      case 'record-gate-verdict':
        return verdict(command, state);
    }
  },
};

function create(c: Cmd<'create-group'>, state: GroupState): GroupEvent[] {
  if (state.status !== 'INITIAL') throw new DomainError('group_already_exists', `group ${c.groupId} already exists`);
  validateConditions(c.conditions);
  const { groupId, rolloutId, index, name, conditions, at } = c;
  return [{ type: 'group-created', data: { groupId, rolloutId, index, name, conditions, at } }];
}

function validateConditions(c: GroupConditions): void {
  if (!(c.success.threshold >= 0 && c.success.threshold <= 100)) {
    throw new DomainError('invalid_success_threshold', 'the success threshold is a percentage in 0..100', { threshold: c.success.threshold });
  }
  const e = c.error;
  if (!(e.threshold >= 0) || (e.kind === 'percentage' && e.threshold > 100) || (e.kind === 'count' && !Number.isInteger(e.threshold))) {
    throw new DomainError('invalid_error_threshold', 'the error threshold is a percentage in 0..100 or a whole count', { threshold: e.threshold, kind: e.kind });
  }
}

function start(c: Cmd<'start-group'>, s: Live): GroupEvent[] {
  requireStatus(s, ['SCHEDULED'], 'group_not_scheduled');
  if (c.released !== undefined) checkReleased(c.released, s);
  const paced = c.released !== undefined && c.released < s.size;
  const events: GroupEvent[] = [{ type: 'group-started', data: paced ? { size: s.size, released: c.released, at: c.at } : { size: s.size, at: c.at } }];
  if (s.size === 0) {
    // hawkBit: an empty group succeeds at once (and has nothing left to wait for).
    const counters = emptyCounters(0);
    events.push(
      { type: 'group-success-condition-met', data: { successAction: s.conditions.successAction, counters, at: c.at } },
      { type: 'group-finished', data: { counters, at: c.at } },
    );
  }
  return events;
}

/** Pacing only ever opens more actions: a lower or equal count is a stale release and changes nothing. */
function release(c: Cmd<'release-group-actions'>, s: Live): GroupEvent[] {
  requireStatus(s, ['RUNNING', 'SOAKING', 'WAITING_FOR_GATE'], 'group_not_running');
  checkReleased(c.released, s);
  if (c.released <= s.released) return [];
  return [{ type: 'group-actions-released', data: { released: c.released, at: c.at } }];
}

function progress(c: Cmd<'report-group-progress'>, s: Live): GroupEvent[] {
  if (s.status === 'FINISHED' || s.status === 'ERROR') return []; // late device reports change nothing
  requireStatus(s, ['RUNNING', 'SOAKING', 'WAITING_FOR_GATE'], 'group_not_running');
  const counters = checkCounters(c.counters, s);
  const { conditions } = s;
  // Errors first: an emergency shutdown must never lose to a success cascade on the same report.
  if (isErrorMet(counters, conditions.error)) {
    return [{ type: 'group-error-condition-met', data: { errorAction: conditions.errorAction, counters, cause: 'threshold', at: c.at } }];
  }
  // While soaking or waiting for a verdict, success is not decided yet, so the group cannot finish either.
  if (s.status !== 'RUNNING') return [];
  if (!s.successMet && isSuccessMet(counters, conditions)) {
    const soakMs = c.soakMs ?? 0;
    if (soakMs > 0) return [{ type: 'group-soak-started', data: { until: c.at + soakMs, reason: 'success', counters, at: c.at } }];
    return successOrGate(s, counters, c.at);
  }
  // Two-phase success: installs that ended are not the end while their verification is still due.
  const awaitingVerification = conditions.success.mode === 'verified' && !s.successMet;
  return isComplete(counters, conditions.actionType) && !awaitingVerification ? [{ type: 'group-finished', data: { counters, at: c.at } }] : [];
}

function completeSoak(c: Cmd<'complete-group-soak'>, s: Live): GroupEvent[] {
  requireStatus(s, ['SOAKING'], 'group_not_soaking');
  if (s.soakUntil !== undefined && c.at < s.soakUntil) {
    throw new DomainError('soak_not_elapsed', `group ${s.groupId} soaks until ${new Date(s.soakUntil).toISOString()}`, { until: s.soakUntil });
  }
  const counters = c.counters ? checkCounters(c.counters, s) : s.counters;
  return [{ type: 'group-soak-completed', data: { at: c.at } }, ...successOrGate(s, counters, c.at)];
}

/** Success is met (and soaked): a configured gate must still pass before it counts. */
function successOrGate(s: Live, counters: GroupCounters, at: number): GroupEvent[] {
  const { conditions } = s;
  if (conditions.healthGate !== undefined) return [{ type: 'group-gate-requested', data: { gate: conditions.healthGate, counters, at } }];
  const events: GroupEvent[] = [{ type: 'group-success-condition-met', data: { successAction: conditions.successAction, counters, at } }];
  if (isComplete(counters, conditions.actionType)) events.push({ type: 'group-finished', data: { counters, at } });
  return events;
}

function verdict(c: Cmd<'record-gate-verdict'>, s: Live): GroupEvent[] {
  requireStatus(s, ['WAITING_FOR_GATE'], 'group_not_waiting_for_gate');
  const { conditions } = s;
  // The verdict carries the latest counters: devices may all have finished while the gate was pending.
  const counters = c.counters ? checkCounters(c.counters, s) : s.counters;
  const reason = c.reason ?? '';
  switch (c.verdict) {
    case 'FAIL':
      return [
        { type: 'group-gate-failed', data: { verdictId: c.verdictId, reason, at: c.at } },
        { type: 'group-error-condition-met', data: { errorAction: conditions.errorAction, counters, cause: 'health-gate', at: c.at } },
      ];
    case 'CAUTION':
    case 'INCONCLUSIVE': {
      const extendSoakMs = c.extendSoakMs ?? 0;
      if (!Number.isSafeInteger(extendSoakMs) || extendSoakMs <= 0) {
        throw new DomainError('invalid_soak_extension', 'a CAUTION or INCONCLUSIVE verdict extends the soak by a positive number of ms', { extendSoakMs });
      }
      const soakReason = c.verdict === 'CAUTION' ? 'gate-caution' : 'gate-inconclusive';
      return [
        { type: 'group-gate-deferred', data: { verdictId: c.verdictId, verdict: c.verdict, reason, at: c.at } },
        { type: 'group-soak-started', data: { until: c.at + extendSoakMs, reason: soakReason, counters, at: c.at } },
      ];
    }
    case 'PASS': {
      const events: GroupEvent[] = [
        { type: 'group-gate-passed', data: { verdictId: c.verdictId, at: c.at } },
        { type: 'group-success-condition-met', data: { successAction: conditions.successAction, counters, at: c.at } },
      ];
      if (isComplete(counters, conditions.actionType)) events.push({ type: 'group-finished', data: { counters, at: c.at } });
      return events;
    }
    default:
      throw new DomainError('invalid_gate_verdict', `unknown gate verdict "${String(c.verdict)}"`, { allowed: ['PASS', 'FAIL', 'CAUTION', 'INCONCLUSIVE'] });
  }
}

function checkReleased(released: number, s: Live): void {
  if (!Number.isSafeInteger(released) || released < 0 || released > s.size) {
    throw new DomainError('invalid_release', `group ${s.groupId} has ${s.size} members; cannot release ${released}`, { released, size: s.size });
  }
}

function checkCounters(counters: GroupCounters, s: Live): GroupCounters {
  const sum = counters.scheduled + counters.running + counters.downloaded + counters.finished + counters.error + counters.canceled;
  if (counters.total !== s.size || sum !== s.size) {
    throw new DomainError('counters_mismatch', `group ${s.groupId} has ${s.size} members but the counters add up to ${sum} of ${counters.total}`);
  }
  return counters;
}

export function evolveGroup(state: GroupState, event: GroupEvent): GroupState {
  if (event.type === 'group-created') {
    const { groupId, rolloutId, index, name, conditions } = event.data;
    return {
      status: 'CREATING', groupId, rolloutId, index, name, conditions, size: 0, firstActionId: 0, membershipChunks: 0,
      counters: emptyCounters(0), successMet: false, released: 0, gateDeferrals: 0,
    };
  }
  if (state.status === 'INITIAL') return state;
  switch (event.type) {
    case 'group-members-added': {
      const size = state.size + (event.data.targetCount ?? event.data.targetIds.length);
      return { ...state, size, membershipChunks: state.membershipChunks + 1, counters: emptyCounters(size) };
    }
    case 'group-ready':
      return { ...state, status: 'READY', firstActionId: event.data.firstActionId };
    case 'group-scheduled':
      return { ...state, status: 'SCHEDULED' };
    case 'group-started':
      return { ...state, status: 'RUNNING', counters: emptyCounters(state.size), released: event.data.released ?? state.size };
    case 'group-actions-released':
      return { ...state, released: Math.max(state.released, event.data.released) };
    case 'group-soak-started':
      return { ...state, status: 'SOAKING', soakUntil: event.data.until, counters: event.data.counters };
    case 'group-soak-completed':
      return { ...state, status: 'RUNNING', soakUntil: undefined };
    case 'group-gate-deferred':
      return { ...state, gateDeferrals: state.gateDeferrals + 1 };
    case 'group-gate-requested':
      return { ...state, status: 'WAITING_FOR_GATE', counters: event.data.counters };
    case 'group-gate-passed':
    case 'group-gate-failed':
      return state;
    case 'group-success-condition-met':
      return { ...state, status: 'RUNNING', successMet: true, counters: event.data.counters };
    case 'group-error-condition-met':
      return { ...state, status: 'ERROR', counters: event.data.counters };
    case 'group-finished':
      return { ...state, status: 'FINISHED', counters: event.data.counters };
  }
}

function requireStatus(s: Live, allowed: readonly GroupStatus[], code: string): void {
  if (!allowed.includes(s.status)) {
    throw new DomainError(code, `group ${s.groupId} is ${s.status.toLowerCase()}; this needs ${allowed.map((a) => a.toLowerCase()).join(' or ')}`, { status: s.status });
  }
}
