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
      case 'report-group-progress':
        return progress(command, state);
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
  const events: GroupEvent[] = [{ type: 'group-started', data: { size: s.size, at: c.at } }];
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

function progress(c: Cmd<'report-group-progress'>, s: Live): GroupEvent[] {
  if (s.status === 'FINISHED' || s.status === 'ERROR') return []; // late device reports change nothing
  requireStatus(s, ['RUNNING', 'WAITING_FOR_GATE'], 'group_not_running');
  const counters = checkCounters(c.counters, s);
  const { conditions } = s;
  // Errors first: an emergency shutdown must never lose to a success cascade on the same report.
  if (isErrorMet(counters, conditions.error)) {
    return [{ type: 'group-error-condition-met', data: { errorAction: conditions.errorAction, counters, cause: 'threshold', at: c.at } }];
  }
  if (s.status === 'WAITING_FOR_GATE') return [];
  const events: GroupEvent[] = [];
  if (!s.successMet && isSuccessMet(counters, conditions)) {
    if (conditions.healthGate !== undefined) {
      return [{ type: 'group-gate-requested', data: { gate: conditions.healthGate, counters, at: c.at } }];
    }
    events.push({ type: 'group-success-condition-met', data: { successAction: conditions.successAction, counters, at: c.at } });
  }
  if (isComplete(counters, conditions.actionType)) events.push({ type: 'group-finished', data: { counters, at: c.at } });
  return events;
}

function verdict(c: Cmd<'record-gate-verdict'>, s: Live): GroupEvent[] {
  requireStatus(s, ['WAITING_FOR_GATE'], 'group_not_waiting_for_gate');
  const { conditions } = s;
  // The verdict carries the latest counters: devices may all have finished while the gate was pending.
  const counters = c.counters ? checkCounters(c.counters, s) : s.counters;
  if (!c.passed) {
    return [
      { type: 'group-gate-failed', data: { verdictId: c.verdictId, reason: c.reason ?? '', at: c.at } },
      { type: 'group-error-condition-met', data: { errorAction: conditions.errorAction, counters, cause: 'health-gate', at: c.at } },
    ];
  }
  const events: GroupEvent[] = [
    { type: 'group-gate-passed', data: { verdictId: c.verdictId, at: c.at } },
    { type: 'group-success-condition-met', data: { successAction: conditions.successAction, counters, at: c.at } },
  ];
  if (isComplete(counters, conditions.actionType)) events.push({ type: 'group-finished', data: { counters, at: c.at } });
  return events;
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
    return { status: 'CREATING', groupId, rolloutId, index, name, conditions, size: 0, firstActionId: 0, membershipChunks: 0, counters: emptyCounters(0), successMet: false };
  }
  if (state.status === 'INITIAL') return state;
  switch (event.type) {
    case 'group-members-added': {
      const size = state.size + event.data.targetIds.length;
      return { ...state, size, membershipChunks: state.membershipChunks + 1, counters: emptyCounters(size) };
    }
    case 'group-ready':
      return { ...state, status: 'READY', firstActionId: event.data.firstActionId };
    case 'group-scheduled':
      return { ...state, status: 'SCHEDULED' };
    case 'group-started':
      return { ...state, status: 'RUNNING', counters: emptyCounters(state.size) };
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
