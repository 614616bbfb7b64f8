import {
  counterBucket, evolveAction, evolveGroup, evolveRollout, initialRolloutState,
  type ActionEvent, type ActionState, type ActionStatus, type GroupEvent, type GroupState, type RolloutEvent, type RolloutState,
} from '@rollgate/rollout-domain';
import { asOf, streamKey, type AuditEvent } from './audit-event';

/** hawkBit's `totalTargetsPerStatus` keys, as the Management API answers them. */
export interface TargetsPerStatus {
  running: number;
  notstarted: number;
  scheduled: number;
  cancelled: number;
  finished: number;
  error: number;
}

export interface GroupSnapshot {
  id: string;
  name: string;
  index: number;
  /** the API's lower-case spelling of the group decider's status */
  status: string;
  totalTargets: number;
  firstActionId?: number;
  totalTargetsPerStatus: TargetsPerStatus;
  /** devices per action status (hawkBit's names; NOT_STARTED for members whose group has not started) */
  actionStatuses: Record<string, number>;
  /** the latest health-gate step of the group: `canary_gate requested`, `canary_gate FAIL: …`, `PASS` */
  gate?: string;
}

export interface RolloutSnapshot {
  rolloutId: string;
  name: string;
  /** the API's lower-case spelling (`running`, `stopped`, …) */
  status: string;
  stopReason?: string;
  distributionSetId: string;
  /** the instant the state is for (ISO), or the newest event's time when no instant was asked */
  asOf: string;
  /** how many log events the state folds */
  eventsApplied: number;
  lastPosition?: string;
  totalTargets: number;
  totalTargetsPerStatus: TargetsPerStatus;
  groups: GroupSnapshot[];
}

/** What one member of a group is at the instant: its position in the group, action id and status. */
export interface DeviceState {
  targetId: string;
  groupId: string;
  position: number;
  actionId?: number;
  status: ActionStatus | 'NOT_STARTED';
  lastEventAt?: string;
}

interface GroupFold {
  state: GroupState;
  members: string[];
  gate?: string;
}

/**
 * The rollout at an instant, rebuilt from the log alone: the deciders' own evolve functions are folded over
 * the events recorded at or before it (rollout stream, group streams, action streams), so the replay can
 * never disagree with how the services themselves rebuild state. Actions map to groups by their id range.
 */
export function replayRollout(events: readonly AuditEvent[], instant?: Date): { snapshot: RolloutSnapshot; devices: DeviceState[] } {
  const applied = asOf(events, instant);
  let rollout: RolloutState = initialRolloutState;
  const groups = new Map<string, GroupFold>();
  const actions = new Map<number, { state: ActionState; lastAt: string }>();
  for (const e of applied) {
    if (e.aggregate === 'rollout' && e.streamId.startsWith('rollout-')) rollout = tolerant(evolveRollout, rollout, asDomain<RolloutEvent>(e));
    else if (e.aggregate === 'rollout' && e.streamId.startsWith('rolloutgroup-')) foldGroup(groups, e);
    else if (e.name === 'gate-evaluated' && typeof e.data.groupId === 'string') {
      const fold = groups.get(e.data.groupId);
      if (fold) fold.gate = `${String(e.data.gate)} ${String(e.data.verdict)}${e.data.reason ? `: ${String(e.data.reason)}` : ''}`;
    } else if (e.aggregate === 'action') {
      const id = Number(streamKey(e.streamId));
      const previous = actions.get(id)?.state ?? { status: 'INITIAL' };
      actions.set(id, { state: tolerant(evolveAction, previous, asDomain<ActionEvent>(e)), lastAt: e.recordedAt });
    }
  }
  if (rollout.status === 'INITIAL') throw new Error('the log holds no rollout-created event at or before this instant');
  const stopped = rollout.status === 'STOPPING' || rollout.status === 'STOPPED';
  const devices: DeviceState[] = [];
  const groupSnapshots = [...groups.entries()]
    .filter(([, g]) => g.state.status !== 'INITIAL')
    .map(([groupId, g]) => groupSnapshot(groupId, g, actions, stopped, devices))
    .sort((a, b) => a.index - b.index);
  const last = applied[applied.length - 1];
  return {
    snapshot: {
      rolloutId: rollout.rolloutId, name: rollout.name, status: rollout.status.toLowerCase(), stopReason: rollout.stopReason,
      distributionSetId: rollout.distributionSetId, asOf: (instant ?? (last ? new Date(last.recordedAt) : new Date(0))).toISOString(),
      eventsApplied: applied.length, lastPosition: last?.position,
      totalTargets: groupSnapshots.reduce((n, g) => n + g.totalTargets, 0),
      totalTargetsPerStatus: sumPerStatus(groupSnapshots.map((g) => g.totalTargetsPerStatus)),
      groups: groupSnapshots,
    },
    devices,
  };
}

