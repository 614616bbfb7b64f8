import { timingSafeEqual } from 'node:crypto';
import type { ConfigValue, DeviceEntry } from '../memory/gateway-memory';

export type AuthMethod = 'target-token' | 'gateway-token' | 'certificate' | 'anonymous';

export type AuthOutcome = { ok: true; method: AuthMethod } | { ok: false; code: string; message: string };

export interface DeviceCredentials {
  authorization?: string;
  /** the client certificate's common name and issuer hashes, as the TLS-terminating proxy passes them */
  certificateCn?: string;
  certificateIssuerHashes: string[];
  remoteAddress: string;
}

export interface AuthContext {
  controllerId: string;
  device: DeviceEntry | undefined;
  config(key: string): ConfigValue | undefined;
  trustedProxies: ReadonlySet<string>;
}

/** Tenant configuration keys (hawkBit's names) that switch each method on. */
export const AUTH_KEYS = {
  targetToken: 'authentication.targettoken.enabled',
  gatewayToken: 'authentication.gatewaytoken.enabled',
  gatewayTokenKey: 'authentication.gatewaytoken.key',
  header: 'authentication.header.enabled',
  headerAuthority: 'authentication.header.authority',
  /** Rollgate's key for DDI without credentials (hawkBit sets it per server, not per tenant) */
  anonymous: 'authentication.anonymous.enabled',
} as const;

const refuse = (code: string, message: string): AuthOutcome => ({ ok: false, code, message });

/**
 * hawkBit's DDI authentication, each method enabled per tenant: a target's own token (only for that
 * target), the tenant's gateway token (any target of the tenant), a client certificate whose CN is the
 * controller id (headers believed only from the configured proxies), or nothing at all where allowed.
 * Secrets are compared in constant time and never echoed.
 */
export function authenticateDevice(credentials: DeviceCredentials, context: AuthContext): AuthOutcome {
  const enabled = (key: string): boolean => context.config(key) === true;
  const [scheme, token] = splitAuthorization(credentials.authorization);
  if (scheme === 'targettoken') {
    if (!enabled(AUTH_KEYS.targetToken)) return refuse('target_token_disabled', 'TargetToken authentication is not enabled for this tenant');
    // An unknown device and a wrong token look the same to the caller.
    if (!context.device || !secretsEqual(token, context.device.securityToken)) return refuse('credentials_invalid', 'invalid credentials');
    return { ok: true, method: 'target-token' };
  }
  if (scheme === 'gatewaytoken') {
    const key = context.config(AUTH_KEYS.gatewayTokenKey);
    if (!enabled(AUTH_KEYS.gatewayToken) || typeof key !== 'string' || key === '') return refuse('gateway_token_disabled', 'GatewayToken authentication is not enabled for this tenant');
    if (!secretsEqual(token, key)) return refuse('credentials_invalid', 'invalid credentials');
    return { ok: true, method: 'gateway-token' };
  }
  if (scheme !== undefined) return refuse('credentials_invalid', 'unsupported authorization scheme: use TargetToken or GatewayToken');
  if (credentials.certificateCn !== undefined && context.trustedProxies.has(credentials.remoteAddress)) {
    if (!enabled(AUTH_KEYS.header)) return refuse('certificate_auth_disabled', 'certificate authentication is not enabled for this tenant');
    if (credentials.certificateCn !== context.controllerId) return refuse('credentials_invalid', 'invalid credentials');
    const authorities = String(context.config(AUTH_KEYS.headerAuthority) ?? '').split(/[,;]/).map((a) => a.trim().toLowerCase()).filter(Boolean);
    if (authorities.length > 0 && !credentials.certificateIssuerHashes.some((hash) => authorities.includes(hash.toLowerCase()))) {
      return refuse('credentials_invalid', 'invalid credentials');
    }
    return { ok: true, method: 'certificate' };
  }
  if (enabled(AUTH_KEYS.anonymous)) return { ok: true, method: 'anonymous' };
  return refuse('credentials_missing', 'authentication required: Authorization: TargetToken <token> or GatewayToken <token>');
}

function splitAuthorization(header: string | undefined): [string | undefined, string] {
  if (!header) return [undefined, ''];
  const space = header.indexOf(' ');
  if (space < 0) return [header.toLowerCase(), ''];
  return [header.slice(0, space).toLowerCase(), header.slice(space + 1).trim()];
}

export function secretsEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && b.length > 0 && timingSafeEqual(a, b);
}
