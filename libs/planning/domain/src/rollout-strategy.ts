import type { ErrorAction, GroupConditions, HealthGateName, HealthPreset, MaintenanceWindowSpec, RateRamp, RolloutExecution, RolloutStrategy } from '@rollgate/rollout-domain';
import { planCanaryWaves } from './canary-waves.planner';
import type { CanarySizing } from './canary-sizing';
import type { Plan, PlanTarget, EligibilityOptions, GroupKind } from './planning.types';
import { planRollingBatches, type CountOrPercent } from './rolling-batches.planner';

/** The seeds' canary block (edge-fleet-rolling-strategies.md). */
export interface CanarySettings extends CanarySizing {
  soakMinutes?: number;
  requireHumanApprovalAfter?: boolean;
}

export interface WaveSettings {
  name: string;
  percentage: number;
  soakMinutes?: number;
  failureThresholdPercent?: number;
  autoRollback?: boolean;
}

export interface RollingSettings {
  maxUnavailable: CountOrPercent | string;
  minAvailable?: CountOrPercent | string;
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
  rollbackOnFailure?: boolean;
}

export interface HealthGateSettings {
  enabled?: boolean;
  preset?: HealthPreset;
  canary_gate?: Record<string, number | string | boolean>;
  wave_gate?: Record<string, number | string | boolean>;
  completion_gate?: Record<string, number | string | boolean>;
}

/** How a rollout is planned and run: Rollgate's extensions of hawkBit's body, already checked for shape. */
export interface StrategySettings {
  strategy?: RolloutStrategy;
  canary?: CanarySettings;
  waves?: readonly WaveSettings[];
  rolling?: RollingSettings;
  healthGates?: HealthGateSettings;
  rollbackTriggers?: { enabled: boolean; overrides?: Record<string, number> };
  maxParallel?: number;
  maximumPerMinute?: number;
  rateRamp?: RateRamp;
  deployTimeoutMinutes?: number;
  retries?: number;
  maintenanceWindow?: MaintenanceWindowSpec;
  offlinePolicy?: RolloutExecution['offlinePolicy'];
}

const MINUTE = 60_000;
const GATES: readonly HealthGateName[] = ['canary_gate', 'wave_gate', 'completion_gate'];

/** Health gates are on by default for canary-and-waves (the seeds' checklist), off for hawkBit's groups and rolling. */
export function gatesEnabled(settings: StrategySettings): boolean {
  return settings.healthGates?.enabled ?? (settings.strategy ?? 'groups') === 'canary-waves';
}

/** Plans canary-and-waves or rolling batches; hawkBit's split (explicit groups with their filters) stays with the caller. */
export function planStrategy(targets: readonly PlanTarget[], settings: StrategySettings, options: EligibilityOptions & { seed: string }): Plan {
  if (settings.strategy === 'canary-waves') {
    const { percentage, minDevices, maxDevices } = settings.canary ?? {};
    const sized = percentage !== undefined || minDevices !== undefined || maxDevices !== undefined;
    return planCanaryWaves(targets, { ...options, waves: settings.waves ?? [], canarySizing: sized ? { percentage, minDevices, maxDevices } : undefined });
  }
  if (settings.strategy === 'rolling' && settings.rolling) {
    const { maxUnavailable, minAvailable } = settings.rolling;
    return planRollingBatches(targets, { ...options, maxUnavailable: maxUnavailable as CountOrPercent, minAvailable: minAvailable as CountOrPercent | undefined });
  }
  throw new Error(`planStrategy plans canary-waves and rolling, not ${settings.strategy ?? 'groups'}`);
}

/**
 * Each planned group's conditions: the rollout's (`base(i)`) refined by the strategy. Waves take their own
 * failure threshold and, with auto_rollback, ROLLBACK as error action; rolling batches roll back when
 * rollback_on_failure. With gates on, the canary waits for `canary_gate`, other groups for `wave_gate`, and
 * the last group for `completion_gate` (its verdict closes the rollout).
 */
