import type { Problem, ServiceDefaults } from '@rollgate/service-kit';

/**
 * health-evaluator: baselines, health gates, canary verdicts and rollback triggers. Its name is also its
 * durable consumer's name on the events stream; the kit's settings come from the environment (see
 * libs/service-kit, service-config.ts), the evaluator's own from the variables below.
 */
export const HEALTH_EVALUATOR_DEFAULTS: ServiceDefaults = { service: 'health-evaluator', port: 8084 };

export const HEALTH_CONFIG = Symbol('rollgate.health-evaluator-config');
/** The evaluator's clock (epoch ms); tests may pass their own. */
export const HEALTH_CLOCK = Symbol('rollgate.health-evaluator-clock');

export interface HealthConfig {
  /** how often triggers and device verification are checked (the seeds' health_check_interval_seconds: 30) */
  evaluationIntervalMs: number;
  /** telemetry bucket size */
  bucketMs: number;
  /** how far back telemetry is replayed at start (the baseline needs 24 h; the stream keeps 24 h) */
  telemetryLookbackMs: number;
  /** how long a gate request or rollout start waits for the log follower to have seen it before it is retried */
  catchUpTimeoutMs: number;
}

const SETTINGS: Record<string, { key: keyof HealthConfig; fallback: number; min: number }> = {
  HEALTH_EVALUATION_INTERVAL_MS: { key: 'evaluationIntervalMs', fallback: 30_000, min: 100 },
  HEALTH_BUCKET_MS: { key: 'bucketMs', fallback: 60_000, min: 1_000 },
  HEALTH_TELEMETRY_LOOKBACK_MS: { key: 'telemetryLookbackMs', fallback: 24 * 3600_000, min: 0 },
  HEALTH_CATCH_UP_TIMEOUT_MS: { key: 'catchUpTimeoutMs', fallback: 10_000, min: 100 },
};

/**
 * Reads the evaluator's own settings and names each invalid variable (the composition root turns problems
 * into the kit's ConfigError; this file stays free of Nest so that it can be unit-tested).
 */
export function readHealthConfig(env: NodeJS.ProcessEnv = process.env): { config: HealthConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const config = {} as HealthConfig;
  for (const [variable, { key, fallback, min }] of Object.entries(SETTINGS)) {
    const raw = env[variable];
    const value = raw === undefined || raw === '' ? fallback : /^[0-9]{1,12}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min) problems.push({ variable, problem: `must be a whole number of milliseconds, at least ${min}` });
    config[key] = value;
  }
  return { config, problems };
}
