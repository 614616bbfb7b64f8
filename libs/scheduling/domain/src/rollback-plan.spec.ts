import fc from 'fast-check';
import { emptyCounters, isComplete, isErrorMet, isSuccessMet } from '@rollgate/rollout-domain';
import { planRollback, ROLLBACK_CONDITIONS, type DeploymentView } from './rollback-plan';

const rollout = { rolloutId: 'r1', distributionSetId: 'ds-new' };
const view = (targetId: string, patch: Partial<DeploymentView>): DeploymentView => ({
  targetId, installedDs: 'ds-old', previousInstalledDs: null, lastRolloutId: 'r1', lastActionStatus: 'SCHEDULED', ...patch,
});

describe('rollback plan', () => {
  it('returns installed devices to their previous set and interrupted ones to what they still have', () => {
    const plan = planRollback(['a', 'b', 'c', 'd', 'e'], [
      view('a', { installedDs: 'ds-new', previousInstalledDs: 'ds-old', lastActionStatus: 'FINISHED' }),
      view('b', { installedDs: 'ds-old', lastActionStatus: 'ERROR' }),
      view('c', { lastActionStatus: 'SCHEDULED' }),
      view('d', { installedDs: 'ds-new', previousInstalledDs: null, lastActionStatus: 'FINISHED' }),
      view('e', { installedDs: 'ds-new', previousInstalledDs: 'ds-older', lastActionStatus: 'FINISHED' }),
    ], rollout, 50);
    expect(plan).toEqual({
      rollouts: [{ distributionSetId: 'ds-old', batches: [['a', 'b']] }, { distributionSetId: 'ds-older', batches: [['e']] }],
      withoutPrevious: ['d'],
      unaffected: 1,
    });
  });

  it('counts members without any action as unaffected', () => {
    expect(planRollback(['x'], [], rollout)).toEqual({ rollouts: [], withoutPrevious: [], unaffected: 1 });
  });

  it('property: batches of at most maxParallel, every member accounted for exactly once, deterministic', () => {
    const status = fc.constantFrom('SCHEDULED', 'RUNNING', 'FINISHED', 'ERROR', 'CANCELED');
    const ds = fc.constantFrom('ds-new', 'ds-old', 'ds-older', null);
    fc.assert(fc.property(fc.array(fc.tuple(ds, ds, status), { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), (rows, maxParallel) => {
      const members = rows.map((_, i) => `t${i}`);
      const views = rows.map(([installedDs, previousInstalledDs, lastActionStatus], i) => view(`t${i}`, { installedDs, previousInstalledDs, lastActionStatus }));
      const plan = planRollback(members, views, rollout, maxParallel);
      const planned = plan.rollouts.flatMap((r) => r.batches.flat());
      expect(plan.rollouts.every((r) => r.batches.every((b) => b.length >= 1 && b.length <= maxParallel))).toBe(true);
      expect(plan.rollouts.every((r) => r.distributionSetId !== 'ds-new')).toBe(true);
      expect(planned.length + plan.withoutPrevious.length + plan.unaffected).toBe(members.length);
      expect(new Set(planned).size).toBe(planned.length);
      expect(planRollback([...members].reverse(), [...views].reverse(), rollout, maxParallel)).toEqual(plan);
    }));
  });
});

describe('rollback batch conditions', () => {
  const batch = (finished: number, error: number, total = 10) => ({ ...emptyCounters(total), scheduled: total - finished - error, finished, error });

  it('moves on when most devices are back, pauses when more than a fifth fail', () => {
    expect(isSuccessMet(batch(8, 0), ROLLBACK_CONDITIONS)).toBe(true);
    expect(isErrorMet(batch(8, 2), ROLLBACK_CONDITIONS.error)).toBe(false);
    expect(isErrorMet(batch(6, 3), ROLLBACK_CONDITIONS.error)).toBe(true);
  });

  it('never leaves a finished batch between the two conditions, whatever its outcome', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 200 }), (total, rawErrors) => {
      const error = Math.min(rawErrors, total);
      const counters = batch(total - error, error, total);
      expect(isComplete(counters, 'forced')).toBe(true);
      expect(isSuccessMet(counters, ROLLBACK_CONDITIONS) || isErrorMet(counters, ROLLBACK_CONDITIONS.error)).toBe(true);
    }));
  });
});
