import { DomainError } from '@rollgate/shared-domain';
import type { Plan, PlanTarget } from './planning.types';

export interface ForecastOptions {
  /** New assignments handed out per minute (the rollout's rate limit). */
  rateLimitPerMinute: number;
  /** Devices learn of their action on their next poll: on average half an interval later. */
  pollIntervalMs: number;
  /** Typical download plus install time of one device. */
  installMs: number;
  /** Soak after each group, one value for all or one per group. */
  soakMs: number | readonly number[];
}

export interface GroupForecast {
  name: string;
  size: number;
  byType: Record<string, number>;
  byRegion: Record<string, number>;
  startsAfterMs: number;
  durationMs: number;
}

export interface PlanForecast {
  groups: GroupForecast[];
  totalMs: number;
}

/**
 * Expected duration when every group cascades as soon as its soak ends: per group, handing out its
 * assignments under the rate limit, then half a poll interval, the install time and the soak.
 */
export function forecastPlan(plan: Plan, targets: readonly PlanTarget[], options: ForecastOptions): PlanForecast {
  if (!(options.rateLimitPerMinute > 0)) throw new DomainError('invalid_rate_limit', 'the rate limit must be positive');
  let clock = 0;
  const groups = plan.groups.map((g, i) => {
    const byType: Record<string, number> = {};
    const byRegion: Record<string, number> = {};
    for (let k = 0; k < g.members.length; k++) {
      const t = targets[g.members[k]];
      byType[t.deviceType] = (byType[t.deviceType] ?? 0) + 1;
      byRegion[t.region] = (byRegion[t.region] ?? 0) + 1;
    }
    const soak = typeof options.soakMs === 'number' ? options.soakMs : (options.soakMs[i] ?? 0);
    const dispatch = (g.members.length / options.rateLimitPerMinute) * 60_000;
    const durationMs = Math.round(dispatch + (g.members.length > 0 ? options.pollIntervalMs / 2 + options.installMs : 0) + soak);
    const forecast = { name: g.name, size: g.members.length, byType, byRegion, startsAfterMs: clock, durationMs };
    clock += durationMs;
    return forecast;
  });
  return { groups, totalMs: clock };
}
