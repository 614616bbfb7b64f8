import { createHash } from 'node:crypto';
import type { Principal } from './principal';

/**
 * Verified credentials for a short while, so argon2 (tens of milliseconds by design) runs once per client
 * per TTL rather than on every request. Keys are SHA-256 digests of the Authorization header: the raw
 * secret is never kept. A change made through this instance (password, token revoked) clears the cache.
 */
export class CredentialsCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(authorization: string, now: number): Principal | undefined {
    const key = digest(authorization);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  put(authorization: string, principal: Principal, now: number): void {
    if (this.ttlMs === 0) return;
    // Insertion order is age order: dropping the first entry drops the oldest.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(digest(authorization), { principal, expiresAt: now + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
