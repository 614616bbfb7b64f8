import fc from 'fast-check';
import { given } from '@rollgate/shared-domain';
import { applyActionTransition, emptyCounters, isErrorMet, isSuccessMet, type GroupConditions, type GroupCounters } from './group-conditions';
import { groupDecider } from './group.decider';
import type { GroupCommand, GroupEvent } from './group.types';
import { ACTION_STATUSES } from './action.types';

const T = 1_700_000_000_000;
const AT = T + 100;
const conditions: GroupConditions = {
  success: { threshold: 80, mode: 'finished' }, successAction: 'NEXTGROUP',
  error: { kind: 'percentage', threshold: 20 }, errorAction: 'STOP', actionType: 'forced',
};
const counters = (patch: Partial<GroupCounters>): GroupCounters => {
  const c = { ...emptyCounters(10), ...patch };
  c.scheduled = 10 - c.running - c.downloaded - c.finished - c.error - c.canceled;
  return c;
};

const created: GroupEvent = { type: 'group-created', data: { groupId: 'g1', rolloutId: 'r1', index: 0, name: 'canary', conditions, at: T } };
const members: GroupEvent = { type: 'group-members-added', data: { chunk: 0, targetIds: Array.from({ length: 10 }, (_, i) => `d${i}`), at: T } };
const ready: GroupEvent = { type: 'group-ready', data: { size: 10, firstActionId: 101, at: T + 1 } };
const scheduled: GroupEvent = { type: 'group-scheduled', data: { at: T + 2 } };
const started: GroupEvent = { type: 'group-started', data: { size: 10, at: T + 3 } };
const running = [created, members, ready, scheduled, started];
const gated = { ...conditions, healthGate: 'canary-gate' };
const gatedCreated: GroupEvent = { ...created, data: { ...created.data, conditions: gated } } as GroupEvent;
const c8 = counters({ finished: 8, running: 2 });
const histories: Record<string, GroupEvent[]> = {
  INITIAL: [],
  CREATING: [created, members],
  READY: [created, members, ready],
  SCHEDULED: [created, members, ready, scheduled],
  RUNNING: running,
  SOAKING: [...running, { type: 'group-soak-started', data: { until: AT, reason: 'success', counters: c8, at: T + 4 } }],
  WAITING_FOR_GATE: [gatedCreated, members, ready, scheduled, started, { type: 'group-gate-requested', data: { gate: 'canary-gate', counters: c8, at: T + 4 } }],
  FINISHED: [...running, { type: 'group-finished', data: { counters: counters({ finished: 10 }), at: T + 4 } }],
  ERROR: [...running, { type: 'group-error-condition-met', data: { errorAction: 'STOP', counters: counters({ error: 3 }), cause: 'threshold', at: T + 4 } }],
};

type Outcome = GroupEvent[] | string;
const table: Array<{ command: GroupCommand; outcomes: Record<string, Outcome>; otherwise: string }> = [
  { command: { type: 'create-group', groupId: 'g1', rolloutId: 'r1', index: 0, name: 'canary', conditions, at: T }, outcomes: { INITIAL: [created] }, otherwise: 'group_already_exists' },
  {
    command: { type: 'add-group-members', targetIds: ['d10', 'd11'], at: AT },
    outcomes: { CREATING: [{ type: 'group-members-added', data: { chunk: 1, targetIds: ['d10', 'd11'], at: AT } }] },
    otherwise: 'group_membership_closed',
  },
  { command: { type: 'complete-group-creation', firstActionId: 101, at: AT }, outcomes: { CREATING: [{ type: 'group-ready', data: { size: 10, firstActionId: 101, at: AT } }] }, otherwise: 'group_not_creating' },
  { command: { type: 'schedule-group', at: AT }, outcomes: { READY: [{ type: 'group-scheduled', data: { at: AT } }] }, otherwise: 'group_not_ready' },
  { command: { type: 'start-group', at: AT }, outcomes: { SCHEDULED: [{ type: 'group-started', data: { size: 10, at: AT } }] }, otherwise: 'group_not_scheduled' },
  {
    command: { type: 'start-group', released: 4, at: AT },
    outcomes: { SCHEDULED: [{ type: 'group-started', data: { size: 10, released: 4, at: AT } }] },
    otherwise: 'group_not_scheduled',
  },
  {
    command: { type: 'release-group-actions', released: 6, at: AT },
    outcomes: {
      // An unpaced group already has every action open: a release changes nothing.
      RUNNING: [], SOAKING: [], WAITING_FOR_GATE: [],
    },
    otherwise: 'group_not_running',
  },
  {
    command: { type: 'report-group-progress', counters: c8, at: AT },
    outcomes: {
      RUNNING: [{ type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: c8, at: AT } }],
      SOAKING: [], WAITING_FOR_GATE: [], FINISHED: [], ERROR: [],
    },
    otherwise: 'group_not_running',
  },
  {
    command: { type: 'complete-group-soak', at: AT },
    outcomes: {
      SOAKING: [
        { type: 'group-soak-completed', data: { at: AT } },
        { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: c8, at: AT } },
      ],
    },
    otherwise: 'group_not_soaking',
  },
  {
    command: { type: 'record-gate-verdict', verdict: 'PASS', verdictId: 'v1', at: AT },
    outcomes: {
      WAITING_FOR_GATE: [
        { type: 'group-gate-passed', data: { verdictId: 'v1', at: AT } },
        { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: c8, at: AT } },
      ],
    },
    otherwise: 'group_not_waiting_for_gate',
  },
];

