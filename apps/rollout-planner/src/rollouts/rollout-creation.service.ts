import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { configKeyDef } from '@rollgate/catalog-domain';
import type { Plan } from '@rollgate/planning-domain';
import { groupDecider, rolloutDecider, type ApprovalPolicy, type GroupCommand, type GroupEvent, type RolloutCommand, type RolloutState } from '@rollgate/rollout-domain';
import { ACTION_ID_SEQUENCE, reserveIdBlock } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import type { Decider, DomainEvent } from '@rollgate/shared-domain';
import type { Pool, PoolClient } from 'pg';
import type { Principal } from '../identity/principal';
import { naturalId } from '../catalog/catalog-ids';
import { AggregateRepository, type Loaded, type WriteContext } from '../shared/aggregate.repository';
import { findOne } from '../shared/read-model.queries';
import { SignedArtifactsPolicy } from '../shared/signed-artifacts.policy';
import { MEMBERSHIP_CHUNK_BYTES, membershipChunks } from './group-membership.constants';
import { planSummary } from './plan-summary';
import type { CreateRolloutRequest } from './rollout-body.schema';
import { RolloutPlanning, type Candidate } from './rollout-planning.service';

export const rolloutStream = (rolloutId: string): string => `rollout-${rolloutId}`;
export const groupStream = (groupId: string): string => `rolloutgroup-${groupId}`;

/**
 * Membership chunks per transaction: ~0.5 MB of ids, short enough not to hold the log's readers back
 * (ARCHITECTURE: keep write transactions short), and small enough that the read models copy each one while
 * the next is written instead of a large last batch after it.
 */
const CHUNKS_PER_TRANSACTION = 2;
/** Membership transactions in flight at once, each on other groups' streams. */
const MEMBERSHIP_LANES = 2;
/**
 * A rollout whose membership is at most this much JSON (8 full chunks, ~170,000 short ids) is created in one
 * transaction: every event of all three phases in one append. Phased, the same rollout took a dozen
 * transactions, each with its commit, its batch in every read model and its page for the relay, which cost
 * more than writing the ids (100,000 targets: ~420 ms of membership phase on a quiet machine). The price:
 * the one append holds the log's readers back for its whole length, once (1.2 MB: 0.2-0.4 s in the statement
 * log of the loaded bench machine, where each phased append took 35-120 ms). It is all or nothing, so a
 * crash leaves no CREATING rollout to clean up; there is no progress to show.
 */
