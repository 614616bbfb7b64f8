/**
 * Counts failed logins per key (a user, a client address) in a fixed window. Once a key reaches the limit,
 * further attempts are refused without checking the password until the window ends, which makes guessing
 * slow and keeps argon2 from being used to exhaust the CPU.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; windowEndsAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    /** bounds memory when an attacker sprays made-up user names */
    private readonly maxKeys = 100_000,
  ) {}

  /** Milliseconds until the key may try again, or 0 when it may try now. */
  blockedFor(key: string, now: number): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    if (entry.windowEndsAt <= now) {
      this.failures.delete(key);
      return 0;
    }
    return entry.count >= this.maxFailures ? entry.windowEndsAt - now : 0;
  }

  fail(key: string, now: number): void {
    const entry = this.failures.get(key);
    if (entry && entry.windowEndsAt > now) {
      entry.count += 1;
      return;
    }
    this.failures.delete(key);
    if (this.failures.size >= this.maxKeys) this.evict(now);
    this.failures.set(key, { count: 1, windowEndsAt: now + this.windowMs });
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  /** Drops ended windows; if none has ended, the oldest key (insertion order is window order). */
  private evict(now: number): void {
    for (const [key, entry] of this.failures) if (entry.windowEndsAt <= now) this.failures.delete(key);
    if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value as string);
  }
}
