import Ajv from 'ajv';
import { ROLLOUT_EVENT_TYPES } from '@rollgate/contracts';
import { groupDecider, rolloutDecider, type ApprovalPolicy, type GroupCommand, type RolloutCommand } from '@rollgate/rollout-domain';
import type { Decider, DomainEvent } from '@rollgate/shared-domain';

const AT = 1_700_000_000_000;
const policy: ApprovalPolicy = { enabled: true, quorum: 1, creatorMayApprove: false };
const plan = { hash: 'h', seed: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', groups: [{ groupId: 'g1', name: 'group-1', size: 2 }] };
const create = (rolloutId: string, name: string): RolloutCommand => ({
  type: 'create-rollout', rolloutId, name, targetFilterQuery: 'name==*', distributionSetId: 'ds', plan, approvalPolicy: policy, creatorPermissions: [], by: 'admin', at: AT,
});

/** Runs commands one after another and collects their events, as the planner's write path does. */
function run<C, S, E extends DomainEvent>(decider: Decider<C, S, E>, commands: C[]): E[] {
  const events: E[] = [];
  let state = decider.initialState;
  for (const command of commands) {
    const decided = decider.decide(command, state);
    state = decided.reduce(decider.evolve, state);
    events.push(...decided);
  }
  return events;
}

// Every path the planner drives: creation with approval, approve/deny, start, update, stop, retry, delete without actions.
const approval = (type: 'approve-rollout' | 'deny-rollout'): RolloutCommand => ({ type, approver: 'second', permissions: ['APPROVE_ROLLOUT'], planHash: 'h', remark: 'ok', at: AT });
const produced: DomainEvent[] = [
  ...run(rolloutDecider, [create('r1', 'one'), { type: 'complete-rollout-creation', at: AT }, approval('approve-rollout'), { type: 'start-rollout', startAt: AT + 60_000, by: 'op', at: AT }]),
  ...run(rolloutDecider, [create('r2', 'two'), { type: 'complete-rollout-creation', at: AT }, approval('deny-rollout'), { type: 'delete-rollout', by: 'op', at: AT }, { type: 'complete-rollout-deletion', at: AT }]),
  ...run(rolloutDecider, [{ ...create('r3', 'three'), approvalPolicy: { ...policy, enabled: false } } as RolloutCommand, { type: 'complete-rollout-creation', at: AT }, { type: 'start-rollout', by: 'op', at: AT }]),
  ...run(rolloutDecider, [
    create('r4', 'four'), { type: 'complete-rollout-creation', at: AT }, { type: 'update-rollout', name: 'four-b', description: 'renamed', by: 'op', at: AT },
    { type: 'stop-rollout', by: 'op', at: AT }, { type: 'complete-rollout-stop', at: AT },
  ]),
  // rollout-started is the group-scheduler's (its own contract); triggerNextGroup's rollout-group-triggered is the planner's.
  ...run(rolloutDecider, [
    { ...create('r5', 'five'), plan: { ...plan, groups: [...plan.groups, { groupId: 'g2', name: 'group-2', size: 1 }] }, approvalPolicy: { ...policy, enabled: false } } as RolloutCommand,
    { type: 'complete-rollout-creation', at: AT }, { type: 'start-rollout', by: 'op', at: AT }, { type: 'complete-rollout-start', at: AT }, { type: 'trigger-next-group', by: 'op', at: AT },
  ]).filter((e) => e.type !== 'rollout-started'),
  ...retried(),
  ...run(groupDecider, [
    {
      type: 'create-group', groupId: 'g1', rolloutId: 'r1', index: 0, name: 'group-1', at: AT,
      conditions: { success: { threshold: 80, mode: 'finished' }, successAction: 'NEXTGROUP', error: { kind: 'percentage', threshold: 20 }, errorAction: 'PAUSE', actionType: 'forced' },
    },
    { type: 'add-group-members', targetIds: ['d1', 'd2'], at: AT },
    { type: 'complete-group-creation', firstActionId: 1, at: AT },
  ] satisfies GroupCommand[]),
];

/** A FINISHED rollout retried: the scheduler's events (started, finished) are the given, only retry-requested is the planner's. */
function retried(): DomainEvent[] {
  const given = run(rolloutDecider, [
    { ...create('r6', 'six'), approvalPolicy: { ...policy, enabled: false } } as RolloutCommand, { type: 'complete-rollout-creation', at: AT }, { type: 'start-rollout', by: 'op', at: AT },
    { type: 'complete-rollout-start', at: AT }, { type: 'record-group-completed', groupId: 'g1', at: AT },
  ]);
  const state = given.reduce(rolloutDecider.evolve, rolloutDecider.initialState);
  return rolloutDecider.decide({ type: 'retry-rollout', newRolloutId: 'r7', failedTargets: 2, by: 'op', at: AT }, state);
}

describe('rollout events against their published contracts', () => {
  const ajv = new Ajv({ strict: false });

  it('publishes a contract for every event the planner’s rollout paths produce', () => {
    const contracts = new Set(ROLLOUT_EVENT_TYPES.map((c) => c.event));
    expect(produced.map((e) => e.type).filter((type) => !contracts.has(type))).toEqual([]);
    expect(ROLLOUT_EVENT_TYPES.every((c) => c.type === `io.rollgate.rollout.${c.event}.v1`)).toBe(true);
  });

  it('keeps the plan seed in rollout-created (the decider copies the plan summary as given)', () => {
    expect(produced.find((e) => e.type === 'rollout-created')?.data).toMatchObject({ plan: { seed: plan.seed } });
  });

  it.each(produced.map((event, i) => [`${event.type} #${i}`, event] as const))('%s matches its schema', (_name, event) => {
    const contract = ROLLOUT_EVENT_TYPES.find((c) => c.event === event.type);
    const validate = ajv.compile(contract!.schema);
    expect({ valid: validate(event.data), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  });
});
