import Ajv from 'ajv';
import { ROLLOUT_EVENT_TYPES, SCHEDULING_EVENT_TYPES } from '@rollgate/contracts';
import { actionDecider, emptyCounters, groupDecider, rolloutDecider, type ActionCommand, type GroupCommand, type GroupConditions, type RolloutCommand } from '@rollgate/rollout-domain';
import type { Decider, DomainEvent } from '@rollgate/shared-domain';

const AT = 1_700_000_000_000;

/** Runs commands one after another and collects their events, as the scheduler's write path does. */
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

const conditions: GroupConditions = {
  success: { threshold: 50, mode: 'finished' }, successAction: 'NEXTGROUP', error: { kind: 'count', threshold: 1 }, errorAction: 'ROLLBACK', actionType: 'forced', healthGate: 'canary_gate',
};
const counters = (finished: number, error = 0) => ({ ...emptyCounters(4), scheduled: 4 - finished - error, finished, error });
const groupSetup: GroupCommand[] = [
  { type: 'create-group', groupId: 'g1', rolloutId: 'r1', index: 0, name: 'canary', conditions, at: AT },
  { type: 'add-group-members', targetIds: ['a', 'b', 'c', 'd'], at: AT },
  { type: 'complete-group-creation', firstActionId: 1, at: AT },
  { type: 'schedule-group', at: AT },
  { type: 'start-group', released: 2, at: AT },
  { type: 'release-group-actions', released: 4, at: AT },
];
const rolloutSetup: RolloutCommand[] = [
  {
    type: 'create-rollout', rolloutId: 'r1', name: 'r', targetFilterQuery: 'name==*', distributionSetId: 'ds',
    plan: { hash: 'h', seed: 'seed', groups: [{ groupId: 'g1', name: 'canary', size: 4 }, { groupId: 'g2', name: 'rest', size: 4 }] },
    approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: true }, creatorPermissions: [], by: 'admin', at: AT,
  },
  { type: 'complete-rollout-creation', at: AT },
  { type: 'start-rollout', by: 'admin', at: AT },
  { type: 'complete-rollout-start', at: AT },
];

// Every path the scheduler drives: soak, gate deferral, pass, fail, thresholds, cascade, shutdowns, rollback, timeout.
const produced: Array<{ aggregate: 'rollout' | 'action'; event: DomainEvent }> = [
  ...run(groupDecider, [
    ...groupSetup,
    { type: 'report-group-progress', counters: counters(2), soakMs: 1000, at: AT },
    { type: 'complete-group-soak', at: AT + 1000 },
    { type: 'record-gate-verdict', verdict: 'CAUTION', verdictId: 'v1', reason: 'trend', extendSoakMs: 1000, at: AT + 1000 },
    { type: 'complete-group-soak', counters: counters(4), at: AT + 2000 },
    { type: 'record-gate-verdict', verdict: 'PASS', verdictId: 'v2', counters: counters(4), at: AT + 2000 },
  ]),
  ...run(groupDecider, [...groupSetup, { type: 'report-group-progress', counters: counters(2), at: AT }, { type: 'record-gate-verdict', verdict: 'FAIL', verdictId: 'v3', reason: 'errors', at: AT }]),
  ...run(groupDecider, [...groupSetup, { type: 'report-group-progress', counters: counters(0, 2), at: AT }]),
  ...run(rolloutDecider, [
    ...rolloutSetup,
    { type: 'record-group-succeeded', groupId: 'g1', successAction: 'NEXTGROUP', at: AT },
    { type: 'record-group-completed', groupId: 'g1', at: AT },
    { type: 'record-group-failed', groupId: 'g2', errorAction: 'ROLLBACK', at: AT },
    { type: 'complete-rollout-stop', at: AT },
    { type: 'record-incident', incident: { incidentId: 'i', cause: 'threshold', groupId: 'g2', rollbackRollouts: [{ rolloutId: 'rb', distributionSetId: 'ds-old', devices: 3 }], devicesWithoutPrevious: 1 }, at: AT },
  ]),
  ...run(rolloutDecider, [...rolloutSetup, { type: 'halt-rollout', trigger: 'crash_loop', at: AT }, { type: 'request-rollback', scope: 'device', controllerIds: ['a'], cause: 'health:x', at: AT }]),
  ...run(rolloutDecider, [...rolloutSetup, { type: 'record-group-failed', groupId: 'g1', errorAction: 'STOP', at: AT }]),
  ...run(rolloutDecider, [
    { ...rolloutSetup[0], dynamicGroupTemplate: { conditions: { ...conditions, healthGate: undefined }, targetsPerGroup: 10, namePrefix: 'dyn' } } as RolloutCommand,
    ...rolloutSetup.slice(1),
    { type: 'add-dynamic-group', groupId: 'd1', name: 'dyn-1', size: 3, at: AT },
  ]),
  ...run(rolloutDecider, [...rolloutSetup, { type: 'record-group-succeeded', groupId: 'g1', successAction: 'NEXTGROUP', at: AT }, { type: 'record-group-completed', groupId: 'g1', at: AT }, { type: 'record-group-completed', groupId: 'g2', at: AT }]),
].map((event) => ({ aggregate: 'rollout' as const, event }));
produced.push(
  ...run(actionDecider, [
    { type: 'create-action', actionId: '1', targetId: 'a', distributionSetId: 'ds', progressTimeoutMs: 100, at: AT },
    { type: 'retrieve-action', at: AT },
    { type: 'time-out-action', at: AT + 100 },
  ] satisfies ActionCommand[]).slice(2).map((event) => ({ aggregate: 'action' as const, event })),
);

describe('scheduler events against their published contracts', () => {
  const ajv = new Ajv({ strict: false });
  const contracts = [...SCHEDULING_EVENT_TYPES, ...ROLLOUT_EVENT_TYPES];
  const contractOf = (aggregate: string, event: string) => contracts.find((c) => c.aggregate === aggregate && c.event === event);

  it('publishes a contract for every event the scheduler paths produce, and none twice', () => {
    expect(produced.filter((p) => !contractOf(p.aggregate, p.event.type)).map((p) => p.event.type)).toEqual([]);
    const planners = new Set(ROLLOUT_EVENT_TYPES.map((c) => c.type));
    expect(SCHEDULING_EVENT_TYPES.filter((c) => planners.has(c.type)).map((c) => c.type)).toEqual([]);
  });

  it.each(produced.map((p, i) => [`${p.event.type} #${i}`, p] as const))('%s matches its schema', (_name, p) => {
    const validate = ajv.compile(contractOf(p.aggregate, p.event.type)!.schema);
    expect({ valid: validate(JSON.parse(JSON.stringify(p.event.data))), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  });
});
