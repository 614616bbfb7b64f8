import { restartsIn, type DeviceTelemetry } from './device-telemetry';
import { METRICS, type MetricName, type TimeWindow } from './health.types';

/**
 * What a set of devices reported in one window, in one pass: per metric the per-device-bucket means (the
 * unit that baselines and gates both summarise, so the two compare like with like) and the sample counts.
 */
export interface FleetWindow {
  window: TimeWindow;
  devices: number;
  reportingDevices: number;
  samples: number;
  restarts: number;
  /** per-device-bucket means, kept only for the metrics asked to keep (percentiles need them) */
  values: Record<MetricName, number[]>;
  /** sum and count of the per-device-bucket means, for every summarised metric (means need no values) */
  sums: Record<MetricName, number>;
  counts: Record<MetricName, number>;
  /** samples that carried each metric */
  metricSamples: Record<MetricName, number>;
}

/** Mean of a metric's per-device-bucket means; undefined when none. */
export function windowMean(fleet: FleetWindow, metric: MetricName): number | undefined {
  return fleet.counts[metric] > 0 ? fleet.sums[metric] / fleet.counts[metric] : undefined;
}

export interface WindowFilter {
  /** only buckets of this running version (the cohort's version); all versions when absent */
  version?: string;
  /** drop buckets that satisfy this (incident windows) */
  exclude?: (bucketStart: number) => boolean;
}

export function emptyMetricRecord<T>(make: () => T): Record<MetricName, T> {
  return { errorRate: make(), latencyP95Ms: make(), memoryMb: make(), cpuPct: make(), temperatureC: make() };
}

/**
 * One pass over the devices' buckets in the window. Hot for large gates (100,000 devices × 10 buckets), so
 * the metric means are read inline rather than through bucketMean, and only the metrics asked for are kept.
 */
export function summarizeWindow(
  devices: Iterable<DeviceTelemetry | undefined>,
  window: TimeWindow,
  filter: WindowFilter = {},
  metrics: readonly MetricName[] = METRICS,
  keepValues: readonly MetricName[] = metrics,
): FleetWindow {
  const result: FleetWindow = {
    window, devices: 0, reportingDevices: 0, samples: 0, restarts: 0,
    values: emptyMetricRecord(() => []), sums: emptyMetricRecord(() => 0), counts: emptyMetricRecord(() => 0), metricSamples: emptyMetricRecord(() => 0),
  };
  const want = { errorRate: metrics.includes('errorRate'), latencyP95Ms: metrics.includes('latencyP95Ms'), memoryMb: metrics.includes('memoryMb'), cpuPct: metrics.includes('cpuPct'), temperatureC: metrics.includes('temperatureC') };
  const keep = { errorRate: keepValues.includes('errorRate'), latencyP95Ms: keepValues.includes('latencyP95Ms'), memoryMb: keepValues.includes('memoryMb'), cpuPct: keepValues.includes('cpuPct'), temperatureC: keepValues.includes('temperatureC') };
  const { values, sums, counts, metricSamples } = result;
  for (const device of devices) {
    result.devices += 1;
    if (!device) continue;
    let reported = false;
    const buckets = device.buckets;
    for (let i = buckets.length - 1; i >= 0; i--) {
      const b = buckets[i];
      if (b.start < window.from) break;
      if (b.start >= window.to || (filter.version !== undefined && b.version !== filter.version) || filter.exclude?.(b.start)) continue;
      reported = true;
      result.samples += b.samples;
      if (want.errorRate && b.errN > 0) {
        const v = b.errSum / b.errN;
        if (keep.errorRate) values.errorRate.push(v);
        sums.errorRate += v;
        counts.errorRate += 1;
        metricSamples.errorRate += b.errN;
      }
      if (want.latencyP95Ms && b.latN > 0) {
        const v = b.latSum / b.latN;
        if (keep.latencyP95Ms) values.latencyP95Ms.push(v);
        sums.latencyP95Ms += v;
        counts.latencyP95Ms += 1;
        metricSamples.latencyP95Ms += b.latN;
      }
      if (want.memoryMb && b.memN > 0) {
        const v = b.memSum / b.memN;
        if (keep.memoryMb) values.memoryMb.push(v);
        sums.memoryMb += v;
        counts.memoryMb += 1;
        metricSamples.memoryMb += b.memN;
      }
      if (want.cpuPct && b.cpuN > 0) {
        const v = b.cpuSum / b.cpuN;
        if (keep.cpuPct) values.cpuPct.push(v);
        sums.cpuPct += v;
        counts.cpuPct += 1;
        metricSamples.cpuPct += b.cpuN;
      }
      if (want.temperatureC && b.tempN > 0) {
        const v = b.tempSum / b.tempN;
        if (keep.temperatureC) values.temperatureC.push(v);
        sums.temperatureC += v;
        counts.temperatureC += 1;
        metricSamples.temperatureC += b.tempN;
      }
    }
    if (reported) {
      result.reportingDevices += 1;
      if (device.restartLog.length > 0) result.restarts += restartsIn(device, window);
    }
  }
  return result;
}