describe('group decider: every command in every state', () => {
  const cases = table.flatMap((row) => Object.keys(histories).map((status) => [row.command.type, status, row] as const));
  it.each(cases)('%s in %s', (_type, status, row) => {
    const outcome = status in row.outcomes ? row.outcomes[status] : status === 'INITIAL' ? 'group_not_found' : row.otherwise;
    const spec = given(groupDecider, histories[status]).when(row.command);
    if (typeof outcome === 'string') expect(spec.thenThrows(outcome).code).toBe(outcome);
    else expect(spec.then(outcome)).toHaveLength(outcome.length);
  });

  it('reaches the state each fixture is named after', () => {
    for (const [status, history] of Object.entries(histories)) expect(given(groupDecider, history).state.status).toBe(status);
  });
});

describe('group decider: conditions', () => {
  const progress = (c: GroupCounters): GroupCommand => ({ type: 'report-group-progress', counters: c, at: AT });

  it('uses hawkBit\'s comparisons: success at exactly the threshold, error only above it', () => {
    given(groupDecider, running).when(progress(counters({ finished: 7, running: 3 }))).then([]);
    given(groupDecider, running).when(progress(counters({ error: 2, running: 8 }))).then([]);
    const c3 = counters({ error: 3, running: 7 });
    given(groupDecider, running).when(progress(c3)).then([{ type: 'group-error-condition-met', data: { errorAction: 'STOP', counters: c3, cause: 'threshold', at: AT } }]);
  });

  it('checks errors before success, and finishes when every action ended', () => {
    const c = counters({ finished: 8, error: 2 });
    given(groupDecider, running).when(progress(c)).then([
      { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: c, at: AT } },
      { type: 'group-finished', data: { counters: c, at: AT } },
    ]);
    const worse = counters({ finished: 7, error: 3 });
    given(groupDecider, running).when(progress(worse)).then([{ type: 'group-error-condition-met', data: { errorAction: 'STOP', counters: worse, cause: 'threshold', at: AT } }]);
  });

  it('takes an absolute error count', () => {
    const abs = [{ ...created, data: { ...created.data, conditions: { ...conditions, error: { kind: 'count', threshold: 1 } } } } as GroupEvent, members, ready, scheduled, started];
    given(groupDecider, abs).when(progress(counters({ error: 1, running: 9 }))).then([]);
    const two = counters({ error: 2, running: 8 });
    given(groupDecider, abs).when(progress(two)).then([{ type: 'group-error-condition-met', data: { errorAction: 'STOP', counters: two, cause: 'threshold', at: AT } }]);
  });

  it('counts DOWNLOADED for downloadonly and only verified devices in verified mode', () => {
    const dl = [{ ...created, data: { ...created.data, conditions: { ...conditions, actionType: 'downloadonly' } } } as GroupEvent, members, ready, scheduled, started];
    const c = counters({ downloaded: 8, running: 2 });
    given(groupDecider, dl).when(progress(c)).then([{ type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: c, at: AT } }]);
    const verified = [{ ...created, data: { ...created.data, conditions: { ...conditions, success: { threshold: 80, mode: 'verified' } } } } as GroupEvent, members, ready, scheduled, started];
    given(groupDecider, verified).when(progress({ ...c8, verified: 7 })).then([]);
    given(groupDecider, verified).when(progress({ ...c8, verified: 8 })).then([{ type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: { ...c8, verified: 8 }, at: AT } }]);
    // Every install ended but not verified yet: the group waits for the verifications instead of finishing.
    given(groupDecider, verified).when(progress(counters({ finished: 10 }))).then([]);
    const done = { ...counters({ finished: 10 }), verified: 10 };
    given(groupDecider, verified).when(progress(done)).then([
      { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: done, at: AT } },
      { type: 'group-finished', data: { counters: done, at: AT } },
    ]);
  });

  it('waits for the health gate and treats a failed gate as the error condition', () => {
    const gatedRun = [gatedCreated, members, ready, scheduled, started];
    given(groupDecider, gatedRun).when(progress(c8)).then([{ type: 'group-gate-requested', data: { gate: 'canary-gate', counters: c8, at: AT } }]);
    given(groupDecider, histories.WAITING_FOR_GATE).when({ type: 'record-gate-verdict', verdict: 'FAIL', verdictId: 'v2', reason: 'error rate', at: AT }).then([
      { type: 'group-gate-failed', data: { verdictId: 'v2', reason: 'error rate', at: AT } },
      { type: 'group-error-condition-met', data: { errorAction: 'STOP', counters: c8, cause: 'health-gate', at: AT } },
    ]);
    const done = counters({ finished: 10 });
    given(groupDecider, histories.WAITING_FOR_GATE).when({ type: 'record-gate-verdict', verdict: 'PASS', verdictId: 'v3', counters: done, at: AT }).then([
      { type: 'group-gate-passed', data: { verdictId: 'v3', at: AT } },
      { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: done, at: AT } },
      { type: 'group-finished', data: { counters: done, at: AT } },
    ]);
  });

  it('soaks before success counts, and a gate asked after the soak may extend it', () => {
    given(groupDecider, running).when({ ...progress(c8), soakMs: 60_000 } as GroupCommand).then([
      { type: 'group-soak-started', data: { until: AT + 60_000, reason: 'success', counters: c8, at: AT } },
    ]);
    given(groupDecider, histories.SOAKING).when({ type: 'complete-group-soak', at: AT - 1 }).thenThrows('soak_not_elapsed');
    // Errors still stop a soaking group; success and completion wait for the soak.
    const bad = counters({ finished: 7, error: 3 });
    given(groupDecider, histories.SOAKING).when(progress(bad)).then([{ type: 'group-error-condition-met', data: { errorAction: 'STOP', counters: bad, cause: 'threshold', at: AT } }]);
    given(groupDecider, histories.SOAKING).when(progress(counters({ finished: 10 }))).then([]);
    const gatedSoak = [gatedCreated, members, ready, scheduled, started, { type: 'group-soak-started', data: { until: AT, reason: 'success', counters: c8, at: T + 4 } }] as GroupEvent[];
    given(groupDecider, gatedSoak).when({ type: 'complete-group-soak', at: AT }).then([
      { type: 'group-soak-completed', data: { at: AT } },
      { type: 'group-gate-requested', data: { gate: 'canary-gate', counters: c8, at: AT } },
    ]);
    for (const verdict of ['CAUTION', 'INCONCLUSIVE'] as const) {
      given(groupDecider, histories.WAITING_FOR_GATE).when({ type: 'record-gate-verdict', verdict, verdictId: 'v9', reason: 'trend', extendSoakMs: 5_000, at: AT }).then([
        { type: 'group-gate-deferred', data: { verdictId: 'v9', verdict, reason: 'trend', at: AT } },
        { type: 'group-soak-started', data: { until: AT + 5_000, reason: verdict === 'CAUTION' ? 'gate-caution' : 'gate-inconclusive', counters: c8, at: AT } },
      ]);
    }
    given(groupDecider, histories.WAITING_FOR_GATE).when({ type: 'record-gate-verdict', verdict: 'CAUTION', verdictId: 'v9', at: AT }).thenThrows('invalid_soak_extension');
  });

  it('paces: starts with part of the group open and only ever releases more', () => {
    const paced = [created, members, ready, scheduled, { type: 'group-started', data: { size: 10, released: 4, at: T + 3 } }] as GroupEvent[];
    expect(given(groupDecider, paced).state).toMatchObject({ released: 4 });
    given(groupDecider, paced).when({ type: 'release-group-actions', released: 7, at: AT }).then([{ type: 'group-actions-released', data: { released: 7, at: AT } }]);
    given(groupDecider, paced).when({ type: 'release-group-actions', released: 3, at: AT }).then([]);
    given(groupDecider, paced).when({ type: 'release-group-actions', released: 11, at: AT }).thenThrows('invalid_release');
    given(groupDecider, histories.SCHEDULED).when({ type: 'start-group', released: 12, at: AT }).thenThrows('invalid_release');
    // Releasing everything is the same as an unpaced start.
    given(groupDecider, histories.SCHEDULED).when({ type: 'start-group', released: 10, at: AT }).then([{ type: 'group-started', data: { size: 10, at: AT } }]);
  });

  it('sizes a group from membership chunks read as counts (the scheduler does not load the ids)', () => {
    const counted = { type: 'group-members-added', data: { chunk: 0, targetIds: [], targetCount: 10, at: T } } as GroupEvent;
    expect(given(groupDecider, [created, counted, ready]).state).toMatchObject({ size: 10, status: 'READY' });
  });

  it('skip_and_queue: offline (queued) members do not block success or completion', () => {
    const c = { ...counters({ finished: 7 }), queued: 3 };
    given(groupDecider, running).when(progress(c)).then([
      { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: c, at: AT } },
      { type: 'group-finished', data: { counters: c, at: AT } },
    ]);
    // Without the queue the same counters are 70 % of the group: below the threshold, not finished.
    given(groupDecider, running).when(progress(counters({ finished: 7 }))).then([]);
    // A group whose members are all offline proves nothing.
    expect(isSuccessMet({ ...emptyCounters(10), queued: 10 }, conditions)).toBe(false);
  });

  it('lets an empty group succeed at once', () => {
    const empty = [created, { type: 'group-ready', data: { size: 0, firstActionId: 1, at: T } }, scheduled] as GroupEvent[];
    given(groupDecider, empty).when({ type: 'start-group', at: AT }).then([
      { type: 'group-started', data: { size: 0, at: AT } },
      { type: 'group-success-condition-met', data: { successAction: 'NEXTGROUP', counters: emptyCounters(0), at: AT } },
      { type: 'group-finished', data: { counters: emptyCounters(0), at: AT } },
    ]);
  });

  it('refuses counters that do not add up and invalid thresholds', () => {
    given(groupDecider, running).when(progress({ ...c8, total: 11 })).thenThrows('counters_mismatch');
    given(groupDecider).when({ type: 'create-group', groupId: 'g', rolloutId: 'r', index: 0, name: 'x', conditions: { ...conditions, success: { threshold: 101, mode: 'finished' } }, at: T }).thenThrows('invalid_success_threshold');
    given(groupDecider).when({ type: 'create-group', groupId: 'g', rolloutId: 'r', index: 0, name: 'x', conditions: { ...conditions, error: { kind: 'count', threshold: 1.5 } }, at: T }).thenThrows('invalid_error_threshold');
  });

  it('property: counters stay a partition of the group under any sequence of transitions, and match a recount', () => {
    const status = fc.constantFrom(...ACTION_STATUSES);
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.tuple(fc.nat(), status), { maxLength: 200 }), (size, moves) => {
      const statuses = Array.from({ length: size }, () => 'SCHEDULED' as (typeof ACTION_STATUSES)[number]);
      const c = emptyCounters(size);
      for (const [i, to] of moves) {
        const k = i % size;
        applyActionTransition(c, statuses[k], to);
        statuses[k] = to;
      }
      const recount = (s: string[]) => s.length;
      expect(c.finished).toBe(recount(statuses.filter((s) => s === 'FINISHED')));
      expect(c.error).toBe(recount(statuses.filter((s) => s === 'ERROR' || s === 'TIMED_OUT')));
      expect(c.scheduled + c.running + c.downloaded + c.finished + c.error + c.canceled).toBe(size);
    }));
  });

  it('property: success and error match the exact percentage rules', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 100 }), fc.nat(), fc.nat(), (total, threshold, f, e) => {
      const finished = total === 0 ? 0 : f % (total + 1);
      const error = total === 0 ? 0 : e % (total - finished + 1);
      const c = { ...emptyCounters(total), scheduled: total - finished - error, finished, error };
      expect(isSuccessMet(c, { success: { threshold, mode: 'finished' }, actionType: 'forced' })).toBe(total === 0 || finished / total >= threshold / 100 - 1e-12);
      expect(isErrorMet(c, { kind: 'percentage', threshold })).toBe(total > 0 && error / total > threshold / 100 + 1e-12);
    }));
  });
});
