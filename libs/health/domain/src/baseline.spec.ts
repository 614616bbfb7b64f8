import { captureBaseline, combineBaselines, cohortId, BASELINE_LOOKBACK_MS } from './baseline';
import { TelemetryStore } from './device-telemetry';
import { feed, MIN, T0 } from '../test/health.fixtures';

describe('baselines: last 24 h per cohort, incident windows excluded', () => {
  const cohort = { groupId: 'g0', deviceType: 'cam', version: 'app:1' };
  const at = T0 + 10 * MIN;

  it('summarises per-device-bucket means: mean, p50, p95, p99, stddev, counts', () => {
    const store = new TelemetryStore();
    // one sample per minute, error rates 0.01 .. 0.10
    feed(store, 'd1', T0, at, MIN, (_at, i) => ({ errorRate: (i + 1) / 100, runningVersion: 'app:1' }));
    const baseline = captureBaseline(cohort, [store.device('d1')], at, [], MIN);
    expect(baseline.window).toEqual({ from: at - BASELINE_LOOKBACK_MS, to: at });
    expect(baseline.metrics.errorRate).toEqual({ mean: 0.055, p50: 0.05, p95: 0.1, p99: 0.1, stddev: 0.028723, trend: 'increasing', buckets: 10, samples: 10 });
    expect(baseline.metrics.latencyP95Ms).toBeUndefined();
  });

  it('leaves out buckets overlapping a marked incident, buckets of other versions, and anything older than 24 h', () => {
    const store = new TelemetryStore({ ...new TelemetryStore().policy, retentionMs: 48 * 3600_000 });
    feed(store, 'd1', at - 25 * 3600_000, at - 24 * 3600_000 - MIN, MIN, () => ({ errorRate: 0.9, runningVersion: 'app:1' }));
    feed(store, 'd1', T0, T0 + 5 * MIN, MIN, () => ({ errorRate: 0.01, runningVersion: 'app:1' }));
    feed(store, 'd1', T0 + 5 * MIN, T0 + 8 * MIN, MIN, () => ({ errorRate: 0.5, runningVersion: 'app:1' }));
    feed(store, 'd1', T0 + 8 * MIN, at, MIN, () => ({ errorRate: 0.7, runningVersion: 'app:0' }));
    const baseline = captureBaseline(cohort, [store.device('d1')], at, [{ from: T0 + 5 * MIN, to: T0 + 8 * MIN }], MIN);
    expect(baseline.metrics.errorRate).toMatchObject({ mean: 0.01, buckets: 5, trend: 'stable' });
    expect(baseline.excluded).toEqual([{ from: T0 + 5 * MIN, to: T0 + 8 * MIN }]);
  });

  it('leaves out a single device\'s incident only for that device', () => {
    const store = new TelemetryStore();
    feed(store, 'd1', T0, at, MIN, (_at, i) => ({ errorRate: i < 5 ? 0.01 : 0.5, runningVersion: 'app:1' }));
    feed(store, 'd2', T0, at, MIN, () => ({ errorRate: 0.03, runningVersion: 'app:1' }));
    const incident = { from: T0 + 5 * MIN, to: at };
    const baseline = captureBaseline(cohort, [store.device('d1'), store.device('d2')], at, [], MIN, (id) => (id === 'd1' ? [incident] : []));
    expect(baseline.metrics.errorRate).toMatchObject({ buckets: 15, mean: 0.023333 });
    expect(baseline.deviceIncidents).toEqual({ devices: 1, windows: [incident] });
  });

  it('combines cohorts bucket-weighted and names them', () => {
    const store = new TelemetryStore();
    feed(store, 'a', T0, T0 + 3 * MIN, MIN, () => ({ errorRate: 0.01, runningVersion: 'app:1' }));
    feed(store, 'b', T0, T0 + 1 * MIN, MIN, () => ({ errorRate: 0.05, runningVersion: 'app:1' }));
    const a = captureBaseline(cohort, [store.device('a')], at, [], MIN);
    const b = captureBaseline({ ...cohort, groupId: 'g1' }, [store.device('b')], at, [], MIN);
    expect(combineBaselines([a, b], 'errorRate')).toMatchObject({ mean: 0.02, buckets: 4, cohorts: [cohortId(cohort), 'g1|cam|app:1'] });
    expect(combineBaselines([a, b], 'memoryMb')).toBeUndefined();
  });
});
