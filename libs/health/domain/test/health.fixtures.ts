import { seededRandom } from '@rollgate/shared-domain';
import { TelemetryStore, type CohortBaseline, type GateDevice, type HealthSample, captureBaseline } from '../src';

/** A minute-aligned instant, so buckets start where the specs expect. */
export const T0 = 1_700_000_040_000;
export const MIN = 60_000;
export const OLD = 'app:1.0';
export const NEW = 'app:2.0';

export type SampleShape = Omit<HealthSample, 'controllerId' | 'at'>;

/** Reports every `everyMs` from `from` (inclusive) to `to` (exclusive), shaped per instant. */
export function feed(store: TelemetryStore, controllerId: string, from: number, to: number, everyMs: number, shape: (at: number, i: number) => SampleShape): void {
  let i = 0;
  for (let at = from; at < to; at += everyMs) store.ingest({ controllerId, at, ...shape(at, i++) }, to);
}

/** Normal operation: small noise around 1% errors, 100 ms, 500 MB, 40% CPU, 50 °C. */
export function healthy(version: string, seed = 'h', deviceType?: string): (at: number, i: number) => SampleShape {
  const random = seededRandom(seed);
  const noise = (scale: number) => ((random.nextInt(1000) - 500) / 500) * scale;
  return () => ({ errorRate: 0.01 + noise(0.002), latencyP95Ms: 100 + noise(5), memoryMb: 500 + noise(1), cpuPct: 40 + noise(2), temperatureC: 50 + noise(0.5), restarts: 0, healthEndpoint: 'up', runningVersion: version, deviceType });
}

export function withErrors(base: (at: number, i: number) => SampleShape, errorRate: number): (at: number, i: number) => SampleShape {
  return (at, i) => ({ ...base(at, i), errorRate });
}

export interface Scenario {
  store: TelemetryStore;
  devices: GateDevice[];
  baselines: CohortBaseline[];
  startAt: number;
}

/**
 * A rollout of `perType` devices of types "cam" and "gw" in group g0 (canary, updated at startAt) and g1
 * (not updated): 2 hours of history on OLD before startAt, then `minutes` of telemetry after it, sampled every
 * 30 s. `after(type)` shapes the updated devices' samples.
 */
/**
 * `silent`: devices that report nothing after the install (offline). `before`: the history's shape per device
 * (healthy on OLD by default).
 */
export function scenario(options: {
  perType?: number; minutes: number; after?: (type: string, id: string) => (at: number, i: number) => SampleShape; everyMs?: number; silent?: readonly string[];
  before?: (type: string, id: string) => (at: number, i: number) => SampleShape;
}): Scenario {
  const { perType = 3, minutes, everyMs = 30_000 } = options;
  const store = new TelemetryStore();
  const startAt = T0 + 120 * MIN;
  const devices: GateDevice[] = [];
  for (const type of ['cam', 'gw']) {
    for (let i = 0; i < perType * 2; i++) {
      const id = `${type}-${i}`;
      const groupId = i < perType ? 'g0' : 'g1';
      feed(store, id, T0, startAt, everyMs, options.before?.(type, id) ?? healthy(OLD, id, type));
      const updated = groupId === 'g0';
      const after = updated ? (options.after?.(type, id) ?? healthy(NEW, `${id}-new`, type)) : healthy(OLD, `${id}-later`, type);
      if (!options.silent?.includes(id)) feed(store, id, startAt, startAt + minutes * MIN, everyMs, after);
      devices.push({ controllerId: id, groupId, deviceType: type, deployedAt: updated ? startAt : undefined, telemetry: store.device(id) });
    }
  }
  const baselines = ['g0', 'g1'].flatMap((groupId) =>
    ['cam', 'gw'].map((deviceType) =>
      captureBaseline({ groupId, deviceType, version: OLD }, devices.filter((d) => d.groupId === groupId && d.deviceType === deviceType).map((d) => d.telemetry), startAt, [], store.policy.bucketMs),
    ),
  );
  return { store, devices, baselines, startAt };
}
