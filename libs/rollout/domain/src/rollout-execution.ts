import type { MaintenanceWindowSpec } from './maintenance-window';

export type RolloutStrategy = 'groups' | 'canary-waves' | 'rolling';
export type HealthGateName = 'canary_gate' | 'wave_gate' | 'completion_gate';
export type HealthPreset = 'default' | 'strict' | 'relaxed';

/** AWS IoT Jobs' rollout rate: start at `baseRatePerMinute`, multiply by `incrementFactor` after each N notified or succeeded. */
export interface RateRamp {
  baseRatePerMinute: number;
  incrementFactor: number;
  notifiedThreshold?: number;
  succeededThreshold?: number;
}

/**
 * How a rollout runs once started: Rollgate's extensions of hawkBit's rollout body, recorded in
 * `rollout-created` so that group-scheduler (pacing, timers, soaks) and health-evaluator (gates, triggers) read
 * the same settings the operator approved. hawkBit-only bodies get the defaults of `defaultExecution`.
 */
export interface RolloutExecution {
  strategy: RolloutStrategy;
  /** Soak after group i before the next may start (ms); missing entries mean no soak. */
  soakMs: number[];
  /** At most this many actions in flight per rollout (the seeds' max_parallel_deploys). */
  maxParallel?: number;
  rate?: { maximumPerMinute: number; ramp?: RateRamp };
  /** An action without progress for this long is TIMED_OUT and counts as an error. */
  deployTimeoutMs?: number;
  /** 1 + retries. */
  maxAttempts: number;
  maintenanceWindow?: MaintenanceWindowSpec;
  /** Per gate, overrides of the seeds' thresholds (check type → threshold), interpreted by health-evaluator. */
  healthGates?: Partial<Record<HealthGateName, Record<string, number | string | boolean>>>;
  healthPreset?: HealthPreset;
  rollbackTriggers?: { enabled: boolean; overrides?: Record<string, number> };
  /** The seeds' `require_human_approval_after` on the canary: pause after group 0 succeeds. */
  pauseAfterCanary?: boolean;
  offlinePolicy: 'skip_and_queue' | 'wait';
}

export function defaultExecution(): RolloutExecution {
  return { strategy: 'groups', soakMs: [], maxAttempts: 1, offlinePolicy: 'skip_and_queue' };
}
