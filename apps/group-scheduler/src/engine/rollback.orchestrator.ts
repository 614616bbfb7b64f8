import { Logger } from '@nestjs/common';
import { ACTION_ID_SEQUENCE, reserveIdBlock } from '@rollgate/event-store';
import { targetDeployments, targetDeploymentsProjection } from '@rollgate/read-models';
import { groupDecider, rolloutDecider, type RolloutEvent } from '@rollgate/rollout-domain';
import { groupStream, planRollback, ROLLBACK_CONDITIONS, ROLLBACK_MIN_ATTEMPTS, rolloutStream } from '@rollgate/scheduling-domain';
import { DomainError } from '@rollgate/shared-domain';
import type { Pool, PoolClient } from 'pg';
import type { StreamWriter, WrittenEvent } from '../writes/stream-writer';
import { awaitProjection } from './await-projection';
import type { Rollout } from './scheduler-engine';

type RollbackRequested = Extract<RolloutEvent, { type: 'rollout-rollback-requested' }>;

const MEMBERS_ADDED = 'io.rollgate.rollout.group-members-added.v1';
const CHUNK = 5_000;

/**
 * Event-flow step 9: a rollback rollout per distribution set the affected devices return to (from
 * target_deployments), in groups of maxParallel started one after the other without approval, the cause
 * recorded in `rollout-created.rollbackOf`; then an incident record on the rolled-back rollout. Rollout and
 * group ids derive from the request, so a redelivered request finds its rollouts and does nothing twice.
 */
export class RollbackOrchestrator {
  private readonly logger = new Logger('rollback');

  constructor(
    private readonly pool: Pool,
    private readonly writer: StreamWriter,
  ) {}

  async execute(tx: PoolClient, tenant: string, rollout: Rollout, request: RollbackRequested, requestEventId: string | undefined, now: number): Promise<WrittenEvent[]> {
    const d = request.data;
    const cause = d.cause ?? `group ${d.groupId} failed its error condition`;
    // Named after the request event: a redelivery finds its rollouts, and two requests (health-evaluator
    // splits large device lists) never share one even within a millisecond.
    const requestKey = (requestEventId ?? String(d.at)).replace(/-/g, '').slice(-12);
    const members = await this.affectedMembers(tx, tenant, rollout, request);
    if (requestEventId) await this.awaitDeployments(requestEventId);
    const deployments = await targetDeployments(tx, tenant, members);
    const plan = planRollback(members, deployments, rollout, rollout.execution.maxParallel);
    const written: WrittenEvent[] = [];
    const created: Array<{ rolloutId: string; distributionSetId: string; devices: number }> = [];
    for (const [i, target] of plan.rollouts.entries()) {
      const rollbackId = `${rollout.rolloutId}-rb-${requestKey}-${i}`;
      const events = await this.createRollback(tx, tenant, rollout, rollbackId, target.distributionSetId, target.batches, { rolloutId: rollout.rolloutId, groupId: d.groupId, cause }, now);
      if (events === undefined) return []; // done by an earlier delivery
      written.push(...events);
      created.push({ rolloutId: rollbackId, distributionSetId: target.distributionSetId, devices: target.batches.reduce((n, b) => n + b.length, 0) });
    }
    const incident = { incidentId: `${rollout.rolloutId}-incident-${requestKey}`, cause, groupId: d.groupId, rollbackRollouts: created, devicesWithoutPrevious: plan.withoutPrevious.length };
    try {
      const { events } = await this.writer.execute(tx, tenant, 'rollout', rolloutStream(rollout.rolloutId), rolloutDecider, { type: 'record-incident', incident, at: now });
      written.push(...events.map((event) => ({ tenant, streamId: rolloutStream(rollout.rolloutId), event })));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn(`incident of rollout ${rollout.rolloutId} not recorded: ${error.code}`);
    }
    return written;
  }

