import type { GroupCounters, RateRamp } from '@rollgate/rollout-domain';

/**
 * Pacing of a running group: how many of its members (from position 0) may have open actions. Pure: the
 * caller passes what is in flight elsewhere and the rate bucket, and stores what it gets back.
 */
export interface PacingLimits {
  /** at most this many actions in flight per rollout */
  maxParallel?: number;
  /** maximumPerMinute and its AWS-IoT-style ramp */
  rate?: { maximumPerMinute: number; ramp?: RateRamp };
  /** devices updating at once across all rollouts of the tenant */
  tenantBudget?: number;
}

export interface PacingInput {
  size: number;
  released: number;
  /** actions of this group that ended (finished, error, canceled; downloaded for downloadonly) */
  ended: number;
  /** in flight in the rollout's other groups */
  rolloutInFlightElsewhere: number;
  /** in flight across the tenant's other groups (all rollouts) */
  tenantInFlightElsewhere: number;
  /** rate tokens available now (see refillRateBucket); Infinity without a rate */
  rateTokens: number;
  /** inside a freeze window nothing new starts */
  frozen: boolean;
  limits: PacingLimits;
}

export function inFlight(released: number, ended: number): number {
  return Math.max(0, released - Math.min(released, ended));
}

/**
 * The new `released`: never lower than before, never above the group, and such that the rollout's in-flight
 * count stays within maxParallel, the tenant's within its budget, and the releases within the rate tokens.
 */
export function pacedRelease(input: PacingInput): number {
  const { size, released, limits } = input;
  if (input.frozen || released >= size) return released;
  const mine = inFlight(released, input.ended);
  const byParallel = limits.maxParallel === undefined ? Infinity : limits.maxParallel - input.rolloutInFlightElsewhere - mine;
  const byBudget = limits.tenantBudget === undefined ? Infinity : limits.tenantBudget - input.tenantInFlightElsewhere - mine;
  const allowance = Math.min(byParallel, byBudget, Math.floor(input.rateTokens), size - released);
  return allowance > 0 ? released + allowance : released;
}

/**
 * Releasing one device at a time would append one group event per finished device. A release is worth an
 * event once it opens at least a quarter of maxParallel (or whatever is left of the group).
 */
export function isReleaseWorthIt(input: PacingInput, next: number): boolean {
  const opened = next - input.released;
  if (opened <= 0) return false;
  if (next === input.size) return true;
  const step = input.limits.maxParallel === undefined ? 1 : Math.max(1, Math.floor(input.limits.maxParallel / 4));
  return opened >= step;
}

/**
 * AWS IoT Jobs' exponential rollout rate: it starts at baseRatePerMinute and is multiplied by incrementFactor
 * each time another notifiedThreshold devices were notified (or succeededThreshold succeeded), never above
 * maximumPerMinute. Without a ramp the rate is maximumPerMinute.
 */
export function currentRatePerMinute(rate: { maximumPerMinute: number; ramp?: RateRamp }, notified: number, succeeded: number): number {
  const { ramp, maximumPerMinute } = rate;
  if (!ramp) return maximumPerMinute;
  const steps = Math.max(
    ramp.notifiedThreshold ? Math.floor(notified / ramp.notifiedThreshold) : 0,
    ramp.succeededThreshold ? Math.floor(succeeded / ramp.succeededThreshold) : 0,
  );
  // Capped before it overflows: 1.x^steps grows fast, and the cap is all that matters past it.
  let perMinute = ramp.baseRatePerMinute;
  for (let i = 0; i < steps && perMinute < maximumPerMinute; i++) perMinute *= ramp.incrementFactor;
  return Math.min(maximumPerMinute, Math.floor(perMinute));
}

/** A token bucket holding at most one minute of the current rate. */
export interface RateBucket {
  tokens: number;
  at: number;
}

export function refillRateBucket(bucket: RateBucket | undefined, now: number, perMinute: number): RateBucket {
  if (!bucket) return { tokens: perMinute, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(perMinute, bucket.tokens + (elapsed * perMinute) / 60_000), at: Math.max(now, bucket.at) };
}

/** When the bucket will hold `wanted` tokens again (for the pacing timer). */
export function rateRefillAt(bucket: RateBucket, perMinute: number, wanted: number): number {
  const missing = Math.max(0, wanted - bucket.tokens);
  return bucket.at + Math.ceil((missing * 60_000) / perMinute);
}

/** Ended actions for pacing: their slot is free again. */
export function endedCount(counters: Pick<GroupCounters, 'finished' | 'error' | 'canceled' | 'downloaded'>, downloadOnly: boolean): number {
  return counters.finished + counters.error + counters.canceled + (downloadOnly ? counters.downloaded : 0);
}