const ONE_TRANSACTION_BYTES = 8 * MEMBERSHIP_CHUNK_BYTES;
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
 * A small rollout (ONE_TRANSACTION_BYTES) is created by one append of all its events, in the order the
 * phases below write them. A larger one is created in three phases so that it shows its progress through CREATING:
 *   1. `rollout-created` and every `group-created` (one short transaction: the rollout exists, CREATING);
 *   2. membership in `group-members-added` chunks of up to 256 KiB of ids, two chunks per transaction, two
 *      transactions (of different groups) at a time;
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
    const timings: Record<string, number> = {};
    const planned = await this.planning.plan({ tenant: caller.tenant, body, seed: randomUUID(), at, onlyTargets: options.onlyTargets, describeTargets: false, timings });
    const plannedMs = performance.now() - started;
    const groupIds = planned.plan.groups.map((_, i) => naturalId('rolloutgroup', rolloutId, String(i)));
    // Each group's membership cut into its chunks once: the plan hash reads them, and so do the appends. From
    // here on only the chunks are kept: no closure holds the candidates, so their million objects can go
    // before the membership is written (live heap every major GC of the appends would mark again).
    const chunks = chunksOf(planned.plan, planned.targets);
    const candidateCount = planned.targets.length;
    const summary = planSummary(planned.plan, chunks, groupIds);
    timings.hash = performance.now() - started - plannedMs;

    const atOnce = membershipBytes(chunks) <= ONE_TRANSACTION_BYTES;
    // At once, the action id block is needed before the append: reserved while the stream and policy are read.
    const reserved = atOnce ? reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, membersOf(chunks)) : undefined;
    reserved?.catch(() => undefined); // a failure surfaces where it is awaited
    const [loaded, approvalPolicy] = await Promise.all([this.repository.load(caller.tenant, rolloutStream(rolloutId), rolloutDecider), this.approvalPolicy(caller.tenant)]);
    const create: RolloutCommand = {
      type: 'create-rollout', rolloutId, name: body.name, description: body.description, targetFilterQuery: body.targetFilterQuery, distributionSetId,
      plan: summary, actionType: planned.actionType, forceTime: body.forcetime, weight: body.weight, startAt: body.startAt, execution: planned.execution,
      approvalPolicy, creatorPermissions: caller.permissions, by: caller.username, at,
    };
    const { conditions } = planned;
    const createGroup = (i: number): GroupCommand => ({ type: 'create-group', groupId: groupIds[i], rolloutId, index: i, name: planned.plan.groups[i].name, conditions: conditions[i], at });
    if (reserved) {
      await this.createAtOnce(caller, { rolloutId, loaded, create, groupIds, createGroup, chunks, at, firstActionId: await reserved, alongside: options.alongside });
      const total = performance.now() - started;
      this.logger.log(`rollout ${rolloutId}: ${candidateCount} targets in ${groupIds.length} groups; planned in ${Math.round(plannedMs)} ms, created in one transaction in ${Math.round(total)} ms (${phasesOf({ ...timings, append: total - plannedMs - timings.hash })})`);
      return { rolloutId, done: Promise.resolve() };
    }
    const [created] = decideInOrder(rolloutDecider, loaded.state, [create]);
    const groupsCreated = groupIds.map((_, i) => groupDecider.decide(createGroup(i), groupDecider.initialState));
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
    const done = this.complete(caller, rolloutId, groupIds, groupsCreated, chunks, at, timings)
      .then(() => this.logger.log(
        `rollout ${rolloutId}: ${candidateCount} targets in ${groupIds.length} groups; planned in ${Math.round(plannedMs)} ms, created in ${Math.round(createdMs)} ms, membership recorded in ${Math.round(performance.now() - started)} ms (${phasesOf(timings)})`,
      ))
      .catch(async (error: unknown) => {
        this.logger.error(`creation of rollout ${rolloutId} failed, removing it: ${(error as Error).message}`);
        await this.failCleanly(caller, rolloutId).catch((cleanup: unknown) => this.logger.error(`could not remove rollout ${rolloutId}: ${(cleanup as Error).message}`));
        throw error;
      })
      .finally(() => unlock(lock));
    return { rolloutId, done };
  }

  /**
   * All three phases' events in one append, in the phases' order (the rollout and its groups created, each
   * group's membership, each group ready, the rollout ready or waiting for approval): readers of the log see
   * the same sequence of events as from a phased creation, only committed together.
   */
  private async createAtOnce(context: WriteContext, r: {
    rolloutId: string; loaded: Loaded<RolloutState>; create: RolloutCommand; groupIds: string[]; createGroup: (g: number) => GroupCommand;
    chunks: string[][][]; at: number; firstActionId: number; alongside: CreationOptions['alongside'];
  }): Promise<void> {
    const [created, ...completed] = decideInOrder(rolloutDecider, r.loaded.state, [r.create, { type: 'complete-rollout-creation', at: Date.now() }]);
    let nextActionId = r.firstActionId;
    const groups = r.groupIds.map((groupId, g) => {
      const size = r.chunks[g].reduce((n, ids) => n + ids.length, 0);
      const [groupCreated, ...rest] = decideInOrder(groupDecider, groupDecider.initialState, [
        r.createGroup(g),
        ...r.chunks[g].map((targetIds): GroupCommand => ({ type: 'add-group-members', targetIds, at: r.at })),
        { type: 'complete-group-creation', firstActionId: nextActionId, at: r.at },
      ]);
      nextActionId += size;
      return { streamId: groupStream(groupId), created: groupCreated, members: rest.slice(0, -1), ready: rest[rest.length - 1] };
    });
    const rollout = rolloutStream(r.rolloutId);
    // A stream appended to twice in one append continues from its first request's version.
    await this.repository.appendDecided(context, 'rollout', [
      { streamId: rollout, expectedVersion: r.loaded.version, events: [created] },
      ...groups.map((group) => ({ streamId: group.streamId, expectedVersion: 0, events: [group.created] })),
      ...(r.alongside ?? []),
      ...groups.map((group) => ({ streamId: group.streamId, expectedVersion: 1, events: group.members })),
      ...groups.map((group) => ({ streamId: group.streamId, expectedVersion: 1 + group.members.length, events: [group.ready] })),
      { streamId: rollout, expectedVersion: r.loaded.version + 1, events: completed },
    ]);
  }

  /**
   * Phases 2 and 3: membership chunks in short transactions, then readiness. Group states stay in memory (no
   * re-read of a million ids). Two groups' chunks are appended at a time: while PostgreSQL inserts one
   * transaction, this process serialises and hashes the next (a stream's own chunks stay in order, one
   * transaction after the other). The action id block is reserved meanwhile.
   */
  private async complete(context: WriteContext, rolloutId: string, groupIds: string[], groupsCreated: GroupEvent[][], chunks: string[][][], at: number, timings: Record<string, number>): Promise<void> {
    const began = performance.now();
    const groups = groupIds.map((groupId, g) => ({ streamId: groupStream(groupId), version: groupsCreated[g].length, state: groupsCreated[g].reduce(groupDecider.evolve, groupDecider.initialState) }));
    const sizes = chunks.map((groupChunks) => groupChunks.reduce((n, ids) => n + ids.length, 0));
    const decide = (g: number, command: GroupCommand): GroupEvent[] => {
      const group = groups[g];
      const events = groupDecider.decide(command, group.state);
      group.state = events.reduce(groupDecider.evolve, group.state);
      return events;
    };
    // One block of action ids for the whole rollout, cut into consecutive per-group blocks (awaited before readiness).
    const reserved = reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, sizes.reduce((n, size) => n + size, 0));
    reserved.catch(() => undefined); // a failure surfaces where it is awaited
    let failed = false;
    const appendGroups = async (lane: number) => {
      for (let g = lane; g < groups.length; g += MEMBERSHIP_LANES) {
        const group = groups[g];
        for (let from = 0; from < chunks[g].length; from += CHUNKS_PER_TRANSACTION) {
          if (failed) return;
          const events = chunks[g].slice(from, from + CHUNKS_PER_TRANSACTION).flatMap((targetIds) => decide(g, { type: 'add-group-members', targetIds, at }));
          await this.repository.appendDecided(context, 'rollout', [{ streamId: group.streamId, expectedVersion: group.version, events }]);
          group.version += events.length;
        }
      }
    };
    // Every lane settles before a failure is reported, so that nothing is appended after the rollout is removed.
    const lanes = await Promise.allSettled(Array.from({ length: MEMBERSHIP_LANES }, (_, lane) => appendGroups(lane).catch((error: unknown) => {
      failed = true;
      throw error;
    })));
    const failure = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
    if (failure) throw failure.reason;
    timings.membership = performance.now() - began;
    const readyStarted = performance.now();
    let nextActionId = await reserved;
    const ready = groups.map((group, g) => {
      const events = decide(g, { type: 'complete-group-creation', firstActionId: nextActionId, at });
      nextActionId += sizes[g];
      return { streamId: group.streamId, expectedVersion: group.version, events };
    });
    const rollout = await this.repository.load(context.tenant, rolloutStream(rolloutId), rolloutDecider);
    const completed = rolloutDecider.decide({ type: 'complete-rollout-creation', at: Date.now() }, rollout.state);
    await this.repository.appendDecided(context, 'rollout', [...ready, { streamId: rolloutStream(rolloutId), expectedVersion: rollout.version, events: completed }]);
    timings.ready = performance.now() - readyStarted;
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

/** Each group's members (indexes into `targets`) as their membership chunks of ids. */
function chunksOf(plan: Plan, targets: readonly Candidate[]): string[][][] {
  const idOf = (k: number) => targets[k].id;
  return plan.groups.map((group) => [...membershipChunks(group.members, idOf)]);
}

/** The JSON bytes of every membership chunk together, as membershipChunks counts them. */
function membershipBytes(chunks: string[][][]): number {
  let bytes = 0;
  for (const groupChunks of chunks) for (const ids of groupChunks) for (const id of ids) bytes += id.length + 3;
  return bytes;
}

/** How many members the groups have together (the action ids to reserve). */
function membersOf(chunks: string[][][]): number {
  return chunks.reduce((n, groupChunks) => groupChunks.reduce((m, ids) => m + ids.length, n), 0);
}

/** Phase timings as `name=ms` pairs for the creation's log line. */
function phasesOf(timings: Record<string, number>): string {
  return Object.entries(timings).map(([name, ms]) => `${name} ${Math.round(ms)} ms`).join(', ');
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

