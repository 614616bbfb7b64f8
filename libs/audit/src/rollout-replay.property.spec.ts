import fc from 'fast-check';
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
