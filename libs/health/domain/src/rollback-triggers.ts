import type { RolloutExecution } from '@rollgate/rollout-domain';
import { combineBaselines, type CohortBaseline } from './baseline';
import { bucketMean, bucketsIn, restartsIn } from './device-telemetry';
import { summarizeWindow, windowMean } from './fleet-window';
import { byDeviceType, type GateDevice } from './gate-device';
import { MINUTE_MS, type TimeWindow } from './health.types';
import { round6, selectPercentile, slope } from './stats';

export type RollbackAction = 'rollback_device' | 'rollback_wave' | 'rollback_all' | 'rollback_affected' | 'halt_and_assess';
export type TriggerName = 'crash_loop' | 'health_endpoint_down' | 'wave_failure_rate' | 'error_rate_spike' | 'latency_spike' | 'memory_leak' | 'gradual_degradation' | 'thermal_escalation';
export type TriggerKind = 'immediate' | 'threshold' | 'trend';
export type TriggerScope = 'single_device' | 'current_wave' | 'all_deployed' | 'affected_devices';

/** The seeds' rollback_triggers; every number can be overridden per rollout (`rollbackTriggers.overrides`). */
export interface TriggerThresholds {
  crash_loop_restarts: number;
  crash_loop_window_ms: number;
  health_down_ms: number;
  wave_failure_percent: number;
  error_rate_spike_points: number;
  error_rate_spike_window_ms: number;
  latency_spike_factor: number;
  latency_spike_window_ms: number;
  memory_leak_percent: number;
  memory_leak_window_ms: number;
  degradation_checks: number;
  degradation_window_ms: number;
  /** how much the error rate must have risen over those checks, in points: a rising run of noise is not a trend */
  degradation_min_rise_points: number;
  thermal_limit_c: number;
  thermal_window_ms: number;
  thermal_horizon_ms: number;
  min_samples: number;
}

export const DEFAULT_TRIGGER_THRESHOLDS: TriggerThresholds = {
  crash_loop_restarts: 3,
  crash_loop_window_ms: 5 * MINUTE_MS,
  health_down_ms: 2 * MINUTE_MS,
  wave_failure_percent: 20,
  error_rate_spike_points: 10,
  error_rate_spike_window_ms: 5 * MINUTE_MS,
  latency_spike_factor: 2,
  latency_spike_window_ms: 5 * MINUTE_MS,
  memory_leak_percent: 5,
  memory_leak_window_ms: 30 * MINUTE_MS,
  degradation_checks: 3,
  degradation_window_ms: 5 * MINUTE_MS,
  degradation_min_rise_points: 0.5,
  thermal_limit_c: 85,
  thermal_window_ms: 30 * MINUTE_MS,
  thermal_horizon_ms: 30 * MINUTE_MS,
  // Lower than a gate's 20: a trigger must be able to fire on a small canary within its 5-minute window
  // (2 devices at the seeds' 30 s check interval give 20 samples, 1 a minute give 10).
  min_samples: 10,
};

export const TRIGGER_ACTIONS: Record<TriggerName, { kind: TriggerKind; scope: TriggerScope; action: RollbackAction }> = {
  crash_loop: { kind: 'immediate', scope: 'single_device', action: 'rollback_device' },
  health_endpoint_down: { kind: 'immediate', scope: 'single_device', action: 'rollback_device' },
  wave_failure_rate: { kind: 'immediate', scope: 'current_wave', action: 'rollback_wave' },
  error_rate_spike: { kind: 'threshold', scope: 'all_deployed', action: 'rollback_all' },
  latency_spike: { kind: 'threshold', scope: 'current_wave', action: 'halt_and_assess' },
  memory_leak: { kind: 'threshold', scope: 'affected_devices', action: 'rollback_affected' },
  gradual_degradation: { kind: 'trend', scope: 'all_deployed', action: 'halt_and_assess' },
  thermal_escalation: { kind: 'trend', scope: 'affected_devices', action: 'halt_and_assess' },
};

export interface RollbackTrigger {
  trigger: TriggerName;
  kind: TriggerKind;
  scope: TriggerScope;
  action: RollbackAction;
  groupId?: string;
  /**
   * The devices to act on for single_device and affected_devices scopes (at most MAX_IDS_PER_TRIGGER per
   * trigger: more are split over several). Empty for current_wave and all_deployed: the group or the rollout
   * is the scope (the scheduler then takes every member), and 100,000 ids would not fit in one event.
   */
  controllerIds: string[];
  /** once fired, a key never fires again in this rollout */
  keys: string[];
  evidence: Record<string, unknown>;
}

/** What the trigger evaluation remembers between checks (rebuilt from the health stream after a restart). */
export interface TriggerMemory {
  fired: string[];
  /** the all-deployed error rate at each of the last checks that had enough samples, oldest first */
  errorRateChecks: Array<{ at: number; value: number }>;
}

