import type { ServiceDefaults } from '@rollgate/service-kit';
import { isValidTenant } from '@rollgate/shared-domain';

/**
 * rollout-planner: the Management API and the plans: targets, software, distribution sets, filters, rollout plans, approvals. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const ROLLOUT_PLANNER_DEFAULTS: ServiceDefaults = { service: 'rollout-planner', port: 8080 };

/** The planner's own settings, on top of the service kit's. */
export interface PlannerConfig {
  /**
   * The first administrator, created at start when all three are set (idempotent: an existing user is left
   * alone). `resetPassword` (ROLLGATE_BOOTSTRAP_ADMIN_RESET=true, set by `rollgate up`'s
   * local profile only): an existing administrator whose password is not the bootstrap one gets it back.
   */
  bootstrap: { tenant: string; username: string; password: string; resetPassword: boolean } | undefined;
  /** tenant for Basic credentials without a `tenant\` prefix (hawkBit scripts send plain `admin:...`) */
  defaultTenant: string | undefined;
  /** how long verified credentials are trusted without argon2 (revocations take effect within it) */
  authCacheTtlMs: number;
  /** failed logins per user (and per client address) before further attempts are refused for the window */
  loginMaxFailures: number;
  loginWindowMs: number;
  /**
   * artifact-distributor, where `softwaremodules/{id}/artifacts` uploads are streamed to, with the upload token
   * the distributor was given (its ARTIFACTS_UPLOAD_TOKEN). Unset: uploads answer 503.
   */
  artifacts: { url: string; uploadToken: string } | undefined;
}

export const PLANNER_CONFIG = Symbol('rollgate.planner-config');

/** Reads the planner's variables; throws naming every bad one (the kit has already checked its own). */
export function loadPlannerConfig(env: NodeJS.ProcessEnv = process.env): PlannerConfig {
  const problems: string[] = [];
  const whole = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min) problems.push(`${name} is "${raw}", must be a whole number >= ${min}`);
    return Number(raw);
  };
  const tenant = env.ROLLGATE_BOOTSTRAP_TENANT || undefined;
  const username = env.ROLLGATE_BOOTSTRAP_ADMIN_USER || undefined;
  const password = env.ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD || undefined;
  const given = [tenant, username, password].filter((v) => v !== undefined).length;
  if (given > 0 && given < 3) problems.push('ROLLGATE_BOOTSTRAP_TENANT, ROLLGATE_BOOTSTRAP_ADMIN_USER and ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD must be set together');
  if (tenant !== undefined && !isValidTenant(tenant)) problems.push(`ROLLGATE_BOOTSTRAP_TENANT is "${tenant}", must match [a-z0-9][a-z0-9-]{0,62}`);
  // Never echo the password; only say what is wrong with it.
  if (password !== undefined && password.length < 12) problems.push('ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD must be at least 12 characters');
  const reset = env.ROLLGATE_BOOTSTRAP_ADMIN_RESET;
  if (reset !== undefined && reset !== '' && reset !== 'true' && reset !== 'false') problems.push(`ROLLGATE_BOOTSTRAP_ADMIN_RESET is "${reset}", must be true or false`);
  const defaultTenant = env.ROLLGATE_DEFAULT_TENANT || tenant;
  if (defaultTenant !== undefined && !isValidTenant(defaultTenant)) problems.push(`ROLLGATE_DEFAULT_TENANT is "${defaultTenant}", must match [a-z0-9][a-z0-9-]{0,62}`);
  const artifactsUrl = env.ROLLGATE_ARTIFACTS_URL || undefined;
  const artifactsToken = env.ROLLGATE_ARTIFACTS_UPLOAD_TOKEN || undefined;
  if ((artifactsUrl === undefined) !== (artifactsToken === undefined)) problems.push('ROLLGATE_ARTIFACTS_URL and ROLLGATE_ARTIFACTS_UPLOAD_TOKEN must be set together');
  if (artifactsUrl !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(artifactsUrl)) problems.push(`ROLLGATE_ARTIFACTS_URL is "${artifactsUrl}", must be an http(s)://host[:port] URL without a path`);
  // A secret: say what is wrong, never echo it.
  if (artifactsToken !== undefined && (artifactsToken.length < 16 || /\s/.test(artifactsToken))) problems.push('ROLLGATE_ARTIFACTS_UPLOAD_TOKEN must be at least 16 characters without spaces');
  const config: PlannerConfig = {
    bootstrap: tenant && username && password ? { tenant, username, password, resetPassword: env.ROLLGATE_BOOTSTRAP_ADMIN_RESET === 'true' } : undefined,
    defaultTenant,
    authCacheTtlMs: whole('ROLLGATE_AUTH_CACHE_TTL_MS', 10_000, 0),
    loginMaxFailures: whole('ROLLGATE_LOGIN_MAX_FAILURES', 10, 1),
    loginWindowMs: whole('ROLLGATE_LOGIN_WINDOW_MS', 300_000, 1),
    artifacts: artifactsUrl && artifactsToken ? { url: artifactsUrl.replace(/\/$/, ''), uploadToken: artifactsToken } : undefined,
  };
  if (problems.length > 0) throw new Error(`rollout-planner: invalid configuration, not starting:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return config;
}