  /** Scope device: the named devices; all/affected: every started group; wave (and error actions): the group. */
  private async affectedMembers(tx: PoolClient, tenant: string, rollout: Rollout, request: RollbackRequested): Promise<string[]> {
    const { scope, controllerIds, groupId } = request.data;
    if (scope === 'device') return [...(controllerIds ?? [])];
    const groups = scope === 'all' || scope === 'affected' ? rollout.groups.filter((g) => g.triggered).map((g) => g.groupId) : [groupId];
    const { rows } = await tx.query<{ ids: string[] }>(
      `SELECT data -> 'targetIds' AS ids FROM events WHERE tenant = $1 AND stream_id = ANY($2::text[]) AND type = $3 ORDER BY stream_id, stream_version`,
      [tenant, groups.map(groupStream), MEMBERS_ADDED],
    );
    const members = rows.flatMap((r) => r.ids);
    return controllerIds && controllerIds.length > 0 ? members.filter((m) => controllerIds.includes(m)) : members;
  }

  /**
   * target_deployments is a projection of the log: let it reach the request before reading it, so that the
   * feedback that crossed the threshold is part of the plan.
   */
  private async awaitDeployments(eventId: string): Promise<void> {
    if (!(await awaitProjection(this.pool, targetDeploymentsProjection, eventId))) {
      this.logger.warn('target_deployments did not reach the rollback request in time; planning with what it has');
    }
  }

  private async createRollback(
    tx: PoolClient, tenant: string, origin: Rollout, rollbackId: string, distributionSetId: string, batches: string[][],
    rollbackOf: { rolloutId: string; groupId?: string; cause: string }, now: number,
  ): Promise<WrittenEvent[] | undefined> {
    const stream = rolloutStream(rollbackId);
    const groupIds = batches.map((_, i) => `${rollbackId}-b${i}`);
    const written: WrittenEvent[] = [];
    const rollout = async (command: Parameters<typeof rolloutDecider.decide>[0]) => {
      const { events } = await this.writer.execute(tx, tenant, 'rollout', stream, rolloutDecider, command);
      written.push(...events.map((event) => ({ tenant, streamId: stream, event })));
    };
    try {
      await rollout({
        type: 'create-rollout', rolloutId: rollbackId, name: `${origin.name}_rollback`, description: `rollback of ${origin.rolloutId}: ${rollbackOf.cause}`,
        targetFilterQuery: origin.targetFilterQuery, distributionSetId, actionType: 'forced', weight: origin.weight,
        // No shuffle made this plan (devices in sorted order): the seed names the rollback instead.
        plan: { hash: `rollback:${rollbackId}`, seed: `rollback:${rollbackId}`, groups: batches.map((b, i) => ({ groupId: groupIds[i], name: `rollback-${i + 1}`, size: b.length })) },
        execution: { strategy: 'groups', soakMs: [], maxParallel: origin.execution.maxParallel, deployTimeoutMs: origin.execution.deployTimeoutMs, maxAttempts: Math.max(origin.execution.maxAttempts, ROLLBACK_MIN_ATTEMPTS), offlinePolicy: origin.execution.offlinePolicy },
        // Started without approval: a rollback must not wait for a second pair of eyes.
        approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: true }, creatorPermissions: [], by: 'group-scheduler', rollbackOf, at: now,
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'rollout_already_exists') return undefined;
      throw error;
    }
    let firstActionId = await reserveIdBlock(tx, ACTION_ID_SEQUENCE, batches.reduce((n, b) => n + b.length, 0));
    for (const [i, batch] of batches.entries()) {
      const gs = groupStream(groupIds[i]);
      await this.writer.execute(tx, tenant, 'rollout', gs, groupDecider, { type: 'create-group', groupId: groupIds[i], rolloutId: rollbackId, index: i, name: `rollback-${i + 1}`, conditions: ROLLBACK_CONDITIONS, at: now });
      for (let c = 0; c < batch.length; c += CHUNK) await this.writer.execute(tx, tenant, 'rollout', gs, groupDecider, { type: 'add-group-members', targetIds: batch.slice(c, c + CHUNK), at: now });
      await this.writer.execute(tx, tenant, 'rollout', gs, groupDecider, { type: 'complete-group-creation', firstActionId, at: now });
      firstActionId += batch.length;
    }
    await rollout({ type: 'complete-rollout-creation', at: now });
    await rollout({ type: 'start-rollout', by: 'group-scheduler', at: now });
    return written;
  }
}
