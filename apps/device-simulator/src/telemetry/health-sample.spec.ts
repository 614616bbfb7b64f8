import Ajv from 'ajv';
import fc from 'fast-check';
import { TelemetrySampleSchema } from '@rollgate/contracts';
import { BASE_PROFILE } from '../profiles/default-profiles';
import type { DeviceProfile } from '../profiles/device-profile';
import { healthSample, type DeviceCondition } from './health-sample';

const validate = new Ajv({ strict: false }).compile(TelemetrySampleSchema);
const healthy: DeviceCondition = { deviceType: 'camera', runningVersion: '1.0.0', uptimeMs: 0, crashLooping: false };

const profile: fc.Arbitrary<DeviceProfile> = fc
  .record({
    errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
    latencyP95Ms: fc.double({ min: 0, max: 10_000, noNaN: true }),
    memoryMb: fc.double({ min: 0, max: 64_000, noNaN: true }),
    cpuPct: fc.double({ min: 0, max: 100, noNaN: true }),
    temperatureC: fc.double({ min: -40, max: 120, noNaN: true }),
    leak: fc.double({ min: 0, max: 10_000, noNaN: true }),
  })
  .map(({ leak, ...telemetry }) => ({ ...BASE_PROFILE, memoryLeakMbPerHour: leak, telemetry }));

describe('health samples', () => {
  it('always fit the TelemetrySample contract the gateway validates', () => {
    fc.assert(
      fc.property(profile, fc.boolean(), fc.nat({ max: 30 * 24 * 3_600_000 }), fc.integer(), (p, crashLooping, uptimeMs, seed) => {
        const sample = healthSample(p, { ...healthy, crashLooping, uptimeMs }, { rng: seed }, 1_764_000_000_000);
        expect(validate({ ...sample, tenant: 'acme', controllerId: 'dev-1' })).toBe(true);
      }),
    );
  });

  it('stays near the baseline for a healthy build', () => {
    const sample = healthSample(BASE_PROFILE, healthy, { rng: 7 }, 1);
    expect(sample.restarts).toBe(0);
    expect(sample.healthEndpoint).toBe('up');
    expect(sample.errorRate).toBeLessThanOrEqual(BASE_PROFILE.telemetry.errorRate * 1.15 + 1e-9);
    expect(Math.abs(sample.memoryMb - BASE_PROFILE.telemetry.memoryMb)).toBeLessThanOrEqual(BASE_PROFILE.telemetry.memoryMb * 0.05 + 0.1);
    expect(sample).toMatchObject({ runningVersion: '1.0.0', deviceType: 'camera', at: 1 });
  });

  it('grows memory by the build leak rate since boot', () => {
    const leaky = { ...BASE_PROFILE, memoryLeakMbPerHour: 100 };
    const fresh = healthSample(leaky, healthy, { rng: 3 }, 0);
    const later = healthSample(leaky, { ...healthy, uptimeMs: 3 * 3_600_000 }, { rng: 3 }, 0);
    expect(later.memoryMb - fresh.memoryMb).toBeCloseTo(300, 0);
  });

  it('shows a crash loop as restarts, a high error rate and a failing health endpoint', () => {
    const samples = Array.from({ length: 200 }, (_, i) => healthSample(BASE_PROFILE, { ...healthy, crashLooping: true }, { rng: i }, 0));
    for (const s of samples) {
      expect(s.restarts).toBeGreaterThanOrEqual(1);
      expect(s.errorRate).toBeGreaterThanOrEqual(0.25);
    }
    const down = samples.filter((s) => s.healthEndpoint === 'down').length;
    expect(down).toBeGreaterThan(60);
    expect(down).toBeLessThan(140);
  });
});
