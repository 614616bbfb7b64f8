import { given } from '@rollgate/shared-domain';
import { rolloutDecider } from './rollout.decider';
import type { ApprovalPolicy, RolloutCommand, RolloutEvent, RolloutPlanSummary } from './rollout.types';

const T = 1_700_000_000_000;
const plan: RolloutPlanSummary = { hash: 'plan-1', groups: [{ groupId: 'g1', name: 'canary', size: 5 }, { groupId: 'g2', name: 'wave-1', size: 95 }] };
const plan2: RolloutPlanSummary = { hash: 'plan-2', groups: [{ groupId: 'g1', name: 'canary', size: 4 }, { groupId: 'g2', name: 'wave-1', size: 96 }] };
const policy: ApprovalPolicy = { enabled: true, quorum: 1, creatorMayApprove: false, validForMs: 3_600_000 };
const APPROVER = ['APPROVE_ROLLOUT'];

const createCmd: Extract<RolloutCommand, { type: 'create-rollout' }> = {
  type: 'create-rollout', rolloutId: 'r1', name: 'fw-2.0', targetFilterQuery: 'region==eu', distributionSetId: 'ds-2',
  plan, approvalPolicy: policy, creatorPermissions: ['CREATE_ROLLOUT'], by: 'alice', at: T,
};
const created: RolloutEvent = {
  type: 'rollout-created',
  data: {
    rolloutId: 'r1', name: 'fw-2.0', description: '', targetFilterQuery: 'region==eu', distributionSetId: 'ds-2', plan,
    actionType: 'forced', forceTime: undefined, weight: 1000, startAt: undefined, approvalPolicy: policy, approvalRequired: true, createdBy: 'alice', at: T,
  },
};
const requested: RolloutEvent = { type: 'rollout-approval-requested', data: { planHash: 'plan-1', quorum: 1, at: T + 1 } };
const given1: RolloutEvent = { type: 'rollout-approval-given', data: { approver: 'bob', remark: 'ok', planHash: 'plan-1', expiresAt: T + 2 + 3_600_000, at: T + 2 } };
const approved: RolloutEvent = { type: 'rollout-approved', data: { approvers: ['bob'], planHash: 'plan-1', expiresAt: T + 2 + 3_600_000, at: T + 2 } };
const denied: RolloutEvent = { type: 'rollout-approval-denied', data: { approver: 'bob', remark: 'no', at: T + 2 } };
const starting: RolloutEvent = { type: 'rollout-starting', data: { by: 'carol', at: T + 3 } };
const started: RolloutEvent = { type: 'rollout-started', data: { groupIds: ['g1', 'g2'], at: T + 4 } };
const trig = (groupId: string, index: number, reason: 'first' | 'success-condition' | 'manual' | 'resume', at: number): RolloutEvent =>
  ({ type: 'rollout-group-triggered', data: { groupId, index, reason, at } });

const H = {
  INITIAL: [] as RolloutEvent[],
  CREATING: [created],
  WAITING_FOR_APPROVAL: [created, requested],
  APPROVAL_DENIED: [created, requested, denied],
  READY: [created, requested, given1, approved],
};
const running = [...H.READY, starting, started, trig('g1', 0, 'first', T + 4)];
const histories: Record<string, RolloutEvent[]> = {
  ...H,
  STARTING: [...H.READY, starting],
  RUNNING: running,
  PAUSED: [...running, { type: 'rollout-paused', data: { reason: 'manual', by: 'carol', at: T + 5 } }],
  STOPPING: [...running, { type: 'rollout-stopping', data: { reason: 'manual', by: 'carol', at: T + 5 } }],
  STOPPED: [...running, { type: 'rollout-stopping', data: { reason: 'manual', by: 'carol', at: T + 5 } }, { type: 'rollout-stopped', data: { at: T + 6 } }],
  FINISHED: [
    ...running,
    { type: 'rollout-group-succeeded', data: { groupId: 'g1', at: T + 5 } }, trig('g2', 1, 'success-condition', T + 5),
    { type: 'rollout-group-completed', data: { groupId: 'g1', at: T + 6 } }, { type: 'rollout-group-completed', data: { groupId: 'g2', at: T + 7 } },
    { type: 'rollout-finished', data: { at: T + 7 } },
  ],
  DELETING: [...H.READY, { type: 'rollout-deleting', data: { by: 'carol', at: T + 3 } }],
  DELETED: [...H.READY, { type: 'rollout-deleting', data: { by: 'carol', at: T + 3 } }, { type: 'rollout-deleted', data: { hard: true, at: T + 4 } }],
};
const STATUSES = Object.keys(histories);
const AT = T + 10;

