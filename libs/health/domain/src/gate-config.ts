import type { HealthGateName, HealthPreset, RolloutExecution } from '@rollgate/rollout-domain';
import { MINUTE_MS } from './health.types';

export type CheckType = 'error_rate' | 'latency_p95' | 'memory_trend' | 'application_health' | 'crash_count' | 'device_health' | 'fleet_coverage';
export const CHECK_TYPES: readonly CheckType[] = ['error_rate', 'latency_p95', 'memory_trend', 'application_health', 'crash_count', 'device_health', 'fleet_coverage'];

/**
 * One check and its threshold, in the unit the seeds write it in:
 * error_rate: percentage points above baseline; latency_p95: percent above the baseline p95;
 * memory_trend: percent growth per 10 minutes (strictly less); application_health: 100 (all healthy);
 * crash_count: restarts allowed in the window; device_health and fleet_coverage: minimum percent.
 */
export interface CheckSpec {
  type: CheckType;
  threshold: number;
  windowMs: number;
}

/** The service presets (absolute limits, no baseline needed): max error rate 0..1 and max p95 latency. */
export interface PresetLimits {
  name: HealthPreset;
  maxErrorRate: number;
  maxLatencyMs: number;
}

export const PRESETS: Record<HealthPreset, PresetLimits> = {
  default: { name: 'default', maxErrorRate: 0.01, maxLatencyMs: 500 },
  strict: { name: 'strict', maxErrorRate: 0.001, maxLatencyMs: 200 },
  relaxed: { name: 'relaxed', maxErrorRate: 0.05, maxLatencyMs: 1000 },
};

/** The canary's three phases, offsets from each device's install (the seeds: 0-5, 5-30, 30-60 minutes). */
export interface CanaryPhasesSpec {
  immediateEndMs: number;
  shortTermEndMs: number;
  soakEndMs: number;
  /** samples each canary device must report in a phase before it says anything (seeds: 3 consecutive checks) */
  minSamplesPerDevice: number;
  thermalLimitC: number;
}

export const DEFAULT_CANARY_PHASES: CanaryPhasesSpec = {
  immediateEndMs: 5 * MINUTE_MS,
  shortTermEndMs: 30 * MINUTE_MS,
  soakEndMs: 60 * MINUTE_MS,
  minSamplesPerDevice: 3,
  thermalLimitC: 85,
};

export interface GateSpec {
  gate: HealthGateName;
  checks: CheckSpec[];
  /** fewer samples than this (per device type, per metric) gives INCONCLUSIVE, never PASS */
  minSamples: number;
  /** updated vs not-yet-updated of the same type: decides the verdict, or is only reported */
  comparison: 'required' | 'advisory';
  preset?: PresetLimits;
  canary?: CanaryPhasesSpec;
  /** override keys this evaluator does not know; reported in the evidence, never silently applied */
  ignoredOverrides: string[];
}

const m = MINUTE_MS;
/** The seeds' health_gates, verbatim. */
export const DEFAULT_GATES: Record<HealthGateName, CheckSpec[]> = {
  canary_gate: [
    { type: 'error_rate', threshold: 2, windowMs: 15 * m },
    { type: 'latency_p95', threshold: 20, windowMs: 15 * m },
    { type: 'memory_trend', threshold: 1, windowMs: 30 * m },
    { type: 'application_health', threshold: 100, windowMs: 15 * m },
    { type: 'crash_count', threshold: 0, windowMs: 30 * m },
  ],
  wave_gate: [
    { type: 'error_rate', threshold: 5, windowMs: 10 * m },
    { type: 'latency_p95', threshold: 30, windowMs: 10 * m },
    { type: 'device_health', threshold: 95, windowMs: 10 * m },
    { type: 'crash_count', threshold: 0, windowMs: 10 * m },
  ],
  completion_gate: [
    { type: 'error_rate', threshold: 2, windowMs: 30 * m },
    { type: 'fleet_coverage', threshold: 95, windowMs: 30 * m },
    { type: 'device_health', threshold: 98, windowMs: 30 * m },
  ],
};

export const DEFAULT_MIN_SAMPLES = 20;

/** Group conditions name gates either way (`canary-gate`, `canary_gate`). */
export function gateNameOf(name: string): HealthGateName | undefined {
  const normalized = name.trim().toLowerCase().replace(/-/g, '_');
  return normalized in DEFAULT_GATES ? (normalized as HealthGateName) : undefined;
}