export const MAX_IDS_PER_TRIGGER = 5_000;
/** How many device ids evidence lists for a wide trigger (the count is always there). */
const EVIDENCE_IDS = 100;

export const EMPTY_TRIGGER_MEMORY: TriggerMemory = { fired: [], errorRateChecks: [] };

export interface WaveStatus {
  groupId: string;
  size: number;
  failed: number;
  started: boolean;
}

export interface TriggerInput {
  at: number;
  deployed: readonly GateDevice[];
  waves: readonly WaveStatus[];
  /** the latest started group: the latency spike's scope */
  currentGroupId?: string;
  baselines: readonly CohortBaseline[];
  targetVersion?: string;
  execution: Pick<RolloutExecution, 'rollbackTriggers'>;
}

export function resolveTriggerThresholds(execution: Pick<RolloutExecution, 'rollbackTriggers'>): { thresholds: TriggerThresholds; ignored: string[] } {
  const thresholds = { ...DEFAULT_TRIGGER_THRESHOLDS };
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(execution.rollbackTriggers?.overrides ?? {})) {
    if (key in thresholds && Number.isFinite(value) && value >= 0) thresholds[key as keyof TriggerThresholds] = value;
    else ignored.push(key);
  }
  return { thresholds, ignored };
}

/**
 * The seeds' automatic rollback triggers, checked over the current telemetry. Returns the triggers that
 * fire now (each key at most once per rollout) and the memory for the next check. Triggers are on unless the
 * rollout turned them off (`rollbackTriggers.enabled: false`).
 */
export function evaluateTriggers(input: TriggerInput, memory: TriggerMemory): { triggers: RollbackTrigger[]; memory: TriggerMemory } {
  if (input.execution.rollbackTriggers?.enabled === false) return { triggers: [], memory };
  const { thresholds: t, ignored } = resolveTriggerThresholds(input.execution);
  const fired = new Set(memory.fired);
  const found: RollbackTrigger[] = [
    ...crashLoops(input, t),
    ...healthEndpointsDown(input, t),
    ...waveFailures(input, t),
    ...errorRateSpikes(input, t),
    ...latencySpikes(input, t),
    ...memoryLeaks(input, t),
    ...thermalEscalations(input, t),
  ];
  const degradation = gradualDegradation(input, t, memory);
  if (degradation.trigger) found.push(degradation.trigger);
  const triggers: RollbackTrigger[] = [];
  for (const trigger of found) {
    const fresh = trigger.keys.filter((k) => !fired.has(k));
    if (fresh.length === 0) continue;
    fresh.forEach((k) => fired.add(k));
    const evidence: Record<string, unknown> = { ...trigger.evidence, ignoredOverrides: ignored.length > 0 ? ignored : undefined };
    if (trigger.scope !== 'affected_devices') {
      triggers.push({ ...trigger, keys: fresh, evidence });
      continue;
    }
    const ids = trigger.controllerIds.filter((id) => fresh.includes(`${trigger.trigger}:${id}`));
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_TRIGGER) {
      const part = ids.slice(i, i + MAX_IDS_PER_TRIGGER);
      const inPart = new Set(part);
      // Each event carries the per-device figures of its own devices only (an event has a size limit).
      const perDevice = Array.isArray(evidence.devices) ? { devices: (evidence.devices as Array<{ controllerId: string }>).filter((d) => inPart.has(d.controllerId)) } : {};
      triggers.push({ ...trigger, controllerIds: part, keys: part.map((id) => `${trigger.trigger}:${id}`), evidence: { ...evidence, ...perDevice } });
    }
  }
  return { triggers, memory: { fired: [...fired].sort(), errorRateChecks: degradation.checks } };
}

function make(trigger: TriggerName, controllerIds: string[], keys: string[], evidence: Record<string, unknown>, groupId?: string): RollbackTrigger {
  const { kind, scope, action } = TRIGGER_ACTIONS[trigger];
  if (scope === 'single_device' || scope === 'affected_devices') return { trigger, kind, scope, action, groupId, controllerIds, keys, evidence };
  // A wide scope names its group or the whole rollout; the evidence keeps the count and a sample of the ids.
  const wide = { ...evidence, devices: controllerIds.length, someControllerIds: controllerIds.slice(0, EVIDENCE_IDS) };
  return { trigger, kind, scope, action, groupId, controllerIds: [], keys, evidence: wide };
}

