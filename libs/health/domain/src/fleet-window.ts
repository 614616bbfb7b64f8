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

function add(fleet: FleetWindow, metric: MetricName, value: number, samples: number, keep: boolean): void {
  if (keep) fleet.values[metric].push(value);
  fleet.sums[metric] += value;
  fleet.counts[metric] += 1;
  fleet.metricSamples[metric] += samples;
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
  // Locals rather than lookups: this loop runs once per device-bucket of the window.
  const wantErr = metrics.includes('errorRate');
  const wantLat = metrics.includes('latencyP95Ms');
  const wantMem = metrics.includes('memoryMb');
  const wantCpu = metrics.includes('cpuPct');
  const wantTemp = metrics.includes('temperatureC');
  const keepErr = keepValues.includes('errorRate');
  const keepLat = keepValues.includes('latencyP95Ms');
  const keepMem = keepValues.includes('memoryMb');
  const keepCpu = keepValues.includes('cpuPct');
  const keepTemp = keepValues.includes('temperatureC');
  const { values, sums, counts, metricSamples } = result;
  const { from, to } = window;
  const version = filter.version;
  const exclude = filter.exclude;
  let samples = 0;
  let errSum = 0, errCount = 0, errSamples = 0;
  let latSum = 0, latCount = 0, latSamples = 0;
  const latValues = values.latencyP95Ms;
  for (const device of devices) {
    result.devices += 1;
    if (!device) continue;
    let reported = false;
    const buckets = device.buckets;
    for (let i = buckets.length - 1; i >= 0; i--) {
      const b = buckets[i];
      if (b.start < from) break;
      if (b.start >= to || (version !== undefined && b.version !== version) || (exclude !== undefined && exclude(b.start))) continue;
      reported = true;
      samples += b.samples;
      if (wantErr && b.errN > 0) {
        const v = b.errSum / b.errN;
        if (keepErr) values.errorRate.push(v);
        errSum += v;
        errCount += 1;
        errSamples += b.errN;
      }
      if (wantLat && b.latN > 0) {
        const v = b.latSum / b.latN;
        if (keepLat) latValues.push(v);
        latSum += v;
        latCount += 1;
        latSamples += b.latN;
      }
      if (wantMem && b.memN > 0) add(result, 'memoryMb', b.memSum / b.memN, b.memN, keepMem);
      if (wantCpu && b.cpuN > 0) add(result, 'cpuPct', b.cpuSum / b.cpuN, b.cpuN, keepCpu);
      if (wantTemp && b.tempN > 0) add(result, 'temperatureC', b.tempSum / b.tempN, b.tempN, keepTemp);
    }
    if (reported) {
      result.reportingDevices += 1;
      if (device.restartLog.length > 0) result.restarts += restartsIn(device, window);
    }
  }
  result.samples = samples;
  sums.errorRate += errSum;
  counts.errorRate += errCount;
  metricSamples.errorRate += errSamples;
  sums.latencyP95Ms += latSum;
  counts.latencyP95Ms += latCount;
  metricSamples.latencyP95Ms += latSamples;
  return result;
}