type Outcome = RolloutEvent[] | string;
interface Row {
  command: RolloutCommand;
  outcomes: Partial<Record<string, Outcome>>;
  otherwise: string;
}

/** Every command in every state; `otherwise` is the exact error code for all states not listed. */
const table: Row[] = [
  {
    command: createCmd,
    outcomes: { INITIAL: [created] },
    otherwise: 'rollout_already_exists',
  },
  {
    command: { type: 'complete-rollout-creation', at: AT },
    outcomes: { CREATING: [{ type: 'rollout-approval-requested', data: { planHash: 'plan-1', quorum: 1, at: AT } }] },
    otherwise: 'rollout_not_creating',
  },
  {
    command: { type: 'update-rollout', plan: plan2, by: 'alice', at: AT },
    outcomes: Object.fromEntries(['WAITING_FOR_APPROVAL', 'APPROVAL_DENIED', 'READY'].map((s) => [s, [
      { type: 'rollout-updated', data: { name: undefined, description: undefined, plan: plan2, by: 'alice', at: AT } },
      { type: 'rollout-approval-voided', data: { reason: 'plan-changed', planHash: 'plan-2', at: AT } },
    ]]).concat([['CREATING', [{ type: 'rollout-updated', data: { name: undefined, description: undefined, plan: plan2, by: 'alice', at: AT } }]]])),
    otherwise: 'rollout_plan_locked',
  },
  {
    command: { type: 'update-rollout', name: 'fw-2.0.1', description: 'hotfix', by: 'alice', at: AT },
    outcomes: Object.fromEntries(['CREATING', 'WAITING_FOR_APPROVAL', 'APPROVAL_DENIED', 'READY', 'STARTING', 'RUNNING', 'PAUSED', 'STOPPING', 'STOPPED', 'FINISHED']
      .map((s) => [s, [{ type: 'rollout-updated', data: { name: 'fw-2.0.1', description: 'hotfix', plan: undefined, by: 'alice', at: AT } }]])),
    otherwise: 'unused',
  },
  {
    command: { type: 'approve-rollout', approver: 'bob', permissions: APPROVER, planHash: 'plan-1', remark: 'lgtm', at: AT },
    outcomes: {
      WAITING_FOR_APPROVAL: [
        { type: 'rollout-approval-given', data: { approver: 'bob', remark: 'lgtm', planHash: 'plan-1', expiresAt: AT + 3_600_000, at: AT } },
        { type: 'rollout-approved', data: { approvers: ['bob'], planHash: 'plan-1', expiresAt: AT + 3_600_000, at: AT } },
      ],
    },
    otherwise: 'rollout_not_awaiting_approval',
  },
  {
    command: { type: 'deny-rollout', approver: 'bob', permissions: APPROVER, remark: 'not now', at: AT },
    outcomes: { WAITING_FOR_APPROVAL: [{ type: 'rollout-approval-denied', data: { approver: 'bob', remark: 'not now', at: AT } }] },
    otherwise: 'rollout_not_awaiting_approval',
  },
  {
    command: { type: 'expire-rollout-approval', at: T + 2 + 3_600_000 },
    outcomes: { READY: [{ type: 'rollout-approval-expired', data: { at: T + 2 + 3_600_000 } }] },
    otherwise: 'rollout_not_ready',
  },
  {
    command: { type: 'start-rollout', by: 'carol', at: AT },
    outcomes: { READY: [{ type: 'rollout-starting', data: { by: 'carol', at: AT } }] },
    otherwise: 'rollout_not_ready',
  },
  {
    command: { type: 'complete-rollout-start', at: AT },
    outcomes: { STARTING: [{ type: 'rollout-started', data: { groupIds: ['g1', 'g2'], at: AT } }, trig('g1', 0, 'first', AT)] },
    otherwise: 'rollout_not_starting',
  },
  {
    command: { type: 'pause-rollout', by: 'carol', at: AT },
    outcomes: { RUNNING: [{ type: 'rollout-paused', data: { reason: 'manual', by: 'carol', at: AT } }] },
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'resume-rollout', by: 'carol', at: AT },
    outcomes: { PAUSED: [{ type: 'rollout-resumed', data: { by: 'carol', at: AT } }] },
    otherwise: 'rollout_not_paused',
  },
  {
    command: { type: 'stop-rollout', by: 'carol', at: AT },
    outcomes: Object.fromEntries(['READY', 'WAITING_FOR_APPROVAL', 'STARTING', 'RUNNING', 'PAUSED']
      .map((s) => [s, [{ type: 'rollout-stopping', data: { reason: 'manual', by: 'carol', at: AT } }]])),
    otherwise: 'rollout_not_stoppable',
  },
  {
    command: { type: 'complete-rollout-stop', at: AT },
    outcomes: { STOPPING: [{ type: 'rollout-stopped', data: { at: AT } }] },
    otherwise: 'rollout_not_stopping',
  },
  {
    command: { type: 'delete-rollout', by: 'carol', at: AT },
    outcomes: Object.fromEntries(['CREATING', 'WAITING_FOR_APPROVAL', 'APPROVAL_DENIED', 'READY', 'STARTING', 'RUNNING', 'PAUSED', 'STOPPING', 'STOPPED', 'FINISHED']
      .map((s) => [s, [{ type: 'rollout-deleting', data: { by: 'carol', at: AT } }]])),
    otherwise: 'unused',
  },
  {
    command: { type: 'complete-rollout-deletion', at: AT },
    outcomes: { DELETING: [{ type: 'rollout-deleted', data: { hard: true, at: AT } }], DELETED: 'rollout_deleted' },
    otherwise: 'rollout_not_deleting',
  },
  {
    command: { type: 'trigger-next-group', by: 'carol', at: AT },
    outcomes: { RUNNING: [trig('g2', 1, 'manual', AT)] },
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'retry-rollout', newRolloutId: 'r2', failedTargets: 7, by: 'carol', at: AT },
    outcomes: { FINISHED: [{ type: 'rollout-retry-requested', data: { newRolloutId: 'r2', name: 'fw-2.0_retry', failedTargets: 7, by: 'carol', at: AT } }] },
    otherwise: 'rollout_not_finished',
  },
  {
    command: { type: 'record-group-succeeded', groupId: 'g1', successAction: 'NEXTGROUP', at: AT },
    outcomes: {
      RUNNING: [{ type: 'rollout-group-succeeded', data: { groupId: 'g1', at: AT } }, trig('g2', 1, 'success-condition', AT)],
      PAUSED: [{ type: 'rollout-group-succeeded', data: { groupId: 'g1', at: AT } }],
    },
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'record-group-failed', groupId: 'g1', errorAction: 'STOP', at: AT },
    outcomes: Object.fromEntries(['RUNNING', 'PAUSED'].map((s) => [s, [
      { type: 'rollout-group-failed', data: { groupId: 'g1', errorAction: 'STOP', at: AT } },
      { type: 'rollout-stopping', data: { reason: 'emergency', groupId: 'g1', at: AT } },
    ]])),
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'record-group-completed', groupId: 'g1', at: AT },
    outcomes: {
      // g1 ended without meeting either condition while g2 waits: the cascade would hang, so the rollout pauses.
      RUNNING: [{ type: 'rollout-group-completed', data: { groupId: 'g1', at: AT } }, { type: 'rollout-paused', data: { reason: 'success-condition-not-met', groupId: 'g1', at: AT } }],
      PAUSED: [{ type: 'rollout-group-completed', data: { groupId: 'g1', at: AT } }],
    },
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'halt-rollout', trigger: 'error_rate_spike', at: AT },
    outcomes: { RUNNING: [{ type: 'rollout-paused', data: { reason: 'error-action', by: 'health-trigger:error_rate_spike', at: AT } }] },
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'request-rollback', scope: 'affected', cause: 'health:crash_loop', at: AT },
    outcomes: {
      ...Object.fromEntries(['RUNNING', 'PAUSED'].map((s) => [s, [
        { type: 'rollout-stopping', data: { reason: 'rollback', groupId: 'g1', at: AT } },
        { type: 'rollout-rollback-requested', data: { groupId: 'g1', distributionSetId: 'ds-2', scope: 'affected', controllerIds: undefined, cause: 'health:crash_loop', at: AT } },
      ]])),
      // Already stopping or stopped: the rollback is still asked for, without a second stop.
      ...Object.fromEntries(['STOPPING', 'STOPPED'].map((s) => [s, [
        { type: 'rollout-rollback-requested', data: { groupId: 'g1', distributionSetId: 'ds-2', scope: 'affected', controllerIds: undefined, cause: 'health:crash_loop', at: AT } },
      ]])),
    },
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'request-rollback', scope: 'device', controllerIds: ['d7'], cause: 'health:fallback', at: AT },
    outcomes: Object.fromEntries(['RUNNING', 'PAUSED'].map((s) => [s, [
      { type: 'rollout-rollback-requested', data: { groupId: 'g1', distributionSetId: 'ds-2', scope: 'device', controllerIds: ['d7'], cause: 'health:fallback', at: AT } },
    ]])),
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'add-dynamic-group', groupId: 'g3', name: 'dynamic-1', size: 5, at: AT },
    outcomes: { RUNNING: 'rollout_not_dynamic', PAUSED: 'rollout_not_dynamic' },
    otherwise: 'rollout_not_running',
  },
  {
    command: { type: 'record-incident', incident: { incidentId: 'i1', cause: 'threshold', rollbackRollouts: [], devicesWithoutPrevious: 0 }, at: AT },
    outcomes: Object.fromEntries(['RUNNING', 'PAUSED', 'STOPPING', 'STOPPED', 'FINISHED'].map((s) => [s, [
      { type: 'rollout-incident-recorded', data: { incidentId: 'i1', cause: 'threshold', rollbackRollouts: [], devicesWithoutPrevious: 0, at: AT } },
    ]])),
    otherwise: 'rollout_not_started',
  },
];