function crashLoops(input: TriggerInput, t: TriggerThresholds): RollbackTrigger[] {
  const window = { from: input.at - t.crash_loop_window_ms, to: input.at + 1 };
  return input.deployed.flatMap((d) => {
    const restarts = d.telemetry ? restartsIn(d.telemetry, window) : 0;
    if (restarts <= t.crash_loop_restarts) return [];
    return [make('crash_loop', [d.controllerId], [`crash_loop:${d.controllerId}`], { window, restarts, threshold: t.crash_loop_restarts, rule: 'restarts > threshold in window' }, d.groupId)];
  });
}

function healthEndpointsDown(input: TriggerInput, t: TriggerThresholds): RollbackTrigger[] {
  return input.deployed.flatMap((d) => {
    const since = d.telemetry?.healthEndpoint === 'down' ? d.telemetry.downSince : undefined;
    if (since === undefined) return [];
    const downForMs = (d.telemetry?.lastAt ?? since) - since;
    if (downForMs <= t.health_down_ms) return [];
    return [make('health_endpoint_down', [d.controllerId], [`health_endpoint_down:${d.controllerId}`], { downSince: since, lastSampleAt: d.telemetry?.lastAt, downForMs, threshold: t.health_down_ms, rule: 'endpoint reported down continuously for longer than threshold' }, d.groupId)];
  });
}

function waveFailures(input: TriggerInput, t: TriggerThresholds): RollbackTrigger[] {
  return input.waves.flatMap((w) => {
    if (!w.started || w.size === 0 || w.failed * 100 <= t.wave_failure_percent * w.size) return [];
    const failedIds = input.deployed.filter((d) => d.groupId === w.groupId && d.failed).map((d) => d.controllerId);
    return [make('wave_failure_rate', failedIds, [`wave_failure_rate:${w.groupId}`], { failed: w.failed, size: w.size, percent: round6((w.failed * 100) / w.size), threshold: t.wave_failure_percent, rule: 'failed > threshold % of wave' }, w.groupId)];
  });
}

function typeBaseline(input: TriggerInput, deviceType: string, devices: readonly GateDevice[], metric: 'errorRate' | 'latencyP95Ms') {
  const groups = new Set(devices.map((d) => d.groupId));
  return combineBaselines(input.baselines.filter((b) => b.cohort.deviceType === deviceType && groups.has(b.cohort.groupId) && b.cohort.version !== input.targetVersion), metric);
}

function errorRateSpikes(input: TriggerInput, t: TriggerThresholds): RollbackTrigger[] {
  const window = { from: input.at - t.error_rate_spike_window_ms, to: input.at + 1 };
  const spikes: Array<Record<string, unknown>> = [];
  for (const [deviceType, devices] of byDeviceType(input.deployed)) {
    const fleet = summarizeWindow(devices.map((d) => d.telemetry), window, { version: input.targetVersion });
    const baseline = typeBaseline(input, deviceType, devices, 'errorRate');
    if (!baseline || fleet.metricSamples.errorRate < t.min_samples) continue;
    const value = round6(windowMean(fleet, 'errorRate') ?? 0);
    const threshold = round6(baseline.mean + t.error_rate_spike_points / 100);
    if (value > threshold) spikes.push({ deviceType, value, threshold, baselineMean: baseline.mean, baselineCohorts: baseline.cohorts, samples: fleet.metricSamples.errorRate, devices: fleet.reportingDevices });
  }
  if (spikes.length === 0) return [];
  return [make('error_rate_spike', input.deployed.map((d) => d.controllerId), ['error_rate_spike'], { window, rule: `error rate > baseline mean + ${t.error_rate_spike_points} points`, byDeviceType: spikes })];
}

function latencySpikes(input: TriggerInput, t: TriggerThresholds): RollbackTrigger[] {
  if (input.currentGroupId === undefined) return [];
  const wave = input.deployed.filter((d) => d.groupId === input.currentGroupId);
  const window = { from: input.at - t.latency_spike_window_ms, to: input.at + 1 };
  const spikes: Array<Record<string, unknown>> = [];
  for (const [deviceType, devices] of byDeviceType(wave)) {
    const fleet = summarizeWindow(devices.map((d) => d.telemetry), window, { version: input.targetVersion });
    const baseline = typeBaseline(input, deviceType, devices, 'latencyP95Ms');
    if (!baseline || fleet.metricSamples.latencyP95Ms < t.min_samples) continue;
    const value = round6(selectPercentile(fleet.values.latencyP95Ms, 95) as number);
    const threshold = round6(baseline.p95 * t.latency_spike_factor);
    if (value > threshold) spikes.push({ deviceType, value, threshold, baselineP95: baseline.p95, baselineCohorts: baseline.cohorts, samples: fleet.metricSamples.latencyP95Ms });
  }
  if (spikes.length === 0) return [];
  return [make('latency_spike', wave.map((d) => d.controllerId), [`latency_spike:${input.currentGroupId}`], { window, rule: `p95 > baseline p95 * ${t.latency_spike_factor}`, byDeviceType: spikes }, input.currentGroupId)];
}

