import { readHealthConfig } from './config';

describe('readHealthConfig', () => {
  it('has the seeds\' 30 s check interval, 1-minute buckets and a 24 h telemetry replay by default', () => {
    expect(readHealthConfig({})).toEqual({ config: { evaluationIntervalMs: 30_000, bucketMs: 60_000, telemetryLookbackMs: 24 * 3600_000, catchUpTimeoutMs: 10_000 }, problems: [] });
    expect(readHealthConfig({ HEALTH_EVALUATION_INTERVAL_MS: '500', HEALTH_BUCKET_MS: '' }).config.evaluationIntervalMs).toBe(500);
  });

  it('names every bad variable', () => {
    expect(readHealthConfig({ HEALTH_EVALUATION_INTERVAL_MS: 'soon', HEALTH_BUCKET_MS: '10' }).problems).toEqual([
      { variable: 'HEALTH_EVALUATION_INTERVAL_MS', problem: 'must be a whole number of milliseconds, at least 100' },
      { variable: 'HEALTH_BUCKET_MS', problem: 'must be a whole number of milliseconds, at least 1000' },
    ]);
  });
});
