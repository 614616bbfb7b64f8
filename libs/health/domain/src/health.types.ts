/**
 * One device health sample as the evaluator's rules see it (the telemetry contract minus the tenant, which
 * selects the evaluator's per-tenant state). Every metric is optional: a device reports what it measures.
 */
export interface HealthSample {
  controllerId: string;
  /** when the device measured it, epoch ms */
  at: number;
  /** failed share of requests/operations over the sample interval, 0..1 */
  errorRate?: number;
  latencyP95Ms?: number;
  memoryMb?: number;
  cpuPct?: number;
  /** restarts since the previous sample */
  restarts?: number;
  temperatureC?: number;
  /** distribution set `name:version` actually running */
  runningVersion?: string;
  healthEndpoint?: 'up' | 'down';
  deviceType?: string;
}

/** A half-open time interval [from, to) in epoch ms. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** The metrics that have baselines and gate checks. */
export type MetricName = 'errorRate' | 'latencyP95Ms' | 'memoryMb' | 'cpuPct' | 'temperatureC';
export const METRICS: readonly MetricName[] = ['errorRate', 'latencyP95Ms', 'memoryMb', 'cpuPct', 'temperatureC'];

/**
 * PASS proceeds; FAIL applies the error action; CAUTION (a degradation trend, or a soak not yet over) and
 * INCONCLUSIVE (too few samples, no baseline) make the scheduler extend the soak and ask again.
 */
export type Verdict = 'PASS' | 'FAIL' | 'CAUTION' | 'INCONCLUSIVE';

/** Combines verdicts: any FAIL fails; then any INCONCLUSIVE; then any CAUTION; PASS only when all pass. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('FAIL')) return 'FAIL';
  if (verdicts.includes('INCONCLUSIVE')) return 'INCONCLUSIVE';
  if (verdicts.includes('CAUTION')) return 'CAUTION';
  return verdicts.length === 0 ? 'INCONCLUSIVE' : 'PASS';
}

export const MINUTE_MS = 60_000;
