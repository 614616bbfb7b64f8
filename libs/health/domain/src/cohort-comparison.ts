import type { DeviceTelemetry } from './device-telemetry';
import { summarizeWindow, windowMean, type FleetWindow } from './fleet-window';
import { cachedSummary } from './gate-checks';
import { byDeviceType, type GateDevice } from './gate-device';
import { combineVerdicts, type TimeWindow, type Verdict } from './health.types';
import { round6, selectPercentile } from './stats';

export interface ComparisonLimits {
  /** updated error rate may exceed the control's by this many percentage points */
  errorRatePoints: number;
  /** updated p95 latency may exceed the control's by this percent */
  latencyPercent: number;
  /** per side and metric; fewer gives INCONCLUSIVE */
  minSamples: number;
}

export interface MetricComparison {
  metric: 'errorRate' | 'latencyP95Ms';
  verdict: Verdict;
  reason: string;
  updated: { value?: number; samples: number; devices: number };
  control: { value?: number; samples: number; devices: number };
  threshold?: number;
}

export interface TypeComparison {
  deviceType: string;
  verdict: Verdict;
  metrics: MetricComparison[];
}

export interface CohortComparison {
  verdict: Verdict;
  window: TimeWindow;
  limits: ComparisonLimits;
  byDeviceType: TypeComparison[];
}

/**
 * Updated devices against not-yet-updated devices of the same device type over the same window: the
 * control sees the same weather (network, load, season), so a difference is the build's. Error rate is the
 * mean of per-device-bucket means; latency the p95 of them. Too few samples on either side is
 * INCONCLUSIVE, never PASS.
 */
export function compareCohorts(
  /** the updated devices, or the same already grouped by type */
  updated: readonly GateDevice[] | Map<string, GateDevice[]>,
  control: readonly GateDevice[],
  window: TimeWindow,
  limits: ComparisonLimits,
  targetVersion?: string,
  summaries?: Map<string, FleetWindow>,
): CohortComparison {
  const controlByType = byDeviceType(control);
  const updatedByType = updated instanceof Map ? updated : byDeviceType(updated);
  const parts: TypeComparison[] = [...updatedByType.entries()].map(([deviceType, devices]) => {
    const u = cachedSummary({ summaries }, `deployed|${deviceType}`, devices, window, targetVersion);
    const controlDevices = controlByType.get(deviceType) ?? [];
    const c = summarizeWindow(controlDevices.map((d) => withoutVersion(d, targetVersion)), window, {}, ['errorRate', 'latencyP95Ms'], ['latencyP95Ms']);
    const metrics = (['errorRate', 'latencyP95Ms'] as const).map((metric) =>
      judge(
        metric,
        { value: summary(metric, u), samples: u.metricSamples[metric], devices: u.reportingDevices },
        { value: summary(metric, c), samples: c.metricSamples[metric], devices: c.reportingDevices },
        limits,
      ),
    );
    return { deviceType, verdict: combineVerdicts(metrics.map((m) => m.verdict)), metrics };
  });
  return { verdict: combineVerdicts(parts.map((p) => p.verdict)), window, limits, byDeviceType: parts };
}

/** A control device's buckets of any version but the target's (one that already switched is not control). */
function withoutVersion(device: GateDevice, targetVersion: string | undefined): DeviceTelemetry | undefined {
  if (!device.telemetry || targetVersion === undefined) return device.telemetry;
  return { ...device.telemetry, buckets: device.telemetry.buckets.filter((b) => b.version !== targetVersion) };
}

function summary(metric: 'errorRate' | 'latencyP95Ms', fleet: FleetWindow): number | undefined {
  const value = metric === 'errorRate' ? windowMean(fleet, 'errorRate') : selectPercentile(fleet.values.latencyP95Ms, 95);
  return value === undefined ? undefined : round6(value);
}

type Side = MetricComparison['updated'];

function judge(metric: MetricComparison['metric'], updated: Side, control: Side, limits: ComparisonLimits): MetricComparison {
  const result: MetricComparison = { metric, verdict: 'INCONCLUSIVE', reason: 'too_few_samples', updated, control };
  if (updated.value === undefined || control.value === undefined) return result;
  result.threshold = round6(metric === 'errorRate' ? control.value + limits.errorRatePoints / 100 : control.value * (1 + limits.latencyPercent / 100));
  if (updated.samples < limits.minSamples || control.samples < limits.minSamples) return result;
  const pass = updated.value <= result.threshold;
  return { ...result, verdict: pass ? 'PASS' : 'FAIL', reason: pass ? 'updated_within_control' : 'updated_worse_than_control' };
}
