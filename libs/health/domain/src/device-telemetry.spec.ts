import { TelemetryStore, DEFAULT_TELEMETRY_POLICY, UNKNOWN_VERSION, restartsIn } from './device-telemetry';
import { T0, MIN } from '../test/health.fixtures';

describe('telemetry intake: buckets, late and duplicate samples', () => {
  const sample = (at: number, extra: object = {}) => ({ controllerId: 'd1', at, errorRate: 0.1, ...extra });

  it('given an empty store, when a sample arrives, then it opens a bucket aligned to the bucket size', () => {
    const store = new TelemetryStore();
    expect(store.ingest(sample(T0 + 15_000, { latencyP95Ms: 80 }), T0 + MIN)).toBe('accepted');
    const [bucket] = store.device('d1')!.buckets;
    expect(bucket).toMatchObject({ start: T0, samples: 1, errSum: 0.1, errN: 1, latSum: 80, latN: 1, version: UNKNOWN_VERSION });
  });

  it('given a sample already folded in, when it is delivered again, then it is counted as duplicate and changes nothing', () => {
    const store = new TelemetryStore();
    store.ingest(sample(T0), T0);
    store.ingest(sample(T0 + 1000), T0 + 1000);
    expect(store.ingest(sample(T0), T0 + 2000)).toBe('duplicate');
    expect(store.device('d1')!.buckets[0].samples).toBe(2);
    expect(store.counts.duplicate).toBe(1);
  });

  it('given newer samples, when an older one arrives within the lateness, then it goes into its own (earlier) bucket', () => {
    const store = new TelemetryStore();
    store.ingest(sample(T0 + 3 * MIN), T0 + 3 * MIN);
    expect(store.ingest(sample(T0 + 30_000), T0 + 3 * MIN)).toBe('late-accepted');
    expect(store.device('d1')!.buckets.map((b) => b.start)).toEqual([T0, T0 + 3 * MIN]);
    expect(store.device('d1')!.lastAt).toBe(T0 + 3 * MIN);
  });

  it('given newer samples, when one older than the allowed lateness arrives, then it is dropped as too late', () => {
    const store = new TelemetryStore();
    store.ingest(sample(T0 + 30 * MIN), T0 + 30 * MIN);
    expect(store.ingest(sample(T0), T0 + 30 * MIN)).toBe('too-late');
    expect(store.device('d1')!.buckets).toHaveLength(1);
  });

  it('refuses samples from the future beyond the clock skew, and samples without a device', () => {
    const store = new TelemetryStore();
    expect(store.ingest(sample(T0 + DEFAULT_TELEMETRY_POLICY.maxClockSkewMs + 1), T0)).toBe('future');
    expect(store.ingest({ controllerId: '', at: T0 }, T0)).toBe('invalid');
    expect(store.devices.size).toBe(0);
  });

  it('keeps versions apart: a device that switches inside a bucket gets a second bucket for the same start', () => {
    const store = new TelemetryStore();
    store.ingest(sample(T0, { runningVersion: 'a:1' }), T0);
    store.ingest(sample(T0 + 10_000, { runningVersion: 'a:2' }), T0 + 10_000);
    store.ingest(sample(T0 + 20_000), T0 + 20_000);
    const device = store.device('d1')!;
    expect(device.buckets.map((b) => [b.version, b.samples])).toEqual([['a:1', 1], ['a:2', 2]]);
    expect(device.versionLog).toEqual([[T0, 'a:1'], [T0 + 10_000, 'a:2']]);
  });

  it('tracks since when the health endpoint is down and forgets it when it is up again', () => {
    const store = new TelemetryStore();
    store.ingest(sample(T0, { healthEndpoint: 'down' }), T0);
    store.ingest(sample(T0 + 30_000, { healthEndpoint: 'down' }), T0 + 30_000);
    expect(store.device('d1')!.downSince).toBe(T0);
    store.ingest(sample(T0 + 60_000, { healthEndpoint: 'up' }), T0 + 60_000);
    expect(store.device('d1')!.downSince).toBeUndefined();
  });

  it('logs restarts at their exact time and prunes what is older than the retention', () => {
    const store = new TelemetryStore({ ...DEFAULT_TELEMETRY_POLICY, retentionMs: 10 * MIN });
    store.ingest(sample(T0, { restarts: 2 }), T0);
    store.ingest(sample(T0 + 20 * MIN, { restarts: 1 }), T0 + 20 * MIN);
    expect(restartsIn(store.device('d1')!, { from: T0, to: T0 + 21 * MIN })).toBe(3);
    store.prune(T0 + 20 * MIN);
    expect(store.device('d1')!.buckets.map((b) => b.start)).toEqual([T0 + 20 * MIN]);
    expect(restartsIn(store.device('d1')!, { from: T0, to: T0 + 21 * MIN })).toBe(1);
  });

  it('compacts buckets older than 2 hours into 15-minute buckets per version, keeping every sum', () => {
    const Q = T0 - (T0 % (15 * MIN)) + 15 * MIN; // a quarter-hour boundary
    const store = new TelemetryStore();
    for (let m = 0; m < 180; m++) store.ingest(sample(Q + m * MIN, { latencyP95Ms: m, restarts: m === 7 ? 2 : 0, runningVersion: m < 20 ? 'a:1' : 'a:2' }), Q + m * MIN);
    const before = store.device('d1')!.buckets.reduce((sum, b) => sum + b.errSum, 0);
    store.prune(Q + 180 * MIN);
    const buckets = store.device('d1')!.buckets;
    const coarse = buckets.filter((b) => b.span === 15 * MIN);
    // 0-60 min is old: 0-15 (a:1), 15-30 (a:1 until 20, a:2 after), 30-45, 45-60; 60-180 stays fine
    expect(coarse.map((b) => [(b.start - Q) / MIN, b.version, b.samples])).toEqual([[0, 'a:1', 15], [15, 'a:1', 5], [15, 'a:2', 10], [30, 'a:2', 15], [45, 'a:2', 15]]);
    expect(buckets.filter((b) => b.span === MIN)).toHaveLength(120);
    expect(buckets.map((b) => b.start)).toEqual([...buckets.map((b) => b.start)].sort((a, b) => a - b));
    expect(buckets.reduce((sum, b) => sum + b.errSum, 0)).toBeCloseTo(before, 9);
    expect(coarse[0]).toMatchObject({ restarts: 2, latMax: 14, latSum: 105, latN: 15 });

    // a minute later only the bucket that aged joins its coarse bucket
    store.ingest(sample(Q + 180 * MIN, { runningVersion: 'a:2' }), Q + 181 * MIN);
    store.prune(Q + 181 * MIN);
    const after = store.device('d1')!.buckets;
    expect(after.filter((b) => b.span === 15 * MIN).map((b) => [(b.start - Q) / MIN, b.samples])).toEqual([[0, 15], [15, 5], [15, 10], [30, 15], [45, 15], [60, 1]]);
    expect(after.filter((b) => b.span === MIN)).toHaveLength(120);
  });
});
