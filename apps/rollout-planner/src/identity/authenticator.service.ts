import { Inject, Injectable } from '@nestjs/common';
import { tokenUsable } from '@rollgate/identity-domain';
import { PLANNER_CONFIG, type PlannerConfig } from '../config';
import { CredentialsCache } from './credentials.cache';
import { IdentityService, parseApiToken } from './identity.service';
import { LoginThrottle } from './login.throttle';
import { PasswordHasher } from './password-hasher';
import type { Principal } from './principal';

export type AuthOutcome =
  | { kind: 'authenticated'; principal: Principal }
  | { kind: 'missing' }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterMs: number };

interface Claim {
  tenant: string;
  /** what failures are counted against */
  throttleKey: string;
  check: () => Promise<Principal | undefined>;
}

/**
 * Turns an Authorization header into a principal: HTTP Basic (`tenant\user:password`, or `user:password`
 * in the default tenant, as hawkBit scripts send it) or `Bearer rgt.<tenant>.<id>.<secret>`. Unknown users,
 * wrong passwords, revoked and expired tokens all answer the same `invalid`, so a caller learns nothing.
 */
@Injectable()
export class Authenticator {
  readonly cache: CredentialsCache;
  private readonly userThrottle: LoginThrottle;
  /** One address may legitimately front many users (a NAT, a CI runner), so it gets ten times the budget. */
  private readonly addressThrottle: LoginThrottle;

  constructor(
    @Inject(PLANNER_CONFIG) private readonly config: PlannerConfig,
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
  ) {
    this.cache = new CredentialsCache(config.authCacheTtlMs);
    this.userThrottle = new LoginThrottle(config.loginMaxFailures, config.loginWindowMs);
    this.addressThrottle = new LoginThrottle(config.loginMaxFailures * 10, config.loginWindowMs);
  }

  async authenticate(authorization: string | undefined, clientAddress: string): Promise<AuthOutcome> {
    if (!authorization) return { kind: 'missing' };
    const now = Date.now();
    const cached = this.cache.get(authorization, now);
    if (cached) return { kind: 'authenticated', principal: cached };
    const claim = this.claimOf(authorization);
    if (!claim) return { kind: 'invalid' };
    const addressKey = `addr:${clientAddress}`;
    const blocked = Math.max(this.userThrottle.blockedFor(claim.throttleKey, now), this.addressThrottle.blockedFor(addressKey, now));
    if (blocked > 0) return { kind: 'throttled', retryAfterMs: blocked };
    const principal = await claim.check();
    if (!principal) {
      this.userThrottle.fail(claim.throttleKey, now);
      this.addressThrottle.fail(addressKey, now);
      return { kind: 'invalid' };
    }
    this.userThrottle.succeed(claim.throttleKey);
    this.cache.put(authorization, principal, now);
    return { kind: 'authenticated', principal };
  }

  private claimOf(authorization: string): Claim | undefined {
    const space = authorization.indexOf(' ');
    const scheme = authorization.slice(0, space).toLowerCase();
    const value = authorization.slice(space + 1).trim();
    if (space > 0 && scheme === 'basic') return this.basicClaim(value);
    if (space > 0 && scheme === 'bearer') return this.bearerClaim(value);
    return undefined;
  }

  private basicClaim(encoded: string): Claim | undefined {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return undefined;
    const userPart = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const slash = userPart.indexOf('\\');
    // hawkBit's tenants are upper case (DEFAULT); Rollgate's are lower case.
    const tenant = slash > 0 ? userPart.slice(0, slash).toLowerCase() : this.config.defaultTenant;
    const username = slash > 0 ? userPart.slice(slash + 1) : userPart;
    if (!tenant) return undefined;
    return {
      tenant,
      throttleKey: `user:${tenant}/${username}`,
      check: async () => {
        const user = await this.identity.user(tenant, username).catch(() => undefined);
        const active = user?.status === 'active' ? user : undefined;
        const ok = await this.hasher.verify(active?.passwordHash, password);
        return ok && active ? { tenant, username, actor: `user:${username}`, permissions: active.permissions } : undefined;
      },
    };
  }

  private bearerClaim(token: string): Claim | undefined {
    const parsed = parseApiToken(token);
    if (!parsed) return undefined;
    return {
      tenant: parsed.tenant,
      throttleKey: `token:${parsed.tenant}/${parsed.tokenId}`,
      check: async () => {
        const state = await this.identity.token(parsed.tenant, parsed.tokenId);
        const usable = tokenUsable(state, Date.now()) ? state : undefined;
        const ok = await this.hasher.verify(usable?.secretHash, parsed.secret);
        if (!ok || !usable) return undefined;
        // A token never outlives its owner: a disabled owner disables the token.
        const owner = await this.identity.user(parsed.tenant, usable.owner);
        if (owner.status !== 'active') return undefined;
        const permissions = usable.permissions.filter((p) => owner.permissions.includes(p));
        return { tenant: parsed.tenant, username: usable.owner, actor: `token:${usable.tokenId}`, permissions };
      },
    };
  }
}