/**
 * The gate as this rollout configured it: the seeds' checks, then the rollout's overrides
 * (`execution.healthGates[gate]`): `<check>: number` sets a threshold (and adds the check when the gate
 * lacks it), `<check>: false` drops it, `<check>_window_ms` or `<check>_window` ("15m", "30s", "1h") sets
 * its window, `min_samples`, `comparison` ("required"|"advisory"), and for the canary `immediate_ms`,
 * `short_term_ms`, `soak_ms`, `phase_min_samples`, `thermal_limit_c`.
 */
export function resolveGate(gate: HealthGateName, execution: Pick<RolloutExecution, 'healthGates' | 'healthPreset'> = {}): GateSpec {
  const overrides = execution.healthGates?.[gate] ?? {};
  const checks = DEFAULT_GATES[gate].map((c) => ({ ...c }));
  const spec: GateSpec = {
    gate,
    checks,
    minSamples: DEFAULT_MIN_SAMPLES,
    comparison: gate === 'canary_gate' ? 'required' : 'advisory',
    preset: execution.healthPreset ? PRESETS[execution.healthPreset] : undefined,
    canary: gate === 'canary_gate' ? { ...DEFAULT_CANARY_PHASES } : undefined,
    ignoredOverrides: [],
  };
  const defaultWindow = Math.max(...checks.map((c) => c.windowMs));
  for (const [key, value] of Object.entries(overrides).sort(([a], [b]) => a.localeCompare(b))) {
    if (!applyOverride(spec, key, value, defaultWindow)) spec.ignoredOverrides.push(key);
  }
  return spec;
}

function applyOverride(spec: GateSpec, key: string, value: number | string | boolean, defaultWindow: number): boolean {
  const check = (CHECK_TYPES as readonly string[]).includes(key) ? (key as CheckType) : undefined;
  if (check) return overrideThreshold(spec, check, value, defaultWindow);
  const windowOf = /^(.+)_window(_ms)?$/.exec(key);
  if (windowOf && (CHECK_TYPES as readonly string[]).includes(windowOf[1])) {
    const ms = typeof value === 'number' && windowOf[2] ? value : typeof value === 'string' && !windowOf[2] ? parseDuration(value) : undefined;
    const target = spec.checks.find((c) => c.type === windowOf[1]);
    if (ms === undefined || ms <= 0 || !target) return false;
    target.windowMs = ms;
    return true;
  }
  if (key === 'min_samples' && typeof value === 'number' && value >= 1) return set(() => (spec.minSamples = Math.floor(value)));
  if (key === 'comparison' && (value === 'required' || value === 'advisory')) return set(() => (spec.comparison = value));
  if (spec.canary && typeof value === 'number' && value > 0) {
    const canary = spec.canary;
    const fields: Record<string, () => void> = {
      immediate_ms: () => (canary.immediateEndMs = value),
      short_term_ms: () => (canary.shortTermEndMs = value),
      soak_ms: () => (canary.soakEndMs = value),
      phase_min_samples: () => (canary.minSamplesPerDevice = Math.floor(value)),
      thermal_limit_c: () => (canary.thermalLimitC = value),
    };
    if (fields[key]) return set(fields[key]);
  }
  return false;
}

function overrideThreshold(spec: GateSpec, type: CheckType, value: number | string | boolean, defaultWindow: number): boolean {
  const index = spec.checks.findIndex((c) => c.type === type);
  if (value === false) {
    if (index >= 0) spec.checks.splice(index, 1);
    return true;
  }
  const threshold = typeof value === 'number' ? value : value === true ? (index >= 0 ? spec.checks[index].threshold : defaultThreshold(type)) : Number.NaN;
  if (!Number.isFinite(threshold) || threshold < 0) return false;
  if (index >= 0) spec.checks[index].threshold = threshold;
  else spec.checks.push({ type, threshold, windowMs: defaultWindow });
  return true;
}

/** For a check added to a gate that lacks it: the strictest threshold any default gate uses. */
function defaultThreshold(type: CheckType): number {
  const all = Object.values(DEFAULT_GATES).flat().filter((c) => c.type === type).map((c) => c.threshold);
  if (all.length === 0) return 0;
  return type === 'device_health' || type === 'fleet_coverage' || type === 'application_health' ? Math.max(...all) : Math.min(...all);
}

function set(apply: () => unknown): true {
  apply();
  return true;
}

/** "90s", "15m", "1h", or plain milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: MINUTE_MS, h: 60 * MINUTE_MS }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
