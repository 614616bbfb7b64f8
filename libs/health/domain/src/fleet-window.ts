import { bucketMean, inWindow, restartsIn, type DeviceTelemetry } from './device-telemetry';
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
  values: Record<MetricName, number[]>;
  /** samples that carried each metric */
  metricSamples: Record<MetricName, number>;
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

export function summarizeWindow(devices: Iterable<DeviceTelemetry | undefined>, window: TimeWindow, filter: WindowFilter = {}): FleetWindow {
  const result: FleetWindow = { window, devices: 0, reportingDevices: 0, samples: 0, restarts: 0, values: emptyMetricRecord(() => []), metricSamples: emptyMetricRecord(() => 0) };
  for (const device of devices) {
    result.devices += 1;
    if (!device) continue;
    let reported = false;
    for (let i = device.buckets.length - 1; i >= 0; i--) {
      const b = device.buckets[i];
      if (b.start < window.from) break;
      if (!inWindow(b, window) || (filter.version !== undefined && b.version !== filter.version) || filter.exclude?.(b.start)) continue;
      reported = true;
      result.samples += b.samples;
      for (const metric of METRICS) {
        const m = bucketMean(b, metric);
        if (m) {
          result.values[metric].push(m.value);
          result.metricSamples[metric] += m.n;
        }
      }
    }
    if (reported) {
      result.reportingDevices += 1;
      result.restarts += restartsIn(device, window);
    }
  }
  return result;
}