function expected(row: Row, status: string): Outcome {
  if (status in row.outcomes) return row.outcomes[status]!;
  if (row.command.type === 'create-rollout') return row.otherwise;
  if (status === 'INITIAL') return 'rollout_not_found';
  if (status === 'DELETING' || status === 'DELETED') return 'rollout_deleted';
  return row.otherwise;
}

describe('rollout decider: dynamic rollouts', () => {
  const template = { conditions: { success: { threshold: 100, mode: 'finished' as const }, successAction: 'NEXTGROUP' as const, error: { kind: 'count' as const, threshold: 0 }, errorAction: 'PAUSE' as const, actionType: 'forced' as const }, targetsPerGroup: 5, namePrefix: 'dyn' };
  const dynCreated = { ...created, data: { ...created.data, dynamicGroupTemplate: template } } as RolloutEvent;
  const dynRunning = [dynCreated, ...running.slice(1)];
  const add = (groupId: string): RolloutCommand => ({ type: 'add-dynamic-group', groupId, name: groupId, size: 3, at: AT });

  it('appends a dynamic group after the planned ones; the cascade reaches it in turn', () => {
    given(rolloutDecider, dynRunning).when(add('d1')).then([{ type: 'rollout-dynamic-group-added', data: { groupId: 'd1', name: 'd1', size: 3, index: 2, at: AT } }]);
    given(rolloutDecider, dynRunning).when(add('g1')).then([]);
    given(rolloutDecider, dynRunning).when({ ...add('d1'), size: 0 } as RolloutCommand).thenThrows('invalid_group_size');
  });

  it('starts a dynamic group at once when the cascade ran out of groups, and never finishes by itself', () => {
    const allDone = [
      ...dynRunning,
      { type: 'rollout-group-succeeded', data: { groupId: 'g1', at: T + 5 } }, trig('g2', 1, 'success-condition', T + 5),
      { type: 'rollout-group-completed', data: { groupId: 'g1', at: T + 6 } }, { type: 'rollout-group-succeeded', data: { groupId: 'g2', at: T + 7 } },
    ] as RolloutEvent[];
    given(rolloutDecider, allDone).when({ type: 'record-group-completed', groupId: 'g2', at: AT }).then([{ type: 'rollout-group-completed', data: { groupId: 'g2', at: AT } }]);
    given(rolloutDecider, allDone).when(add('d1')).then([
      { type: 'rollout-dynamic-group-added', data: { groupId: 'd1', name: 'd1', size: 3, index: 2, at: AT } },
      { type: 'rollout-group-triggered', data: { groupId: 'd1', index: 2, reason: 'dynamic', at: AT } },
    ]);
  });

  it('refuses a template without a positive group size', () => {
    given(rolloutDecider).when({ ...createCmd, dynamicGroupTemplate: { ...template, targetsPerGroup: 0 } }).thenThrows('invalid_dynamic_template');
  });
});

