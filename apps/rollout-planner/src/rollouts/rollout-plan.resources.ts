import { explainTarget, forecastPlan, type TargetExplanation } from '@rollgate/planning-domain';
import { Type, type Static } from '@sinclair/typebox';
import { ValidationError } from '@rollgate/shared-domain';
import { CreateRolloutBody } from './rollout-body.schema';
import type { PlannedRollout } from './rollout-planning.service';

const ForecastBody = Type.Object(
  {
    pollIntervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    installMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 60 })),
    rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

/**
 * The dry run's body: the create body (name optional, nothing is created), a `seed` to replay a plan exactly
 * (a rollout's seed is in its rollout-created event), and the forecast's assumptions.
 */
export const PlanRolloutBody = Type.Object(
  {
    ...CreateRolloutBody.properties,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    seed: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    forecast: Type.Optional(ForecastBody),
  },
  { additionalProperties: false },
);
export type PlanRolloutRequest = Static<typeof PlanRolloutBody>;

/** hawkBit's default polling time (5 minutes) and a typical download plus install. */
const DEFAULT_POLL_SECONDS = 300;
const DEFAULT_INSTALL_MINUTES = 5;
/** Without a rate limit the forecast assumes the gateway hands out this many assignments a minute. */
const UNPACED_PER_MINUTE = 10_000;
const MAX_EXPLANATIONS = 500;

export interface ExplanationQuery {
  offset?: string;
  limit?: string;
  included?: string;
}

/**
 * The dry run's answer: groups with their sizes by device type and region, conditions and soak; the
 * rollout's execution settings; the forecast; and one page of per-target explanations (why in this group,
 * why excluded), `?included=false` for the exclusions only.
 */
export function toPlanResource(planned: PlannedRollout, body: PlanRolloutRequest, query: ExplanationQuery): Record<string, unknown> {
  const { plan, targets, execution, conditions } = planned;
  const forecast = forecastPlan(plan, targets, {
    rateLimitPerMinute: body.forecast?.rateLimitPerMinute ?? execution.rate?.maximumPerMinute ?? UNPACED_PER_MINUTE,
    pollIntervalMs: (body.forecast?.pollIntervalSeconds ?? DEFAULT_POLL_SECONDS) * 1000,
    installMs: (body.forecast?.installMinutes ?? DEFAULT_INSTALL_MINUTES) * 60_000,
    soakMs: execution.soakMs,
  });
  const included = plan.groups.reduce((n, g) => n + g.members.length, 0);
  return {
    seed: plan.seed, strategy: execution.strategy, candidateTargets: targets.length, includedTargets: included, excludedTargets: targets.length - included,
    warnings: plan.warnings,
    groups: plan.groups.map((group, i) => ({
      index: i, name: group.name, kind: group.kind, size: group.members.length, byType: forecast.groups[i].byType, byRegion: forecast.groups[i].byRegion,
      conditions: conditions[i], soakMs: execution.soakMs[i] ?? 0,
    })),
    execution,
    forecast: { totalMs: forecast.totalMs, groups: forecast.groups.map((g) => ({ name: g.name, startsAfterMs: g.startsAfterMs, durationMs: g.durationMs })) },
    explanations: explanationsPage(planned, query),
  };
}

function explanationsPage(planned: PlannedRollout, query: ExplanationQuery): { content: TargetExplanation[]; total: number; size: number } {
  const offset = whole(query.offset, 0, 'offset', Number.MAX_SAFE_INTEGER);
  const limit = whole(query.limit, 50, 'limit', MAX_EXPLANATIONS);
  if (limit < 1) throw new ValidationError('limit must be a whole number from 1 to 500', [{ path: 'limit', message: 'must be a whole number from 1 to 500' }]);
  const only = includedFilter(query.included);
  const { plan, targets } = planned;
  const content: TargetExplanation[] = [];
  let total = 0;
  // Typed-array scan: a million candidates cost a pass over bytes, and only one page becomes objects.
  for (let i = 0; i < targets.length; i++) {
    if (only !== undefined && (plan.assignment[i] >= 0) !== only) continue;
    if (total >= offset && content.length < limit) content.push(explainTarget(plan, targets, i));
    total++;
  }
  return { content, total, size: content.length };
}

function includedFilter(raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ValidationError('included must be true or false', [{ path: 'included', message: 'must be true or false' }]);
}

function whole(raw: string | undefined, fallback: number, name: string, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) > max) throw new ValidationError(`${name} must be a whole number from 0 to ${max}`, [{ path: name, message: `must be a whole number up to ${max}` }]);
  return Number(raw);
}