function foldGroup(groups: Map<string, GroupFold>, e: AuditEvent): void {
  const groupId = streamKey(e.streamId);
  const fold = groups.get(groupId) ?? { state: { status: 'INITIAL' }, members: [] };
  fold.state = tolerant(evolveGroup, fold.state, asDomain<GroupEvent>(e));
  if (e.name === 'group-members-added') fold.members.push(...((e.data.targetIds as string[] | undefined) ?? []));
  if (e.name === 'group-gate-requested') fold.gate = `${String(e.data.gate)} requested`;
  if (e.name === 'group-gate-passed') fold.gate = `${fold.gate?.split(' ')[0] ?? 'gate'} PASS`;
  if (e.name === 'group-gate-failed') fold.gate = `${fold.gate?.split(' ')[0] ?? 'gate'} FAIL: ${String(e.data.reason ?? '')}`;
  groups.set(groupId, fold);
}

function groupSnapshot(groupId: string, g: GroupFold, actions: Map<number, { state: ActionState; lastAt: string }>, stopped: boolean, devices: DeviceState[]): GroupSnapshot {
  const state = g.state as Exclude<GroupState, { status: 'INITIAL' }>;
  const started = !['CREATING', 'READY', 'SCHEDULED'].includes(state.status);
  const perStatus = emptyPerStatus();
  const actionStatuses: Record<string, number> = {};
  g.members.forEach((targetId, position) => {
    const actionId = state.firstActionId > 0 ? state.firstActionId + position : undefined;
    const action = actionId === undefined ? undefined : actions.get(actionId);
    const status = memberStatus(action?.state, started, stopped);
    perStatus[perStatusKey(status)] += 1;
    actionStatuses[status] = (actionStatuses[status] ?? 0) + 1;
    devices.push({ targetId, groupId, position, actionId, status, lastEventAt: action?.lastAt });
  });
  return {
    id: groupId, name: state.name, index: state.index, status: state.status.toLowerCase(), totalTargets: g.members.length,
    firstActionId: state.firstActionId > 0 ? state.firstActionId : undefined, totalTargetsPerStatus: perStatus, actionStatuses, gate: g.gate,
  };
}

/**
 * A member without action events: not started until its group starts; then SCHEDULED (hawkBit), unless the
 * rollout is stopping, whose one `rollout-stopping` event closes every action a device never picked up.
 */
function memberStatus(action: ActionState | undefined, groupStarted: boolean, rolloutStopped: boolean): DeviceState['status'] {
  if (action && action.status !== 'INITIAL') return action.status;
  if (!groupStarted) return 'NOT_STARTED';
  return rolloutStopped ? 'CANCELED' : 'SCHEDULED';
}

function perStatusKey(status: DeviceState['status']): keyof TargetsPerStatus {
  if (status === 'NOT_STARTED') return 'notstarted';
  const bucket = counterBucket(status);
  if (bucket === 'downloaded') return 'running';
  if (bucket === 'canceled') return 'cancelled';
  return bucket;
}

export function emptyPerStatus(): TargetsPerStatus {
  return { running: 0, notstarted: 0, scheduled: 0, cancelled: 0, finished: 0, error: 0 };
}

function sumPerStatus(all: readonly TargetsPerStatus[]): TargetsPerStatus {
  const total = emptyPerStatus();
  for (const counts of all) for (const key of Object.keys(total) as Array<keyof TargetsPerStatus>) total[key] += counts[key];
  return total;
}

/** The deciders take events by their short name, as the services fold them (aggregate.repository). */
function asDomain<E>(e: AuditEvent): E {
  return { type: e.name, data: e.data } as E;
}

/**
 * An event type this build does not know yet (a newer service's) leaves the state as it was: the switch in
 * an evolve function has no default and would answer undefined.
 */
function tolerant<S, E>(evolve: (state: S, event: E) => S, state: S, event: E): S {
  return evolve(state, event) ?? state;
}