describe('rollout decider: rollbacks', () => {
  it('refuses a device rollback without devices and a rollback of a group outside the rollout', () => {
    given(rolloutDecider, histories.RUNNING).when({ type: 'request-rollback', scope: 'device', cause: 'x', at: AT }).thenThrows('rollback_devices_missing');
    given(rolloutDecider, histories.RUNNING).when({ type: 'request-rollback', scope: 'wave', groupId: 'g9', cause: 'x', at: AT }).thenThrows('unknown_group');
  });

  it('remembers which rollout a rollback rollout undoes', () => {
    const rollbackOf = { rolloutId: 'r0', groupId: 'g0', cause: 'threshold' };
    given(rolloutDecider).when({ ...createCmd, rollbackOf }).thenState((state) => expect(state).toMatchObject({ rollbackOf, incidents: 0 }));
  });
});

describe('rollout decider: every command in every state', () => {
  const cases = table.flatMap((row) => STATUSES.map((status) => [row.command.type, status, row] as const));
  it.each(cases)('%s in %s', (_type, status, row) => {
    const outcome = expected(row, status);
    const spec = given(rolloutDecider, histories[status]).when(row.command);
    if (typeof outcome === 'string') expect(spec.thenThrows(outcome).code).toBe(outcome);
    else expect(spec.then(outcome)).toHaveLength(outcome.length);
  });

  it('reaches the state each fixture is named after', () => {
    for (const status of STATUSES) expect(given(rolloutDecider, histories[status]).state.status).toBe(status);
  });
});

