import { RateLimiter } from './rate-limiter';

describe('rate limiter', () => {
  it('lets a burst through, then the sustained rate, and says how long to wait', () => {
    const limiter = new RateLimiter(2, 3);
    const t = 1_000_000;
    expect([0, 0, 0].map(() => limiter.take('d1', t))).toEqual([0, 0, 0]);
    expect(limiter.take('d1', t)).toBe(1);
    expect(limiter.take('d2', t)).toBe(0);
    expect(limiter.take('d1', t + 500)).toBe(0);
    expect(limiter.take('d1', t + 500)).toBeGreaterThanOrEqual(1);
  });
});
