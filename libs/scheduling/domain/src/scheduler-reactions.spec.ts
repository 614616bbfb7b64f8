import { defaultExecution, type GroupEvent, type RolloutData, type RolloutEvent, type RolloutStatus } from '@rollgate/rollout-domain';
import { emptyCounters } from '@rollgate/rollout-domain';
import { DEFAULT_GATE_RECHECK_MS, reactToGateVerdict, reactToGroupEvent, reactToRolloutEvent } from './scheduler-reactions';

const AT = 1_700_000_000_000;
const rollout = (status: RolloutStatus, execution = defaultExecution()): RolloutData & { status: RolloutStatus } => ({
  status, rolloutId: 'r1', name: 'r', description: '', targetFilterQuery: '', distributionSetId: 'ds', actionType: 'forced', weight: 1000, execution,
  approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: true }, approvalRequired: false, approvals: [], planHash: 'h',
  groups: [{ groupId: 'g1', name: 'a', size: 2, triggered: true, completed: false }, { groupId: 'g2', name: 'b', size: 2, triggered: false, completed: false }],
  createdBy: 'x', createdAt: AT, actionsCreated: true, incidents: 0,
});
const counters = emptyCounters(2);

describe('scheduler reactions to rollout events', () => {
  it('rollout-starting: every group scheduled, then the start completed', () => {
    expect(reactToRolloutEvent({ type: 'rollout-starting', data: { by: 'a', at: AT } }, rollout('STARTING'), AT)).toEqual([
      { aggregate: 'group', streamId: 'rolloutgroup-g1', command: { type: 'schedule-group', at: AT } },
      { aggregate: 'group', streamId: 'rolloutgroup-g2', command: { type: 'schedule-group', at: AT } },
      { aggregate: 'rollout', streamId: 'rollout-r1', command: { type: 'complete-rollout-start', at: AT } },
    ]);
  });

  it('rollout-group-triggered starts the group only while the rollout runs', () => {
    const triggered: RolloutEvent = { type: 'rollout-group-triggered', data: { groupId: 'g2', index: 1, reason: 'manual', at: AT } };
    expect(reactToRolloutEvent(triggered, rollout('RUNNING'), AT)).toEqual([{ aggregate: 'group', streamId: 'rolloutgroup-g2', command: { type: 'start-group', at: AT } }]);
    for (const status of ['PAUSED', 'STOPPING', 'STOPPED', 'DELETING'] as const) expect(reactToRolloutEvent(triggered, rollout(status), AT)).toEqual([]);
  });

  it('rollout-stopping is followed by the completed stop; other events need nothing', () => {
    expect(reactToRolloutEvent({ type: 'rollout-stopping', data: { reason: 'emergency', at: AT } }, rollout('STOPPING'), AT)).toEqual([
      { aggregate: 'rollout', streamId: 'rollout-r1', command: { type: 'complete-rollout-stop', at: AT } },
    ]);
    expect(reactToRolloutEvent({ type: 'rollout-paused', data: { reason: 'manual', at: AT } }, rollout('PAUSED'), AT)).toEqual([]);
  });
});

describe('scheduler reactions to group conditions', () => {
  const group = { groupId: 'g1', rolloutId: 'r1', index: 0 };
  const success: GroupEvent = { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters, at: AT } };

  it('turns success, error and finish into rollout commands', () => {
    expect(reactToGroupEvent(success, group, rollout('RUNNING'), AT)).toEqual([{ aggregate: 'rollout', streamId: 'rollout-r1', command: { type: 'record-group-succeeded', groupId: 'g1', successAction: 'NEXTGROUP', at: AT } }]);
    expect(reactToGroupEvent({ type: 'group-error-condition-met', data: { errorAction: 'ROLLBACK', counters, cause: 'threshold', at: AT } }, group, rollout('RUNNING'), AT)).toEqual([
      { aggregate: 'rollout', streamId: 'rollout-r1', command: { type: 'record-group-failed', groupId: 'g1', errorAction: 'ROLLBACK', at: AT } },
    ]);
    expect(reactToGroupEvent({ type: 'group-finished', data: { counters, at: AT } }, group, rollout('RUNNING'), AT)).toEqual([
      { aggregate: 'rollout', streamId: 'rollout-r1', command: { type: 'record-group-completed', groupId: 'g1', at: AT } },
    ]);
    expect(reactToGroupEvent({ type: 'group-gate-requested', data: { gate: 'canary_gate', counters, at: AT } }, group, rollout('RUNNING'), AT)).toEqual([]);
  });

  it('pauses after the canary when the rollout asks for a human after it', () => {
    const withApproval = rollout('RUNNING', { ...defaultExecution(), pauseAfterCanary: true });
    expect(reactToGroupEvent(success, group, withApproval, AT)[0].command).toMatchObject({ successAction: 'PAUSE' });
    expect(reactToGroupEvent(success, { ...group, index: 1 }, withApproval, AT)[0].command).toMatchObject({ successAction: 'NEXTGROUP' });
  });

  it('records gate verdicts, extending the soak by the group soak or the default re-check', () => {
    const verdict = { rolloutId: 'r1', groupId: 'g1', gate: 'canary_gate', verdictId: 'v1', verdict: 'CAUTION' as const };
    expect(reactToGateVerdict(verdict, { index: 0 }, rollout('RUNNING', { ...defaultExecution(), soakMs: [30_000] }), AT).command).toMatchObject({ type: 'record-gate-verdict', verdict: 'CAUTION', extendSoakMs: 30_000 });
    expect(reactToGateVerdict(verdict, { index: 1 }, rollout('RUNNING', { ...defaultExecution(), soakMs: [30_000] }), AT).command).toMatchObject({ extendSoakMs: DEFAULT_GATE_RECHECK_MS });
  });
});
