import { Inject, Injectable } from '@nestjs/common';
import { compileFilter } from '@rollgate/filter-domain';
import {
  executionOf, planHawkbitSplit, planStrategy, strategyConditions, type HawkbitSplitOptions, type Plan, type PlanTarget, type StrategySettings,
} from '@rollgate/planning-domain';
import type { ActionType, GroupConditions, RolloutExecution } from '@rollgate/rollout-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { forEachCopyRow } from '../shared/copy-query';
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
  /**
   * False when nobody will look at the candidates' type, region and site beyond the plan itself (creation):
   * hawkBit's split does not plan by them, so they are then not read (each costs a jsonb lookup per target).
   */
  describeTargets?: boolean;
  /** When given, the time each phase took (ms) is recorded here: `candidates`, `plan`. */
  timings?: Record<string, number>;
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
    const hawkbitSplit = (body.strategy ?? 'groups') === 'groups';
    const topology = input.describeTargets !== false || !hawkbitSplit;
    const started = performance.now();
    const targets = await this.candidates(input.tenant, body.targetFilterQuery, explicit.map((g) => g.targetFilterQuery), { only: input.onlyTargets, topology });
    const read = performance.now();
    const settings = strategySettings(body);
    const eligibility = { seed, now: at, createdBefore: at + 1 };
    const plan = hawkbitSplit
      ? split(targets, {
        ...eligibility, amountGroups: explicit.length > 0 ? undefined : (body.amountGroups ?? 1),
        groups: explicit.map((g, i) => ({ name: g.name, targetPercentage: g.targetPercentage ?? 100, matches: g.targetFilterQuery ? (t: Candidate) => t.groupMatches[i] : undefined })),
      })
      : strategyPlan(() => planStrategy(targets, settings, eligibility), body.strategy === 'rolling' ? '/rolling' : '/waves');
    const actionType: ActionType = body.type ?? 'forced';
    const kinds = plan.groups.map((g) => g.kind);
    const conditions = strategyConditions(settings, kinds, (i) => conditionsOf(explicit[i] ?? {}, body, actionType, body.successMode));
    if (input.timings) {
      input.timings.candidates = read - started;
      input.timings.plan = performance.now() - read;
    }
    return { targets, plan, conditions, execution: executionOf(settings, kinds), actionType };
  }

  /**
   * The filter's targets, oldest id first so the seeded shuffle alone decides the order. Only the columns the
   * plan needs: type, region and site when `topology`, the per-group filter flags when groups have filters.
   */
  private async candidates(tenant: string, query: string, groupQueries: Array<string | undefined>, options: { only?: readonly string[]; topology: boolean }): Promise<Candidate[]> {
    const main = compileAt(query, '/targetFilterQuery').toSql({ firstParameter: 2 });
    const values: unknown[] = [tenant, ...main.values];
    const flags = groupQueries.map((q, i) => {
      if (!q) return 'true';
      const sql = compileAt(q, `/groups/${i}/targetFilterQuery`).toSql({ firstParameter: values.length + 1 });
      values.push(...sql.values);
      return `COALESCE((${sql.where}), false)`;
    });
    let restriction = '';
    if (options.only) {
      values.push(options.only);
      restriction = ` AND controller_id = ANY($${values.length}::text[])`;
    }
    // Only the columns the plan reads: each NULL column left out is a field less per row to send and split.
    const topology = options.topology ? `, ${DEVICE_TYPE}, ${REGION}, ${SITE}` : '';
    // Without group filters there is nothing to flag: no boolean[] to build in SQL and parse per row in Node.
    const withFlags = groupQueries.some((q) => q);
    const groupFlags = withFlags ? `, ARRAY[${flags.join(', ')}]::boolean[]` : '';
    const flagsAt = options.topology ? 5 : 2;
    const allMatch = groupQueries.map(() => true);
    const candidates: Candidate[] = [];
    // COPY, not SELECT: a million candidates are a million rows for the driver to parse otherwise.
    const text = `SELECT controller_id, created_at${topology}${groupFlags} FROM targets WHERE tenant = $1 AND (${main.where})${restriction} ORDER BY controller_id`;
    await forEachCopyRow(this.pool, text, values, (row) => {
      candidates.push({
        id: row[0] as string, createdAt: Number(row[1]),
        deviceType: options.topology ? (row[2] ?? '') : '', region: options.topology ? (row[3] ?? '') : '', site: options.topology ? (row[4] ?? undefined) : undefined,
        groupMatches: withFlags ? booleansOf(row[flagsAt]) : allMatch,
      });
    });
    return candidates;
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

/** A boolean[] in PostgreSQL's text form (`{t,f}`) as booleans. */
function booleansOf(text: string | null): boolean[] {
  return text === null || text === '{}' ? [] : text.slice(1, -1).split(',').map((flag) => flag === 't');
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