function memoryLeaks(input: TriggerInput, t: TriggerThresholds): RollbackTrigger[] {
  const window: TimeWindow = { from: input.at - t.memory_leak_window_ms, to: input.at + 1 };
  const leaking: Array<{ controllerId: string; growth: number; spanMs: number }> = [];
  for (const d of input.deployed) {
    const trend = memoryTrendOf(d, window, input.targetVersion);
    // "over 30 minutes": a short burst of growth right after install is not yet a leak.
    if (!trend || trend.spanMs < t.memory_leak_window_ms / 2) continue;
    if (trend.growth > t.memory_leak_percent) leaking.push({ controllerId: d.controllerId, growth: round6(trend.growth), spanMs: trend.spanMs });
  }
  if (leaking.length === 0) return [];
  const ids = leaking.map((l) => l.controllerId);
  return [make('memory_leak', ids, ids.map((id) => `memory_leak:${id}`), { window, threshold: t.memory_leak_percent, rule: 'memory growth > threshold % per 10 min, measured over at least half the window', devices: leaking })];
}

/** One device's memory growth (% per 10 min, least squares) and the time its memory buckets span, in one walk. */
function memoryTrendOf(d: GateDevice, window: TimeWindow, version: string | undefined): { growth: number; spanMs: number } | undefined {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const b of bucketsIn(d.telemetry, window)) {
    if (b.memN === 0 || (version !== undefined && b.version !== version)) continue;
    xs.push(b.start);
    ys.push(b.memSum / b.memN);
  }
  if (xs.length < 3) return undefined;
  const level = ys.reduce((sum, y) => sum + y, 0) / ys.length;
  const growth = level <= 0 ? 0 : (slope(xs, ys) * 600_000 * 100) / level;
  return { growth, spanMs: xs[xs.length - 1] - xs[0] };
}

function thermalEscalations(input: TriggerInput, t: TriggerThresholds): RollbackTrigger[] {
  const window = { from: input.at - t.thermal_window_ms, to: input.at + 1 };
  const hot: Array<{ controllerId: string; current: number; slopePerMinute: number; projected: number }> = [];
  for (const d of input.deployed) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const b of bucketsIn(d.telemetry, window)) {
      const m = bucketMean(b, 'temperatureC');
      if (m) {
        xs.push(b.start);
        ys.push(m.value);
      }
    }
    // A slope over seconds extrapolated to half an hour is noise times a hundred: the trend must span at least
    // half the window (as memory_leak does) before it may project anything.
    if (xs.length < 3 || xs[xs.length - 1] - xs[0] < t.thermal_window_ms / 2) continue;
    const perMs = slope(xs, ys);
    const current = ys[ys.length - 1];
    const projected = current + perMs * t.thermal_horizon_ms;
    if (perMs > 0 && projected >= t.thermal_limit_c) hot.push({ controllerId: d.controllerId, current: round6(current), slopePerMinute: round6(perMs * MINUTE_MS), projected: round6(projected) });
  }
  if (hot.length === 0) return [];
  const ids = hot.map((h) => h.controllerId);
  return [make('thermal_escalation', ids, ids.map((id) => `thermal_escalation:${id}`), { window, limitC: t.thermal_limit_c, horizonMs: t.thermal_horizon_ms, rule: 'temperature rising and projected to reach the limit within the horizon', devices: hot })];
}

function gradualDegradation(input: TriggerInput, t: TriggerThresholds, memory: TriggerMemory): { trigger?: RollbackTrigger; checks: TriggerMemory['errorRateChecks'] } {
  const window = { from: input.at - t.degradation_window_ms, to: input.at + 1 };
  const fleet = summarizeWindow(input.deployed.map((d) => d.telemetry), window, { version: input.targetVersion });
  if (fleet.metricSamples.errorRate < t.min_samples) return { checks: memory.errorRateChecks };
  const checks = [...memory.errorRateChecks, { at: input.at, value: round6(windowMean(fleet, 'errorRate') ?? 0) }].slice(-(t.degradation_checks + 1));
  const rising = checks.length === t.degradation_checks + 1 && checks.every((c, i) => i === 0 || c.value > checks[i - 1].value);
  const rise = checks.length > 0 ? checks[checks.length - 1].value - checks[0].value : 0;
  if (!rising || rise * 100 < t.degradation_min_rise_points) return { checks };
  const rule = `error rate increased at ${t.degradation_checks} consecutive checks, by ${t.degradation_min_rise_points} points or more`;
  const trigger = make('gradual_degradation', input.deployed.map((d) => d.controllerId), ['gradual_degradation'], { checks, rule, riseOverChecks: round6(rise), window });
  return { trigger, checks };
}
