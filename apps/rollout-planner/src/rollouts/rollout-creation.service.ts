import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { configKeyDef } from '@rollgate/catalog-domain';
import { compileFilter } from '@rollgate/filter-domain';
import { planHawkbitSplit, type HawkbitSplitOptions, type Plan, type PlanTarget } from '@rollgate/planning-domain';
import { groupDecider, rolloutDecider, type ActionType, type ApprovalPolicy, type RolloutPlanSummary } from '@rollgate/rollout-domain';
import { ACTION_ID_SEQUENCE, reserveIdBlock } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ValidationError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import type { Principal } from '../identity/principal';
import { naturalId } from '../catalog/catalog-ids';
import { AggregateRepository } from '../shared/aggregate.repository';
import { findOne } from '../shared/read-model.queries';
import { groupCreationCommands } from './group-membership.commands';
import { conditionsOf, type CreateRolloutRequest } from './rollout-body.schema';

interface Candidate extends PlanTarget {
  /** per explicit group: whether the target matches that group's own filter (computed in SQL) */
  groupMatches: boolean[];
}

export const rolloutStream = (rolloutId: string): string => `rollout-${rolloutId}`;
export const groupStream = (groupId: string): string => `rolloutgroup-${groupId}`;

/**
 * Creates a rollout: resolves its filter in SQL over the targets read model, plans the groups in memory with
 * hawkBit's split (seeded shuffle, the seed kept in the event), and appends the rollout, its groups and their
 * membership (chunks of target ids, never an event per target) in one atomic append, already READY or
 * WAITING_FOR_APPROVAL. One transaction means a crash leaves either the whole rollout or nothing.
 */
@Injectable()
export class RolloutCreation {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
  ) {}

  async create(caller: Principal, body: CreateRolloutRequest): Promise<string> {
    const distributionSetId = String(body.distributionSetId);
    await findOne(this.pool, 'distribution_sets', 'id', caller.tenant, distributionSetId, 'distribution_set_not_found');
    // The name is the natural key (unique per tenant in hawkBit): a duplicate lands on the same stream.
    const rolloutId = naturalId('rollout', body.name);
    const at = Date.now();
    const seed = randomUUID();
    const explicit = body.groups ?? [];
    const targets = await this.candidates(caller.tenant, body.targetFilterQuery, explicit.map((g) => g.targetFilterQuery));
    const plan = split(targets, {
      seed, now: at, createdBefore: at + 1, amountGroups: explicit.length > 0 ? undefined : (body.amountGroups ?? 1),
      groups: explicit.map((g, i) => ({ name: g.name, targetPercentage: g.targetPercentage ?? 100, matches: g.targetFilterQuery ? (t: Candidate) => t.groupMatches[i] : undefined })),
    });
    const groupIds = plan.groups.map((_, i) => naturalId('rolloutgroup', rolloutId, String(i)));
    const summary = planSummary(plan, targets, groupIds);
    const actionType: ActionType = body.type ?? 'forced';

    const loaded = await this.repository.load(caller.tenant, rolloutStream(rolloutId), rolloutDecider);
    const rolloutEvents = decideInOrder(rolloutDecider, loaded.state, [
      {
        type: 'create-rollout', rolloutId, name: body.name, description: body.description, targetFilterQuery: body.targetFilterQuery, distributionSetId,
        plan: summary, actionType, forceTime: body.forcetime, weight: body.weight, startAt: body.startAt,
        approvalPolicy: await this.approvalPolicy(caller.tenant), creatorPermissions: caller.permissions, by: caller.username, at,
      },
      { type: 'complete-rollout-creation', at },
    ]);
    // One block of action ids for the whole rollout, cut into consecutive per-group blocks.
    let nextActionId = await reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, plan.groups.reduce((n, g) => n + g.members.length, 0));
    const groupStreams = plan.groups.map((group, i) => {
      const conditions = conditionsOf(explicit[i] ?? {}, body, actionType);
      const members = Array.from(group.members, (k) => targets[k].id);
      const firstActionId = nextActionId;
      nextActionId += members.length;
      const commands = groupCreationCommands({ type: 'create-group', groupId: groupIds[i], rolloutId, index: i, name: group.name, conditions, at }, members, firstActionId);
      return { streamId: groupStream(groupIds[i]), expectedVersion: 0, events: decideInOrder(groupDecider, groupDecider.initialState, commands) };
    });
    await this.repository.appendDecided(caller, 'rollout', [{ streamId: rolloutStream(rolloutId), expectedVersion: loaded.version, events: rolloutEvents }, ...groupStreams]);
    return rolloutId;
  }

  /** The filter's targets, oldest id first so the seeded shuffle alone decides the order. */
  private async candidates(tenant: string, query: string, groupQueries: Array<string | undefined>): Promise<Candidate[]> {
    const main = compileAt(query, '/targetFilterQuery').toSql({ firstParameter: 2 });
    const values: unknown[] = [tenant, ...main.values];
    const flags = groupQueries.map((q, i) => {
      if (!q) return 'true';
      const sql = compileAt(q, `/groups/${i}/targetFilterQuery`).toSql({ firstParameter: values.length + 1 });
      values.push(...sql.values);
      return `COALESCE((${sql.where}), false)`;
    });
    const { rows } = await this.pool.query<{ controller_id: string; device_type: string | null; region: string | null; created_at: string; flags: boolean[] }>(
      `SELECT controller_id, device_type, region, created_at, ARRAY[${flags.join(', ') || 'true'}]::boolean[] AS flags
         FROM targets WHERE tenant = $1 AND (${main.where}) ORDER BY controller_id`,
      values,
    );
    return rows.map((row) => ({ id: row.controller_id, deviceType: row.device_type ?? '', region: row.region ?? '', createdAt: Number(row.created_at), groupMatches: row.flags }));
  }

  private async approvalPolicy(tenant: string): Promise<ApprovalPolicy> {
    const { rows } = await this.pool.query<{ key: string; value: unknown }>(`SELECT key, value FROM tenant_configs WHERE tenant = $1 AND key LIKE 'rollout.approval.%'`, [tenant]);
    const values = new Map(rows.map((row) => [row.key, row.value]));
    const read = (key: string) => values.get(key) ?? configKeyDef(key).default;
    return { enabled: read('rollout.approval.enabled') === true, quorum: Number(read('rollout.approval.quorum')), creatorMayApprove: read('rollout.approval.creatorMayApprove') === true };
  }
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

