import fc from 'fast-check';
import { evolveAction, type ActionEvent, type ActionState } from '@rollgate/rollout-domain';
import { RolloutLogFixture } from '../test/rollout-log.fixture';
import { replayRollout } from './rollout-replay';

const DEVICES: Array<[number, string, string]> = [[100, 'd1', 'g0'], [101, 'd2', 'g0'], [102, 'd3', 'g1'], [103, 'd4', 'g1'], [104, 'd5', 'g1']];
const PATHS = [['RUNNING'], ['RUNNING', 'FINISHED'], ['RUNNING', 'ERROR'], ['DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'FINISHED'], []];

/** A run where every device of both groups follows one of PATHS, in a random interleaving. */
const runs = fc.record({
  paths: fc.array(fc.integer({ min: 0, max: PATHS.length - 1 }), { minLength: 5, maxLength: 5 }),
  order: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 30 }),
});

function build(paths: number[], order: number[]): { log: RolloutLogFixture; last: Map<number, string> } {
  const log = RolloutLogFixture.twoGroups().approveAndStart().append('rolloutgroup-g1', 'rollout', 'group-started', { size: 3 });
  const progress = new Map<number, number>();
  const last = new Map<number, string>();
  for (const d of order) {
    const [actionId, targetId, groupId] = DEVICES[d];
    const path = PATHS[paths[d]];
    const step = progress.get(d) ?? 0;
    if (step >= path.length) continue;
    progress.set(d, step + 1);
    if (step === 0) log.device(actionId, targetId, groupId, path[0]);
    else log.append(`action-${actionId}`, 'action', 'action-feedback-received', { channel: 'deployment', execution: 'proceeding', finished: 'none', details: [], from: path[step - 1], status: path[step] });
    last.set(actionId, path[step]);
  }
  return { log, last };
}

describe('replayRollout properties', () => {
  it('counts every member exactly once, and each device at the status it reported last', () => {
    fc.assert(
      fc.property(runs, ({ paths, order }) => {
        const { log, last } = build(paths, order);
        const { snapshot, devices } = replayRollout(log.events);
        for (const group of snapshot.groups) {
          expect(Object.values(group.totalTargetsPerStatus).reduce((a, b) => a + b, 0)).toBe(group.totalTargets);
        }
        for (const device of devices) expect(device.status).toBe(last.get(device.actionId!) ?? 'SCHEDULED');
      }),
    );
  });

  it('as of the instant of any event equals the replay of the log up to that event', () => {
    fc.assert(
      fc.property(runs, fc.nat(), ({ paths, order }, pick) => {
        const { log } = build(paths, order);
        const k = pick % log.events.length;
        const instant = new Date(log.events[k].recordedAt);
        expect(replayRollout(log.events, instant).snapshot).toEqual(replayRollout(log.events.slice(0, k + 1), instant).snapshot);
      }),
    );
  });
});

/** Every action event the decider knows, with the payload fields evolve reads. */
const actionEvents = fc.oneof(
  fc.constantFrom<ActionEvent['type']>('action-confirmed', 'action-confirmation-denied', 'action-retrieved', 'action-cancel-requested', 'action-canceled', 'action-cancel-rejected', 'action-timed-out')
    .map((type) => ({ type, data: { at: 5 } }) as unknown as ActionEvent),
  fc.constantFrom('RUNNING', 'DOWNLOAD', 'DOWNLOADED', 'FINISHED', 'ERROR', 'WARNING', 'CANCELED').map((status) => ({ type: 'action-feedback-received', data: { at: 5, status } }) as unknown as ActionEvent),
  fc.integer({ min: 2, max: 4 }).map((nextAttempt) => ({ type: 'action-attempt-failed', data: { at: 5, nextAttempt } }) as unknown as ActionEvent),
);

describe('an action\'s status from the ends of its stream (what live views read)', () => {
  it('equals the fold over the whole stream, except a denied confirmation last, which keeps the created status', () => {
    fc.assert(
      fc.property(fc.constantFrom('SCHEDULED', 'WAIT_FOR_CONFIRMATION'), fc.array(actionEvents, { maxLength: 12 }), (initial, rest) => {
        const created = { type: 'action-created', data: { at: 1, status: initial, actionId: '1', targetId: 't', distributionSetId: 'ds', actionType: 'forced', weight: 0, maxAttempts: 1 } } as unknown as ActionEvent;
        const all = [created, ...rest].reduce<ActionState>(evolveAction, { status: 'INITIAL' });
        const ends = (rest.length === 0 ? [created] : [created, rest[rest.length - 1]]).reduce<ActionState>(evolveAction, { status: 'INITIAL' });
        // A confirmation is only ever denied while the action waits for one, which is how it was created.
        const deniedLast = rest.length > 0 && rest[rest.length - 1].type === 'action-confirmation-denied';
        if (deniedLast) fc.pre(initial === 'WAIT_FOR_CONFIRMATION' && rest.slice(0, -1).every((e) => e.type === 'action-confirmation-denied'));
        expect(ends.status).toBe(all.status);
      }),
    );
  });
});