describe('rollout decider: creation and approval', () => {
  it('needs no approval when the tenant has it disabled', () => {
    const cmd = { ...createCmd, approvalPolicy: { ...policy, enabled: false } };
    const [event] = given(rolloutDecider).when(cmd).then([{ ...created, data: { ...created.data, approvalPolicy: cmd.approvalPolicy, approvalRequired: false } } as RolloutEvent]);
    given(rolloutDecider, [event]).when({ type: 'complete-rollout-creation', at: AT }).then([{ type: 'rollout-ready', data: { at: AT } }]);
  });

  it('keeps hawkBit\'s shortcut: a creator holding APPROVE_ROLLOUT self-approves when creators may approve', () => {
    const cmd = { ...createCmd, approvalPolicy: { ...policy, creatorMayApprove: true }, creatorPermissions: APPROVER };
    given(rolloutDecider).when(cmd).thenState((s) => expect(s.status === 'CREATING' && s.approvalRequired).toBe(false));
  });

  it.each([
    ['rollout_plan_empty', { plan: { hash: 'x', groups: [] } }],
    ['invalid_weight', { weight: 1001 }],
    ['force_time_required', { actionType: 'timeforced' as const }],
    ['invalid_quorum', { approvalPolicy: { ...policy, quorum: 0 } }],
  ])('refuses creation with %s', (code, patch) => {
    given(rolloutDecider).when({ ...createCmd, ...patch }).thenThrows(code);
  });

  it('refuses an approver without APPROVE_ROLLOUT, the creator, a stale plan hash and a second vote of the same approver', () => {
    const waiting = histories.WAITING_FOR_APPROVAL;
    const approve = { type: 'approve-rollout' as const, approver: 'bob', permissions: APPROVER, planHash: 'plan-1', at: AT };
    given(rolloutDecider, waiting).when({ ...approve, permissions: [] }).thenThrows('approval_permission_missing');
    given(rolloutDecider, waiting).when({ ...approve, approver: 'alice' }).thenThrows('approver_is_creator');
    given(rolloutDecider, waiting).when({ ...approve, planHash: 'plan-0' }).thenThrows('approval_plan_mismatch');
    given(rolloutDecider, waiting).when({ type: 'deny-rollout', approver: 'alice', permissions: APPROVER, at: AT }).thenThrows('approver_is_creator');
    const quorum2 = [{ ...created, data: { ...created.data, approvalPolicy: { ...policy, quorum: 2 } } } as RolloutEvent, { ...requested, data: { ...requested.data, quorum: 2 } } as RolloutEvent];
    const first = given(rolloutDecider, quorum2).when(approve).then([
      { type: 'rollout-approval-given', data: { approver: 'bob', remark: '', planHash: 'plan-1', expiresAt: AT + 3_600_000, at: AT } },
    ]);
    given(rolloutDecider, [...quorum2, ...first]).when({ ...approve, at: AT + 1 }).thenThrows('approver_already_approved');
    given(rolloutDecider, [...quorum2, ...first]).when({ ...approve, approver: 'dave', at: AT + 5 }).then([
      { type: 'rollout-approval-given', data: { approver: 'dave', remark: '', planHash: 'plan-1', expiresAt: AT + 5 + 3_600_000, at: AT + 5 } },
      { type: 'rollout-approved', data: { approvers: ['bob', 'dave'], planHash: 'plan-1', expiresAt: AT + 3_600_000, at: AT + 5 } },
    ]);
  });

  it('does not count an expired approval towards the quorum', () => {
    const quorum2 = [{ ...created, data: { ...created.data, approvalPolicy: { ...policy, quorum: 2 } } } as RolloutEvent, requested, given1];
    given(rolloutDecider, quorum2).when({ type: 'approve-rollout', approver: 'dave', permissions: APPROVER, planHash: 'plan-1', at: T + 2 + 3_600_000 })
      .then([{ type: 'rollout-approval-given', data: { approver: 'dave', remark: '', planHash: 'plan-1', expiresAt: T + 2 + 7_200_000, at: T + 2 + 3_600_000 } }]);
  });

  it('refuses to start on an expired approval, and expiry sends the rollout back to approval', () => {
    const late = T + 2 + 3_600_000;
    given(rolloutDecider, H.READY).when({ type: 'start-rollout', by: 'carol', at: late }).thenThrows('approval_expired');
    given(rolloutDecider, H.READY).when({ type: 'expire-rollout-approval', at: late - 1 }).thenThrows('approval_not_expired');
    given(rolloutDecider, [...H.READY, { type: 'rollout-approval-expired', data: { at: late } }])
      .when({ type: 'start-rollout', by: 'carol', at: late }).thenThrows('rollout_not_ready');
  });

  it('ignores an update that changes nothing', () => {
    given(rolloutDecider, H.READY).when({ type: 'update-rollout', name: 'fw-2.0', plan, by: 'alice', at: AT }).then([]);
  });
});

