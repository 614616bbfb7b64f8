import fc from 'fast-check';
import { BASE_PROFILE } from '../profiles/default-profiles';
import type { DeviceProfile } from '../profiles/device-profile';
import { cancelAccepted, cancelRejected, deploymentFeedback, planDeployment, type DeploymentPlan, type Instructions } from './deployment-plan';

const handling = fc.constantFrom('skip' as const, 'attempt' as const, 'forced' as const);
const instructions: fc.Arbitrary<Instructions> = fc.record(
  { download: handling, update: handling, maintenanceWindow: fc.constantFrom('available' as const, 'unavailable' as const) },
  { requiredKeys: ['download', 'update'] },
);
const probability = fc.double({ min: 0, max: 1, noNaN: true });
const profile: fc.Arbitrary<DeviceProfile> = fc.record({
  installSuccessProbability: probability,
  downloadFailureProbability: probability,
  interruptedDownloadProbability: probability,
  crashLoopProbability: probability,
  installSteps: fc.integer({ min: 1, max: 10 }),
  installMax: fc.integer({ min: 0, max: 10_000 }),
}).map(({ installMax, ...p }) => ({ ...BASE_PROFILE, ...p, installDurationMs: { min: 0, max: installMax } }));

describe('deployment plans', () => {
  it('follows the instructions: skip download, download only, and the maintenance window', () => {
    const random = () => ({ rng: 42 });
    expect(planDeployment({ download: 'forced', update: 'forced' }, BASE_PROFILE, random())).toMatchObject({ download: true, install: 'now' });
    expect(planDeployment({ download: 'forced', update: 'skip' }, BASE_PROFILE, random())).toMatchObject({ download: true, install: 'never', crashLoop: false });
    expect(planDeployment({ download: 'attempt', update: 'attempt', maintenanceWindow: 'unavailable' }, BASE_PROFILE, random())).toMatchObject({ download: true, install: 'window' });
    expect(planDeployment({ download: 'forced', update: 'forced', maintenanceWindow: 'available' }, BASE_PROFILE, random())).toMatchObject({ install: 'now' });
    expect(planDeployment({ download: 'skip', update: 'forced' }, BASE_PROFILE, random())).toMatchObject({ download: false, downloadFails: false });
  });

  it('is a function of the random state: same seed, same plan', () => {
    fc.assert(
      fc.property(instructions, profile, fc.integer(), (given, p, seed) => {
        expect(planDeployment(given, p, { rng: seed })).toEqual(planDeployment(given, p, { rng: seed }));
      }),
    );
  });

  it('honours certainties: probability 1 always happens, 0 never', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const sure = planDeployment({ download: 'forced', update: 'forced' }, { ...BASE_PROFILE, installSuccessProbability: 1, downloadFailureProbability: 0, interruptedDownloadProbability: 1, crashLoopProbability: 1 }, { rng: seed });
        expect(sure).toMatchObject({ installSucceeds: true, downloadFails: false, crashLoop: true });
        expect(sure.interruptAt).toBeGreaterThanOrEqual(0.1);
        expect(sure.interruptAt).toBeLessThan(0.9);
        const never = planDeployment({ download: 'forced', update: 'forced' }, { ...BASE_PROFILE, installSuccessProbability: 0, interruptedDownloadProbability: 0 }, { rng: seed });
        expect(never).toMatchObject({ installSucceeds: false, crashLoop: false });
        expect(never.interruptAt).toBeUndefined();
      }),
    );
  });

  it('lands near the configured success rate over many devices', () => {
    const plans = Array.from({ length: 5_000 }, (_, i) => planDeployment({ download: 'forced', update: 'forced' }, { ...BASE_PROFILE, installSuccessProbability: 0.7 }, { rng: i * 7919 }));
    const share = plans.filter((p) => p.installSucceeds).length / plans.length;
    expect(share).toBeGreaterThan(0.67);
    expect(share).toBeLessThan(0.73);
  });
});

describe('deployment feedback sequences', () => {
  const sequence = (plan: DeploymentPlan) => deploymentFeedback(plan, '2.0.0', 1024, 1);

  it('reports a forced update as download, downloaded, progress steps, closed+success', () => {
    const plan: DeploymentPlan = { download: true, downloadFails: false, install: 'now', installSucceeds: true, installMs: 100, installSteps: 3, crashLoop: false };
    expect(sequence(plan).map((s) => [s.execution, s.finished, s.progress])).toEqual([
      ['download', 'none', undefined],
      ['downloaded', 'none', undefined],
      ['proceeding', 'none', { cnt: 1, of: 3 }],
      ['proceeding', 'none', { cnt: 2, of: 3 }],
      ['proceeding', 'none', { cnt: 3, of: 3 }],
      ['closed', 'success', undefined],
    ]);
  });

  it('ends a download-only action at downloaded and a failed download at closed+failure', () => {
    const base: DeploymentPlan = { download: true, downloadFails: false, install: 'never', installSucceeds: true, installMs: 0, installSteps: 1, crashLoop: false };
    expect(sequence(base).map((s) => s.execution)).toEqual(['download', 'downloaded']);
    const failed = sequence({ ...base, install: 'now', downloadFails: true });
    expect(failed.map((s) => [s.execution, s.finished])).toEqual([['download', 'none'], ['closed', 'failure']]);
    expect(failed[1].details[0]).toMatch(/^Download failed/);
  });

  it('waits for the maintenance window with scheduled before installing', () => {
    const plan: DeploymentPlan = { download: true, downloadFails: false, install: 'window', installSucceeds: false, installMs: 0, installSteps: 1, crashLoop: false };
    expect(sequence(plan).map((s) => [s.execution, s.finished])).toEqual([['download', 'none'], ['downloaded', 'none'], ['scheduled', 'none'], ['proceeding', 'none'], ['closed', 'failure']]);
  });

  it('for every plan: at most one closing message, always last; progress counts up to its total', () => {
    fc.assert(
      fc.property(instructions, profile, fc.integer(), (given, p, seed) => {
        const plan = planDeployment(given, p, { rng: seed });
        const steps = sequence(plan);
        const closing = steps.filter((s) => s.execution === 'closed' || s.finished !== 'none');
        expect(closing.length).toBeLessThanOrEqual(1);
        if (closing.length === 1) expect(steps[steps.length - 1]).toBe(closing[0]);
        const progress = steps.flatMap((s) => (s.progress ? [s.progress] : []));
        progress.forEach((pr, i) => expect(pr).toEqual({ cnt: i + 1, of: plan.installSteps }));
        // Either the action closes, or it is a download-only action that ends downloaded.
        const last = steps[steps.length - 1];
        expect(last.execution === 'closed' || (plan.install === 'never' && last.execution === 'downloaded')).toBe(true);
        if (last.execution === 'closed' && last.finished === 'success' && plan.install !== 'never') expect(plan.installSucceeds).toBe(true);
        if (plan.downloadFails) expect(last).toMatchObject({ execution: 'closed', finished: 'failure' });
      }),
    );
  });

  it('answers a cancel with canceled or rejected', () => {
    expect(cancelAccepted()).toMatchObject({ execution: 'canceled', finished: 'success' });
    expect(cancelRejected('installing')).toEqual({ execution: 'rejected', finished: 'none', details: ['installing'] });
  });
});
