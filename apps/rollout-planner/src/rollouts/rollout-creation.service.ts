import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { configKeyDef } from '@rollgate/catalog-domain';
import type { Plan } from '@rollgate/planning-domain';
import { groupDecider, rolloutDecider, type ApprovalPolicy, type GroupCommand, type GroupEvent, type RolloutPlanSummary } from '@rollgate/rollout-domain';
import { ACTION_ID_SEQUENCE, reserveIdBlock } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import { ValidationError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import type { Pool, PoolClient } from 'pg';
import type { Principal } from '../identity/principal';
import { naturalId } from '../catalog/catalog-ids';
import { AggregateRepository, type WriteContext } from '../shared/aggregate.repository';
import { findOne } from '../shared/read-model.queries';
import { SignedArtifactsPolicy } from '../shared/signed-artifacts.policy';
import { membershipChunks } from './group-membership.constants';
import type { CreateRolloutRequest } from './rollout-body.schema';
import { RolloutPlanning, type Candidate, type PlannedRollout } from './rollout-planning.service';

export const rolloutStream = (rolloutId: string): string => `rollout-${rolloutId}`;
export const groupStream = (groupId: string): string => `rolloutgroup-${groupId}`;

/** Membership chunks per transaction: ~2.5 MB of ids, short enough not to hold the log's readers back (ARCHITECTURE: keep write transactions short). */
const CHUNKS_PER_TRANSACTION = 10;
/** Members hashed per update of the plan hash. */
const HASH_SLICE = 5_000;
/** Advisory-lock namespace of "this rollout is being created by a live planner". */
const CREATION_LOCK_CLASS = 0x526f6c6c;

export interface CreationOptions {
  /** Only these targets (a retry); the filter still applies. */
  onlyTargets?: readonly string[];
  /** Extra streams appended atomically with the rollout's first events (e.g. the original's retry-requested). */
  alongside?: ReadonlyArray<{ streamId: string; expectedVersion: number; events: readonly DomainEvent[] }>;
}

export interface StartedCreation {
  rolloutId: string;
  /** Settles when the rollout is READY or WAITING_FOR_APPROVAL, or has been failed cleanly. */
  done: Promise<void>;
}

/**
 * Creates a rollout in three phases so that a large one shows its progress through CREATING:
 *   1. `rollout-created` and every `group-created` (one short transaction: the rollout exists, CREATING);
 *   2. membership in `group-members-added` chunks of up to 256 KiB of ids, ten chunks per transaction;
 *   3. `group-ready` per group with its action id block, then `rollout-ready` or `rollout-approval-requested`.
 * While it runs, this planner holds a session advisory lock on the rollout. A crash releases the lock, and a
 * CREATING rollout whose lock nobody holds is failed cleanly (deleted, its groups with it) by
 * `failAbandoned` at the next start; an error during phases 2–3 fails it cleanly at once. So a rollout is
 * never left half-created: it becomes READY (or waits for approval) or it disappears.
 */
@Injectable()
export class RolloutCreation {
  private readonly logger = new Logger('rollout-creation');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(RolloutPlanning) private readonly planning: RolloutPlanning,
    @Inject(SignedArtifactsPolicy) private readonly signedArtifacts: SignedArtifactsPolicy,
  ) {}

  async start(caller: Principal, body: CreateRolloutRequest, options: CreationOptions = {}): Promise<StartedCreation> {
    const distributionSetId = String(body.distributionSetId);
    await findOne(this.pool, 'distribution_sets', 'id', caller.tenant, distributionSetId, 'distribution_set_not_found');
    // Before planning: a set that requires signed artifacts but has unsigned ones must reach no device (422).
    await this.signedArtifacts.requireSatisfied(caller.tenant, distributionSetId);
    // The name is the natural key (unique per tenant in hawkBit): a duplicate lands on the same stream.
    const rolloutId = naturalId('rollout', body.name);
    const at = Date.now();
    const started = performance.now();
    const planned = await this.planning.plan({ tenant: caller.tenant, body, seed: randomUUID(), at, onlyTargets: options.onlyTargets, describeTargets: false });
    const plannedMs = performance.now() - started;
    const groupIds = planned.plan.groups.map((_, i) => naturalId('rolloutgroup', rolloutId, String(i)));
    const summary = planSummary(planned.plan, planned.targets, groupIds);

    const loaded = await this.repository.load(caller.tenant, rolloutStream(rolloutId), rolloutDecider);
    const [created] = decideInOrder(rolloutDecider, loaded.state, [{
      type: 'create-rollout', rolloutId, name: body.name, description: body.description, targetFilterQuery: body.targetFilterQuery, distributionSetId,
      plan: summary, actionType: planned.actionType, forceTime: body.forcetime, weight: body.weight, startAt: body.startAt, execution: planned.execution,
      approvalPolicy: await this.approvalPolicy(caller.tenant), creatorPermissions: caller.permissions, by: caller.username, at,
    }]);
    const groupsCreated = planned.plan.groups.map((group, i) => groupDecider.decide(
      { type: 'create-group', groupId: groupIds[i], rolloutId, index: i, name: group.name, conditions: planned.conditions[i], at }, groupDecider.initialState,
    ));
    const lock = await this.lockCreation(caller.tenant, rolloutId);
    try {
      await this.repository.appendDecided(caller, 'rollout', [
        { streamId: rolloutStream(rolloutId), expectedVersion: loaded.version, events: [created] },
        ...groupIds.map((groupId, i) => ({ streamId: groupStream(groupId), expectedVersion: 0, events: groupsCreated[i] })),
        ...(options.alongside ?? []),
      ]);
    } catch (error) {
      await unlock(lock);
      throw error;
    }
    const createdMs = performance.now() - started;
    const done = this.complete(caller, rolloutId, groupIds, groupsCreated, planned, at)
      .then(() => this.logger.log(
        `rollout ${rolloutId}: ${planned.targets.length} targets in ${groupIds.length} groups; planned in ${Math.round(plannedMs)} ms, created in ${Math.round(createdMs)} ms, membership recorded in ${Math.round(performance.now() - started)} ms`,
      ))
      .catch(async (error: unknown) => {
        this.logger.error(`creation of rollout ${rolloutId} failed, removing it: ${(error as Error).message}`);
        await this.failCleanly(caller, rolloutId).catch((cleanup: unknown) => this.logger.error(`could not remove rollout ${rolloutId}: ${(cleanup as Error).message}`));
        throw error;
      })
      .finally(() => unlock(lock));
    return { rolloutId, done };
  }

  /** Phases 2 and 3: membership chunks in short transactions, then readiness. Group states stay in memory (no re-read of a million ids). */
  private async complete(context: WriteContext, rolloutId: string, groupIds: string[], groupsCreated: GroupEvent[][], planned: PlannedRollout, at: number): Promise<void> {
    const { plan, targets } = planned;
    const groups = groupIds.map((groupId, g) => ({ streamId: groupStream(groupId), version: groupsCreated[g].length, state: groupsCreated[g].reduce(groupDecider.evolve, groupDecider.initialState) }));
    // One append request per stream and transaction: a stream's chunks in one batch go in as one request.
    let batch = new Map<string, { streamId: string; expectedVersion: number; events: GroupEvent[] }>();
    let chunks = 0;
    const flush = async () => {
      if (batch.size > 0) await this.repository.appendDecided(context, 'rollout', [...batch.values()]);
      batch = new Map();
      chunks = 0;
    };
    const decide = (g: number, command: GroupCommand) => {
      const group = groups[g];
      const events = groupDecider.decide(command, group.state);
      const request = batch.get(group.streamId) ?? { streamId: group.streamId, expectedVersion: group.version, events: [] };
      request.events.push(...events);
      batch.set(group.streamId, request);
      group.state = events.reduce(groupDecider.evolve, group.state);
      group.version += events.length;
      chunks += 1;
    };
    const idOf = (k: number) => targets[k].id;
    for (let g = 0; g < plan.groups.length; g++) {
      for (const targetIds of membershipChunks(plan.groups[g].members, idOf)) {
        decide(g, { type: 'add-group-members', targetIds, at });
        if (chunks >= CHUNKS_PER_TRANSACTION) await flush();
      }
    }
    await flush();
    // One block of action ids for the whole rollout, cut into consecutive per-group blocks.
    let nextActionId = await reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, plan.groups.reduce((n, group) => n + group.members.length, 0));
    plan.groups.forEach((group, g) => {
      decide(g, { type: 'complete-group-creation', firstActionId: nextActionId, at });
      nextActionId += group.members.length;
    });
    const rollout = await this.repository.load(context.tenant, rolloutStream(rolloutId), rolloutDecider);
    const completed = rolloutDecider.decide({ type: 'complete-rollout-creation', at: Date.now() }, rollout.state);
    await this.repository.appendDecided(context, 'rollout', [...batch.values(), { streamId: rolloutStream(rolloutId), expectedVersion: rollout.version, events: completed }]);
  }

  /**
   * Rollouts left CREATING by a planner that died mid-creation (its advisory lock is gone with its session)
   * are deleted: hard, since no action can exist yet, which removes them and their groups from the read
   * models. Their name can be used again only by a new rollout name (ids are natural keys).
   */
  async failAbandoned(): Promise<string[]> {
    const { rows } = await this.pool.query<{ tenant: string; id: string }>(`SELECT tenant, id FROM rollouts WHERE status = 'creating'`);
    const failed: string[] = [];
    for (const row of rows) {
      const lock = await this.tryLockCreation(row.tenant, row.id);
      if (!lock) continue; // a live planner is still creating it
      try {
        await this.failCleanly({ tenant: row.tenant, actor: 'system:rollout-planner' }, row.id);
        failed.push(row.id);
        this.logger.warn(`rollout ${row.id} of tenant ${row.tenant} was abandoned while CREATING; removed`);
      } finally {
        await unlock(lock);
      }
    }
    return failed;
  }

  private async failCleanly(context: WriteContext, rolloutId: string): Promise<void> {
    const { state } = await this.repository.load(context.tenant, rolloutStream(rolloutId), rolloutDecider);
    if (state.status !== 'CREATING') return;
    const by = context.username ?? context.actor;
    await this.repository.execute(context, 'rollout', rolloutStream(rolloutId), rolloutDecider, { type: 'delete-rollout', by, at: Date.now() });
    await this.repository.execute(context, 'rollout', rolloutStream(rolloutId), rolloutDecider, { type: 'complete-rollout-deletion', at: Date.now() });
  }

  private async lockCreation(tenant: string, rolloutId: string): Promise<PoolClient> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [CREATION_LOCK_CLASS, `${tenant}/${rolloutId}`]);
      return client;
    } catch (error) {
      client.release();
      throw error;
    }
  }

  private async tryLockCreation(tenant: string, rolloutId: string): Promise<PoolClient | undefined> {
    const client = await this.pool.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [CREATION_LOCK_CLASS, `${tenant}/${rolloutId}`]);
    if (rows[0].locked) return client;
    client.release();
    return undefined;
  }

  private async approvalPolicy(tenant: string): Promise<ApprovalPolicy> {
    const { rows } = await this.pool.query<{ key: string; value: unknown }>(`SELECT key, value FROM tenant_configs WHERE tenant = $1 AND key LIKE 'rollout.approval.%'`, [tenant]);
    const values = new Map(rows.map((row) => [row.key, row.value]));
    const read = (key: string) => values.get(key) ?? configKeyDef(key).default;
    return { enabled: read('rollout.approval.enabled') === true, quorum: Number(read('rollout.approval.quorum')), creatorMayApprove: read('rollout.approval.creatorMayApprove') === true };
  }
}

async function unlock(client: PoolClient): Promise<void> {
  try {
    await client.query('SELECT pg_advisory_unlock_all()');
    client.release();
  } catch (error) {
    client.release(error as Error);
  }
}

/**
 * The plan as the rollout remembers it. The hash covers the seed, the group names and every member in order,
 * so an approval binds to exactly this membership. The seed rides along so that the event records it.
 */
export function planSummary(plan: Plan, targets: readonly Candidate[], groupIds: string[]): RolloutPlanSummary & { seed: string } {
  if (plan.groups.every((g) => g.members.length === 0)) {
    throw new ValidationError('the target filter matches no target', [{ path: '/targetFilterQuery', message: 'matches no target' }]);
  }
  const hash = createHash('sha256').update(plan.seed);
  plan.groups.forEach((group) => {
    hash.update(`\u0001${group.name}`);
    // The same bytes as one update per member, fed a few thousand members at a time (a million updates cost far more).
    for (let from = 0; from < group.members.length; from += HASH_SLICE) {
      const ids = Array.from(group.members.subarray(from, from + HASH_SLICE), (k) => targets[k].id);
      hash.update(`\u0000${ids.join('\u0000')}`);
    }
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