describe('rollout decider: start and cascade', () => {
  it('schedules a start in the future and starts once the time has come', () => {
    const scheduled = given(rolloutDecider, H.READY).when({ type: 'start-rollout', startAt: AT + 60_000, by: 'carol', at: AT })
      .then([{ type: 'rollout-start-scheduled', data: { startAt: AT + 60_000, by: 'carol', at: AT } }]);
    given(rolloutDecider, [...H.READY, ...scheduled]).when({ type: 'start-rollout', by: 'timer', at: AT + 1 }).then([]);
    given(rolloutDecider, [...H.READY, ...scheduled]).when({ type: 'start-rollout', by: 'timer', at: AT + 60_000 })
      .then([{ type: 'rollout-starting', data: { by: 'timer', at: AT + 60_000 } }]);
  });

  it('pauses on a PAUSE success action and resume starts the next group at once', () => {
    const paused = given(rolloutDecider, running).when({ type: 'record-group-succeeded', groupId: 'g1', successAction: 'PAUSE', at: AT }).then([
      { type: 'rollout-group-succeeded', data: { groupId: 'g1', at: AT } },
      { type: 'rollout-paused', data: { reason: 'success-action', groupId: 'g1', at: AT } },
    ]);
    given(rolloutDecider, [...running, ...paused]).when({ type: 'resume-rollout', by: 'carol', at: AT + 1 }).then([
      { type: 'rollout-resumed', data: { by: 'carol', at: AT + 1 } }, trig('g2', 1, 'resume', AT + 1),
    ]);
  });

  it('pauses when the cascading group ends without meeting either condition, and resume then starts the next group', () => {
    given(rolloutDecider, running).when({ type: 'record-group-completed', groupId: 'g1', at: AT }).then([
      { type: 'rollout-group-completed', data: { groupId: 'g1', at: AT } },
      { type: 'rollout-paused', data: { reason: 'success-condition-not-met', groupId: 'g1', at: AT } },
    ]);
    const missed = [...running, { type: 'rollout-group-completed', data: { groupId: 'g1', at: T + 5 } },
      { type: 'rollout-paused', data: { reason: 'success-condition-not-met', groupId: 'g1', at: T + 5 } }] as RolloutEvent[];
    given(rolloutDecider, missed).when({ type: 'resume-rollout', by: 'carol', at: AT }).then([
      { type: 'rollout-resumed', data: { by: 'carol', at: AT } }, trig('g2', 1, 'resume', AT),
    ]);
    // A group that failed with PAUSE is different: resume does not cascade past it (triggerNextGroup does).
    const failed = [...running, { type: 'rollout-group-failed', data: { groupId: 'g1', errorAction: 'PAUSE', at: T + 5 } },
      { type: 'rollout-paused', data: { reason: 'error-action', groupId: 'g1', at: T + 5 } }] as RolloutEvent[];
    given(rolloutDecider, failed).when({ type: 'record-group-completed', groupId: 'g1', at: AT }).then([{ type: 'rollout-group-completed', data: { groupId: 'g1', at: AT } }]);
  });

  it('finishes when the last group completes, and on resume when everything completed while paused', () => {
    const both = [...running, { type: 'rollout-group-succeeded', data: { groupId: 'g1', at: T + 5 } }, trig('g2', 1, 'success-condition', T + 5),
      { type: 'rollout-group-completed', data: { groupId: 'g1', at: T + 6 } }] as RolloutEvent[];
    given(rolloutDecider, both).when({ type: 'record-group-completed', groupId: 'g2', at: AT }).then([
      { type: 'rollout-group-completed', data: { groupId: 'g2', at: AT } }, { type: 'rollout-finished', data: { at: AT } },
    ]);
    const pausedDone = [...both, { type: 'rollout-paused', data: { reason: 'manual', at: T + 7 } }, { type: 'rollout-group-completed', data: { groupId: 'g2', at: T + 8 } }] as RolloutEvent[];
    given(rolloutDecider, pausedDone).when({ type: 'resume-rollout', by: 'carol', at: AT }).then([
      { type: 'rollout-resumed', data: { by: 'carol', at: AT } }, { type: 'rollout-finished', data: { at: AT } },
    ]);
    given(rolloutDecider, both).when({ type: 'trigger-next-group', by: 'carol', at: AT }).thenThrows('no_next_group');
  });

  it('rolls back: emergency stop plus a rollback request for the failed group', () => {
    given(rolloutDecider, running).when({ type: 'record-group-failed', groupId: 'g1', errorAction: 'ROLLBACK', at: AT }).then([
      { type: 'rollout-group-failed', data: { groupId: 'g1', errorAction: 'ROLLBACK', at: AT } },
      { type: 'rollout-stopping', data: { reason: 'rollback', groupId: 'g1', at: AT } },
      { type: 'rollout-rollback-requested', data: { groupId: 'g1', distributionSetId: 'ds-2', at: AT } },
    ]);
    given(rolloutDecider, running).when({ type: 'record-group-failed', groupId: 'g1', errorAction: 'PAUSE', at: AT }).then([
      { type: 'rollout-group-failed', data: { groupId: 'g1', errorAction: 'PAUSE', at: AT } },
      { type: 'rollout-paused', data: { reason: 'error-action', groupId: 'g1', at: AT } },
    ]);
  });

  it('refuses group reports for unknown or unstarted groups and ignores duplicates', () => {
    given(rolloutDecider, running).when({ type: 'record-group-succeeded', groupId: 'gx', successAction: 'NEXTGROUP', at: AT }).thenThrows('unknown_group');
    given(rolloutDecider, running).when({ type: 'record-group-completed', groupId: 'g2', at: AT }).thenThrows('group_not_started');
    const once = [...running, { type: 'rollout-group-succeeded', data: { groupId: 'g1', at: AT } }] as RolloutEvent[];
    given(rolloutDecider, once).when({ type: 'record-group-succeeded', groupId: 'g1', successAction: 'NEXTGROUP', at: AT + 1 }).then([]);
  });

  it('soft-deletes a rollout that created actions and refuses a retry without failures', () => {
    const deleting = [...running, { type: 'rollout-deleting', data: { by: 'carol', at: AT } }] as RolloutEvent[];
    given(rolloutDecider, deleting).when({ type: 'complete-rollout-deletion', at: AT + 1 }).then([{ type: 'rollout-deleted', data: { hard: false, at: AT + 1 } }]);
    given(rolloutDecider, histories.FINISHED).when({ type: 'retry-rollout', newRolloutId: 'r2', failedTargets: 0, by: 'c', at: AT }).thenThrows('no_failed_targets');
  });
});