/** A filter from the body, its errors pointed at the body field instead of the `q` parameter. */
function compileAt(query: string, path: string) {
  try {
    return compileFilter(query);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(error.message, [{ path, message: error.message }], error.code);
    throw error;
  }
}

/**
 * The plan as the rollout remembers it. The hash covers the seed, the group names and every member in order,
 * so an approval binds to exactly this membership. The seed rides along in the summary so that the event
 * records it (the decider copies the summary into `rollout-created`).
 */
function planSummary(plan: Plan, targets: readonly Candidate[], groupIds: string[]): RolloutPlanSummary & { seed: string } {
  if (plan.groups.every((g) => g.members.length === 0)) {
    throw new ValidationError('the target filter matches no target', [{ path: '/targetFilterQuery', message: 'matches no target' }]);
  }
  const hash = createHash('sha256').update(plan.seed);
  plan.groups.forEach((group) => {
    hash.update(`\u0001${group.name}`);
    for (const k of group.members) hash.update(`\u0000${targets[k].id}`);
  });
  return { hash: hash.digest('hex'), seed: plan.seed, groups: plan.groups.map((group, i) => ({ groupId: groupIds[i], name: group.name, size: group.members.length })) };
}

/** Decides commands one after another on a state kept in memory (a new stream, or one just loaded). */
function decideInOrder<C, S, E extends DomainEvent>(decider: Decider<C, S, E>, initial: S, commands: readonly C[]): E[] {
  const events: E[] = [];
  let state = initial;
  for (const command of commands) {
    const decided = decider.decide(command, state);
    state = decided.reduce(decider.evolve, state);
    events.push(...decided);
  }
  return events;
}
