import fc from 'fast-check';
import type { GroupConditions } from '@rollgate/rollout-domain';
import { explicitCanaryBounds } from './canary-sizing';
import { planCanaryWaves } from './canary-waves.planner';
import { fleetArb, NOW } from './planning.fixtures';
import type { GroupKind } from './planning.types';
import { executionOf, gatesEnabled, planStrategy, strategyConditions, type StrategySettings } from './rollout-strategy';

const base = (): GroupConditions => ({ success: { threshold: 100, mode: 'finished' }, successAction: 'NEXTGROUP', error: { kind: 'percentage', threshold: 100 }, errorAction: 'PAUSE', actionType: 'forced' });

/** The seeds' example configuration (edge-fleet-rolling-strategies.md, "Wave Configuration"). */
const SEEDS: StrategySettings = {
  strategy: 'canary-waves',
  canary: { percentage: 3, minDevices: 1, maxDevices: 10, soakMinutes: 30, requireHumanApprovalAfter: true },
  waves: [
    { name: 'wave-1', percentage: 15, soakMinutes: 15, failureThresholdPercent: 5, autoRollback: true },
    { name: 'wave-2', percentage: 35, soakMinutes: 10, failureThresholdPercent: 5, autoRollback: true },
    { name: 'wave-3', percentage: 100, soakMinutes: 10, failureThresholdPercent: 3, autoRollback: true },
  ],
  maxParallel: 50, deployTimeoutMinutes: 10, offlinePolicy: 'skip_and_queue',
};
const CANARY_WAVES: GroupKind[] = ['canary', 'wave', 'wave', 'wave'];

describe('rollout strategy settings → group conditions and execution', () => {
  it('gives the seeds’ canary its gate and a pause for human approval, each wave its threshold and ROLLBACK, the last the completion gate', () => {
    expect(strategyConditions(SEEDS, CANARY_WAVES, base)).toEqual([
      { ...base(), successAction: 'PAUSE', healthGate: 'canary_gate' },
      { ...base(), error: { kind: 'percentage', threshold: 5 }, errorAction: 'ROLLBACK', healthGate: 'wave_gate' },
      { ...base(), error: { kind: 'percentage', threshold: 5 }, errorAction: 'ROLLBACK', healthGate: 'wave_gate' },
      { ...base(), error: { kind: 'percentage', threshold: 3 }, errorAction: 'ROLLBACK', healthGate: 'completion_gate' },
    ]);
  });

  it('records the seeds’ soaks, max_parallel_deploys, deploy timeout and offline policy as RolloutExecution', () => {
    expect(executionOf(SEEDS, CANARY_WAVES)).toEqual({
      strategy: 'canary-waves', soakMs: [1_800_000, 900_000, 600_000, 600_000], maxParallel: 50, deployTimeoutMs: 600_000, maxAttempts: 1,
      offlinePolicy: 'skip_and_queue', healthGates: {}, healthPreset: 'default', rollbackTriggers: { enabled: true }, pauseAfterCanary: true,
    });
  });

  it('maps pacing with a ramp, retries, a maintenance window, gate overrides and triggers as given', () => {
    const settings: StrategySettings = {
      strategy: 'groups', maximumPerMinute: 100, rateRamp: { baseRatePerMinute: 10, incrementFactor: 2, notifiedThreshold: 20 }, retries: 2,
      maintenanceWindow: { schedule: '0 0 2 * * ?', duration: '02:00:00', timezone: '+01:00' },
      healthGates: { enabled: true, preset: 'strict', wave_gate: { error_rate: 3 } }, rollbackTriggers: { enabled: false },
    };
    expect(executionOf(settings, ['group', 'group'])).toEqual({
      strategy: 'groups', soakMs: [], maxAttempts: 3, offlinePolicy: 'skip_and_queue', rate: { maximumPerMinute: 100, ramp: { baseRatePerMinute: 10, incrementFactor: 2, notifiedThreshold: 20 } },
      maintenanceWindow: { schedule: '0 0 2 * * ?', duration: '02:00:00', timezone: '+01:00' }, healthGates: { wave_gate: { error_rate: 3 } }, healthPreset: 'strict', rollbackTriggers: { enabled: false },
    });
    expect(strategyConditions(settings, ['group', 'group'], base).map((c) => c.healthGate)).toEqual(['wave_gate', 'completion_gate']);
  });

  it('leaves hawkBit bodies as hawkBit runs them: no gates, no triggers, default execution', () => {
    expect(gatesEnabled({})).toBe(false);
    expect(strategyConditions({}, ['group', 'group'], base)).toEqual([base(), base()]);
    expect(executionOf({}, ['group', 'group'])).toEqual({ strategy: 'groups', soakMs: [], maxAttempts: 1, offlinePolicy: 'skip_and_queue' });
  });

  it('rolls back failed rolling batches when asked, with min_ready_seconds as soak and the progress deadline as timeout', () => {
    const rolling: StrategySettings = { strategy: 'rolling', rolling: { maxUnavailable: '25%', minReadySeconds: 60, progressDeadlineSeconds: 300, rollbackOnFailure: true } };
    const fleet = Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, deviceType: 'gw', region: 'eu', createdAt: NOW - 1 }));
    const plan = planStrategy(fleet, rolling, { seed: 's', now: NOW, createdBefore: NOW });
    expect(plan.groups.map((g) => [g.kind, g.members.length])).toEqual([['batch', 5], ['batch', 5], ['batch', 5], ['batch', 5]]);
    const kinds = plan.groups.map((g) => g.kind);
    expect(strategyConditions(rolling, kinds, base).every((c) => c.errorAction === 'ROLLBACK' && c.healthGate === undefined)).toBe(true);
    expect(executionOf(rolling, kinds)).toMatchObject({ strategy: 'rolling', soakMs: [60_000, 60_000, 60_000, 60_000], deployTimeoutMs: 300_000 });
  });

  it('property: with gates on, only a canary waits for canary_gate, the last group for completion_gate, every other for wave_gate', () => {
    const kindsArb = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 6 })).map(([canary, waves]) => [...(canary ? ['canary' as const] : []), ...Array<GroupKind>(waves).fill('wave')]);
    fc.assert(fc.property(kindsArb, (kinds) => {
      const gates = strategyConditions({ ...SEEDS, waves: kinds.map((_, i) => ({ name: `w${i}`, percentage: 50 })) }, kinds, base).map((c) => c.healthGate);
      expect(gates).toHaveLength(kinds.length);
      expect(gates.at(-1)).toBe('completion_gate');
      gates.slice(0, -1).forEach((gate, i) => expect(gate).toBe(kinds[i] === 'canary' ? 'canary_gate' : 'wave_gate'));
    }));
  });
});

