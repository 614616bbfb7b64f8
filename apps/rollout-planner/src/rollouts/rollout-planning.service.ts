import { Inject, Injectable } from '@nestjs/common';
import { compileFilter } from '@rollgate/filter-domain';
import {
  executionOf, planHawkbitSplit, planStrategy, strategyConditions, type HawkbitSplitOptions, type Plan, type PlanTarget, type StrategySettings,
} from '@rollgate/planning-domain';
import type { ActionType, GroupConditions, RolloutExecution } from '@rollgate/rollout-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { conditionsOf, type CreateRolloutRequest } from './rollout-body.schema';

/**
 * A target's type, region and site as planning sees them: the read model's columns, else what the device
 * reported in its attributes (DDI configData), else the target type. Without any, a target is of type "".
 */
const DEVICE_TYPE = `COALESCE(device_type, attributes->>'device_type', attributes->>'deviceType', target_type_key)`;
const REGION = `COALESCE(region, attributes->>'region')`;
const SITE = `COALESCE(site, attributes->>'site')`;

export interface Candidate extends PlanTarget {
  /** per explicit group: whether the target matches that group's own filter (computed in SQL) */
  groupMatches: boolean[];
}

/** A rollout as planned, before anything is written: who goes where, and how each group and the rollout run. */
export interface PlannedRollout {
  targets: Candidate[];
  plan: Plan;
  conditions: GroupConditions[];
  execution: RolloutExecution;
  actionType: ActionType;
}

export interface PlanInput {
  tenant: string;
  body: CreateRolloutRequest;
  seed: string;
  at: number;
  /** Only these controller ids (a retry over the failed targets of another rollout). */
  onlyTargets?: readonly string[];
}

/**
 * The one place a rollout body becomes a plan: the filter resolved in SQL over the targets read model, the
 * groups planned in memory by the body's strategy (hawkBit's split, canary and waves, or rolling batches, all
 * seeded), then each group's conditions and the rollout's execution settings. Creation and the dry run both
 * call it, so what `POST /rollouts/plan` shows is what `POST /rollouts` would create with the same seed.
 */
@Injectable()
export class RolloutPlanning {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async plan(input: PlanInput): Promise<PlannedRollout> {
    const { body, seed, at } = input;
    const explicit = body.groups ?? [];
    const targets = await this.candidates(input.tenant, body.targetFilterQuery, explicit.map((g) => g.targetFilterQuery), input.onlyTargets);
    const settings = strategySettings(body);
    const eligibility = { seed, now: at, createdBefore: at + 1 };
    const plan = (body.strategy ?? 'groups') === 'groups'
      ? split(targets, {
        ...eligibility, amountGroups: explicit.length > 0 ? undefined : (body.amountGroups ?? 1),
        groups: explicit.map((g, i) => ({ name: g.name, targetPercentage: g.targetPercentage ?? 100, matches: g.targetFilterQuery ? (t: Candidate) => t.groupMatches[i] : undefined })),
      })
      : strategyPlan(() => planStrategy(targets, settings, eligibility), body.strategy === 'rolling' ? '/rolling' : '/waves');
    const actionType: ActionType = body.type ?? 'forced';
    const kinds = plan.groups.map((g) => g.kind);
    const conditions = strategyConditions(settings, kinds, (i) => conditionsOf(explicit[i] ?? {}, body, actionType, body.successMode));
    return { targets, plan, conditions, execution: executionOf(settings, kinds), actionType };
  }

  /** The filter's targets, oldest id first so the seeded shuffle alone decides the order. */
  private async candidates(tenant: string, query: string, groupQueries: Array<string | undefined>, only?: readonly string[]): Promise<Candidate[]> {
    const main = compileAt(query, '/targetFilterQuery').toSql({ firstParameter: 2 });
    const values: unknown[] = [tenant, ...main.values];
    const flags = groupQueries.map((q, i) => {
      if (!q) return 'true';
      const sql = compileAt(q, `/groups/${i}/targetFilterQuery`).toSql({ firstParameter: values.length + 1 });
      values.push(...sql.values);
      return `COALESCE((${sql.where}), false)`;
    });
    let restriction = '';
    if (only) {
      values.push(only);
      restriction = ` AND controller_id = ANY($${values.length}::text[])`;
    }
    // Array rows (no per-row objects from the driver): a million candidates are a million rows to parse.
    const { rows } = await this.pool.query<[string, string | null, string | null, string | null, string, boolean[]]>({
      text: `SELECT controller_id, ${DEVICE_TYPE} AS device_type, ${REGION} AS region, ${SITE} AS site, created_at, ARRAY[${flags.join(', ') || 'true'}]::boolean[] AS flags
               FROM targets WHERE tenant = $1 AND (${main.where})${restriction} ORDER BY controller_id`,
      values,
      rowMode: 'array',
    });
    return rows.map(([id, deviceType, region, site, createdAt, groupMatches]) => ({
      id, deviceType: deviceType ?? '', region: region ?? '', site: site ?? undefined, createdAt: Number(createdAt), groupMatches,
    }));
  }
}

/** The body's extensions as the planning domain reads them; the seeds' `global` block folds into the top level. */
export function strategySettings(body: CreateRolloutRequest): StrategySettings {
  return {
    strategy: body.strategy, canary: body.canary, waves: body.waves, rolling: body.rolling, healthGates: body.healthGates, rollbackTriggers: body.rollbackTriggers,
    maxParallel: body.maxParallel ?? body.global?.maxParallelDeploys, maximumPerMinute: body.maximumPerMinute, rateRamp: body.rateRamp,
    deployTimeoutMinutes: body.deployTimeoutMinutes ?? body.global?.deployTimeoutMinutes, retries: body.retries, maintenanceWindow: body.maintenanceWindow,
    offlinePolicy: body.global?.offlineDevicePolicy,
  };
}

/** hawkBit answers a split that leaves targets out as a bad request: the groups as given can never work. */
function split(targets: readonly Candidate[], options: HawkbitSplitOptions<Candidate>): Plan {
  try {
    return planHawkbitSplit(targets, options);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'groups_do_not_cover_all_targets') {
      throw new ValidationError(error.message, [{ path: '/groups', message: error.message }]);
    }
    throw error;
  }
}

/** A strategy the planner refuses for this fleet (e.g. min_available leaves no room) is the body's fault: 400 at its block. */
function strategyPlan(plan: () => Plan, path: string): Plan {
  try {
    return plan();
  } catch (error) {
    if (error instanceof DomainError) throw new ValidationError(error.message, [{ path, message: error.message }], error.code);
    throw error;
  }
}

/** A filter from the body, its errors pointed at the body field instead of the `q` parameter. */
function compileAt(query: string, path: string) {
  try {
    return compileFilter(query);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(error.message, [{ path, message: error.message }], error.code);
    throw error;
  }
}