export function strategyConditions(settings: StrategySettings, kinds: readonly GroupKind[], base: (i: number) => GroupConditions): GroupConditions[] {
  const gates = gatesEnabled(settings);
  const waves = settings.waves ?? [];
  const firstWave = kinds.indexOf('wave');
  return kinds.map((kind, i) => {
    const conditions: GroupConditions = { ...base(i) };
    if (kind === 'wave' && firstWave >= 0) {
      const wave = waves[i - firstWave];
      if (wave?.failureThresholdPercent !== undefined) conditions.error = { kind: 'percentage', threshold: wave.failureThresholdPercent };
      if (wave?.autoRollback) conditions.errorAction = 'ROLLBACK' satisfies ErrorAction;
    }
    if (kind === 'batch' && settings.rolling?.rollbackOnFailure) conditions.errorAction = 'ROLLBACK';
    // require_human_approval_after: the canary's success pauses the rollout until an operator resumes it.
    if (kind === 'canary' && settings.canary?.requireHumanApprovalAfter) conditions.successAction = 'PAUSE';
    if (gates) conditions.healthGate = i === kinds.length - 1 ? 'completion_gate' : kind === 'canary' ? 'canary_gate' : 'wave_gate';
    return conditions;
  });
}

/** Soak after each planned group: the canary's and each wave's soak_minutes, rolling's min_ready_seconds. */
export function strategySoaks(settings: StrategySettings, kinds: readonly GroupKind[]): number[] {
  const waves = settings.waves ?? [];
  const firstWave = kinds.indexOf('wave');
  return kinds.map((kind, i) => {
    if (kind === 'canary') return Math.round((settings.canary?.soakMinutes ?? 0) * MINUTE);
    if (kind === 'wave') return Math.round((waves[i - firstWave]?.soakMinutes ?? 0) * MINUTE);
    if (kind === 'batch') return (settings.rolling?.minReadySeconds ?? 0) * 1000;
    return 0;
  });
}

/** `RolloutExecution` as rollout-created records it for the scheduler and health-evaluator (no undefined keys). */
export function executionOf(settings: StrategySettings, kinds: readonly GroupKind[]): RolloutExecution {
  const strategy = settings.strategy ?? 'groups';
  const soakMs = strategySoaks(settings, kinds);
  const timeoutMinutes = settings.deployTimeoutMinutes ?? (settings.rolling?.progressDeadlineSeconds !== undefined ? settings.rolling.progressDeadlineSeconds / 60 : undefined);
  const execution: RolloutExecution = {
    strategy,
    soakMs: soakMs.some((ms) => ms > 0) ? soakMs : [],
    maxAttempts: 1 + (settings.retries ?? 0),
    offlinePolicy: settings.offlinePolicy ?? 'skip_and_queue',
  };
  if (settings.maxParallel !== undefined) execution.maxParallel = settings.maxParallel;
  if (settings.maximumPerMinute !== undefined) {
    execution.rate = settings.rateRamp ? { maximumPerMinute: settings.maximumPerMinute, ramp: withoutUndefined(settings.rateRamp) } : { maximumPerMinute: settings.maximumPerMinute };
  }
  if (timeoutMinutes !== undefined) execution.deployTimeoutMs = Math.max(1, Math.round(timeoutMinutes * MINUTE));
  if (settings.maintenanceWindow) execution.maintenanceWindow = { ...settings.maintenanceWindow };
  if (gatesEnabled(settings)) {
    const overrides = Object.fromEntries(GATES.filter((gate) => settings.healthGates?.[gate] !== undefined).map((gate) => [gate, { ...settings.healthGates![gate] }]));
    execution.healthGates = overrides;
    execution.healthPreset = settings.healthGates?.preset ?? 'default';
  }
  const triggers = settings.rollbackTriggers ?? (strategy === 'canary-waves' ? { enabled: true } : undefined);
  if (triggers) execution.rollbackTriggers = withoutUndefined({ enabled: triggers.enabled, overrides: triggers.overrides });
  if (settings.canary?.requireHumanApprovalAfter !== undefined && kinds[0] === 'canary') execution.pauseAfterCanary = settings.canary.requireHumanApprovalAfter;
  return execution;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