describe('the operator’s canary size (percentage, min_devices, max_devices)', () => {
  it('sizes the seeds’ 3 % canary of 1,000 devices at 30 capped to 10, and lifts a small one to min_devices', () => {
    expect(explicitCanaryBounds(1000, { percentage: 3, minDevices: 1, maxDevices: 10 })).toEqual({ target: 10, limit: 10 });
    expect(explicitCanaryBounds(100, { percentage: 1, minDevices: 4, maxDevices: 10 })).toEqual({ target: 4, limit: 10 });
    expect(explicitCanaryBounds(3, { percentage: 50, minDevices: 5, maxDevices: 10 })).toEqual({ target: 3, limit: 3 });
  });

  it('property: the planned canary stays within [min(min_devices, eligible), max_devices]', () => {
    const sizing = fc.record({ percentage: fc.integer({ min: 1, max: 100 }), minDevices: fc.integer({ min: 1, max: 8 }), extra: fc.integer({ min: 0, max: 20 }) });
    fc.assert(fc.property(fleetArb(200), sizing, (fleet, s) => {
      const maxDevices = s.minDevices + s.extra;
      const plan = planCanaryWaves(fleet, { seed: 'p', now: NOW, createdBefore: NOW, waves: [{ name: 'rest', percentage: 100 }], canarySizing: { percentage: s.percentage, minDevices: s.minDevices, maxDevices } });
      const canary = plan.groups.find((g) => g.kind === 'canary');
      const size = canary?.members.length ?? 0;
      expect(size).toBeLessThanOrEqual(maxDevices);
      const eligibleForCanary = plan.groups.reduce((n, g) => n + g.members.length, 0);
      if (canary) expect(size).toBeGreaterThanOrEqual(Math.min(s.minDevices, eligibleForCanary) > 0 ? 1 : 0);
    }));
  });
});
