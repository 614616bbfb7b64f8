import { bucketMean, overlapsAny, type DeviceTelemetry } from './device-telemetry';
import { emptyMetricRecord } from './fleet-window';
import { METRICS, MINUTE_MS, type MetricName, type TimeWindow } from './health.types';
import { mean, percentiles, round6, stddev, trendOf, type Trend } from './stats';

/** A cohort: the devices of one rollout group, of one device type, running one version. */
export interface CohortKey {
  groupId: string;
  deviceType: string;
  version: string;
}

export function cohortId(key: CohortKey): string {
  return `${key.groupId}|${key.deviceType}|${key.version}`;
}

/** One metric's baseline over the per-device-bucket means of a cohort (nearest-rank percentiles). */
export interface MetricBaseline {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  stddev: number;
  trend: Trend;
  /** device-buckets summarised */
  buckets: number;
  /** samples that carried the metric */
  samples: number;
}

export interface CohortBaseline {
  cohort: CohortKey;
  window: TimeWindow;
  /** windows left out for every device of the cohort (maintenance, fleet-wide incidents) */
  excluded: TimeWindow[];
  /**
   * Windows left out for single devices (the incidents that concerned them, all on the log): the distinct
   * windows and how many devices had any. Per device they would not fit an event for a large cohort.
   */
  deviceIncidents?: { devices: number; windows: TimeWindow[] };
  devices: number;
  /** the fine bucket size; buckets older than the store's compaction age are coarser (their own span) */
  bucketMs: number;
  metrics: Partial<Record<MetricName, MetricBaseline>>;
}

export const BASELINE_LOOKBACK_MS = 24 * 60 * MINUTE_MS;

/**
 * The seeds' baseline protocol: the last 24 hours of normal operation before `at`, excluding marked
 * incident (or maintenance) windows; per metric mean, p50/p95/p99, standard deviation and trend, per
 * cohort. Only buckets of the cohort's version count (a device that already switched is not baseline).
 */
export function captureBaseline(
  cohort: CohortKey,
  devices: readonly (DeviceTelemetry | undefined)[],
  at: number,
  excluded: readonly TimeWindow[],
  bucketMs: number,
  excludedFor: (controllerId: string) => readonly TimeWindow[] = () => [],
): CohortBaseline {
  const window = { from: at - BASELINE_LOOKBACK_MS, to: at };
  const values = emptyMetricRecord<number[]>(() => []);
  const samples = emptyMetricRecord(() => 0);
  // per metric: bucket start → [sum, count] of device means, for the cohort's trend over time
  const series = emptyMetricRecord(() => new Map<number, [number, number]>());
  const incidentWindows = new Map<string, TimeWindow>();
  let devicesWithIncidents = 0;
  for (const device of devices) {
    const own = device ? excludedFor(device.controllerId) : [];
    if (own.length > 0) devicesWithIncidents += 1;
    for (const w of own) incidentWindows.set(`${w.from}|${w.to}`, w);
    for (const b of device?.buckets ?? []) {
      if (b.start < window.from || b.start >= window.to || b.version !== cohort.version || overlapsAny(b, excluded) || overlapsAny(b, own)) continue;
      for (const metric of METRICS) {
        const m = bucketMean(b, metric);
        if (!m) continue;
        values[metric].push(m.value);
        samples[metric] += m.n;
        const point = series[metric].get(b.start) ?? [0, 0];
        point[0] += m.value;
        point[1] += 1;
        series[metric].set(b.start, point);
      }
    }
  }
  const metrics: Partial<Record<MetricName, MetricBaseline>> = {};
  for (const metric of METRICS) {
    if (values[metric].length === 0) continue;
    metrics[metric] = summarize(values[metric], samples[metric], series[metric]);
  }
  const result: CohortBaseline = { cohort, window, excluded: [...excluded], devices: devices.length, bucketMs, metrics };
  if (devicesWithIncidents > 0) result.deviceIncidents = { devices: devicesWithIncidents, windows: [...incidentWindows.values()].sort((a, b) => a.from - b.from) };
  return result;
}

function summarize(values: number[], samples: number, series: Map<number, [number, number]>): MetricBaseline {
  const [p50, p95, p99] = percentiles(values, [50, 95, 99]) as number[];
  const times = [...series.keys()].sort((a, b) => a - b);
  const means = times.map((t) => {
    const [sum, n] = series.get(t) as [number, number];
    return sum / n;
  });
  return {
    mean: round6(mean(values)),
    p50: round6(p50),
    p95: round6(p95),
    p99: round6(p99),
    stddev: round6(stddev(values)),
    trend: trendOf(times, means),
    buckets: values.length,
    samples,
  };
}

/**
 * The baseline for devices drawn from several cohorts (a gate over every deployed device of one type spans
 * groups): bucket-weighted. The mean is exact; percentiles and stddev are weighted averages of the
 * cohorts' (an approximation, named in the evidence), since buckets are not kept once summarised.
 */
export function combineBaselines(baselines: readonly CohortBaseline[], metric: MetricName): (MetricBaseline & { cohorts: string[] }) | undefined {
  const parts = baselines.flatMap((b) => (b.metrics[metric] ? [{ id: cohortId(b.cohort), m: b.metrics[metric] as MetricBaseline }] : []));
  if (parts.length === 0) return undefined;
  const weight = parts.reduce((sum, p) => sum + p.m.buckets, 0);
  const avg = (pick: (m: MetricBaseline) => number) => round6(parts.reduce((sum, p) => sum + pick(p.m) * p.m.buckets, 0) / weight);
  const trends = new Set(parts.map((p) => p.m.trend));
  return {
    mean: avg((m) => m.mean),
    p50: avg((m) => m.p50),
    p95: avg((m) => m.p95),
    p99: avg((m) => m.p99),
    stddev: avg((m) => m.stddev),
    trend: trends.size === 1 ? parts[0].m.trend : trends.has('increasing') ? 'increasing' : 'stable',
    buckets: weight,
    samples: parts.reduce((sum, p) => sum + p.m.samples, 0),
    cohorts: parts.map((p) => p.id),
  };
}
