import fc from 'fast-check';
import { currentRatePerMinute, inFlight, isReleaseWorthIt, pacedRelease, rateRefillAt, refillRateBucket, type PacingInput } from './pacing';

const base: PacingInput = {
  size: 100, released: 0, ended: 0, rolloutInFlightElsewhere: 0, tenantInFlightElsewhere: 0, rateTokens: Infinity, frozen: false, limits: {},
};

describe('pacing', () => {
  it('releases everything without limits, and nothing while frozen', () => {
    expect(pacedRelease(base)).toBe(100);
    expect(pacedRelease({ ...base, frozen: true, released: 10 })).toBe(10);
  });

  it('keeps maxParallel in flight per rollout, counting the other groups', () => {
    expect(pacedRelease({ ...base, limits: { maxParallel: 50 } })).toBe(50);
    expect(pacedRelease({ ...base, released: 50, ended: 20, limits: { maxParallel: 50 } })).toBe(70);
    expect(pacedRelease({ ...base, rolloutInFlightElsewhere: 45, limits: { maxParallel: 50 } })).toBe(5);
  });

  it('honours the tenant change budget and the rate tokens', () => {
    expect(pacedRelease({ ...base, tenantInFlightElsewhere: 90, limits: { tenantBudget: 100 } })).toBe(10);
    expect(pacedRelease({ ...base, rateTokens: 12.7 })).toBe(12);
  });

  it('releases in worthwhile steps (a quarter of maxParallel) or the rest of the group', () => {
    const input = { ...base, released: 50, ended: 5, limits: { maxParallel: 50 } };
    expect(isReleaseWorthIt(input, 55)).toBe(false);
    expect(isReleaseWorthIt({ ...input, ended: 12 }, 62)).toBe(true);
    expect(isReleaseWorthIt({ ...input, size: 52 }, 52)).toBe(true);
  });

  it('property: never more than maxParallel in flight, never beyond the group, never fewer than before', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 100 }), fc.nat(500), fc.nat(500), fc.nat(200), fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }), fc.nat(300),
      (size, maxParallel, r, e, elsewhere, budget, tokens) => {
        const released = Math.min(size, r);
        const ended = Math.min(released, e);
        const input: PacingInput = { ...base, size, released, ended, rolloutInFlightElsewhere: elsewhere, tenantInFlightElsewhere: elsewhere, rateTokens: tokens, limits: { maxParallel, tenantBudget: budget } };
        const next = pacedRelease(input);
        expect(next).toBeGreaterThanOrEqual(released);
        expect(next).toBeLessThanOrEqual(size);
        expect(next - released).toBeLessThanOrEqual(tokens);
        if (next > released) {
          expect(elsewhere + inFlight(next, ended)).toBeLessThanOrEqual(maxParallel);
          if (budget !== undefined) expect(elsewhere + inFlight(next, ended)).toBeLessThanOrEqual(budget);
        }
      },
    ));
  });
});

describe('AWS-IoT-style exponential ramp', () => {
  const rate = { maximumPerMinute: 1000, ramp: { baseRatePerMinute: 10, incrementFactor: 2, notifiedThreshold: 20, succeededThreshold: 50 } };

  it('starts at the base rate and multiplies per threshold reached, up to the maximum', () => {
    expect(currentRatePerMinute(rate, 0, 0)).toBe(10);
    expect(currentRatePerMinute(rate, 19, 0)).toBe(10);
    expect(currentRatePerMinute(rate, 20, 0)).toBe(20);
    expect(currentRatePerMinute(rate, 60, 0)).toBe(80);
    expect(currentRatePerMinute(rate, 0, 100)).toBe(40);
    expect(currentRatePerMinute(rate, 1_000_000, 0)).toBe(1000);
    expect(currentRatePerMinute({ maximumPerMinute: 30 }, 500, 500)).toBe(30);
  });

  it('property: the rate never falls as more devices are notified or succeed, and never exceeds the maximum', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 1, max: 5, noNaN: true }), fc.integer({ min: 1, max: 50 }), fc.nat(10_000), fc.nat(100), (b, factor, threshold, notified, more) => {
      const max = 5000;
      const r = { maximumPerMinute: max, ramp: { baseRatePerMinute: Math.min(b, max), incrementFactor: factor, notifiedThreshold: threshold } };
      const now = currentRatePerMinute(r, notified, 0);
      expect(now).toBeLessThanOrEqual(max);
      expect(currentRatePerMinute(r, notified + more, 0)).toBeGreaterThanOrEqual(now);
    }));
  });

  it('refills a one-minute token bucket and says when enough tokens will be there', () => {
    const bucket = refillRateBucket(undefined, 0, 60);
    expect(bucket).toEqual({ tokens: 60, at: 0 });
    const spent = { tokens: 0, at: 0 };
    expect(refillRateBucket(spent, 30_000, 60).tokens).toBe(30);
    expect(refillRateBucket(spent, 600_000, 60).tokens).toBe(60);
    expect(rateRefillAt(spent, 60, 15)).toBe(15_000);
  });

  it('property: over any window the bucket releases at most one minute of burst plus the rate', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 600 }), fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 50 }), (perMinute, gaps) => {
      let bucket = refillRateBucket(undefined, 0, perMinute);
      let now = 0;
      let taken = 0;
      for (const gap of gaps) {
        now += gap;
        bucket = refillRateBucket(bucket, now, perMinute);
        const take = Math.floor(bucket.tokens);
        bucket = { ...bucket, tokens: bucket.tokens - take };
        taken += take;
      }
      expect(taken).toBeLessThanOrEqual(perMinute + (now * perMinute) / 60_000 + 1e-6);
    }));
  });
});
