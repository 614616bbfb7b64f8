import { createHash } from 'node:crypto';
import type { AuditEvent } from '../src/audit-event';

/**
 * A rollout's log as the services write it (docs/event-flow.md), built event by event with explicit times, so
 * that pure audit specs can fold it without a database.
 */
export class RolloutLogFixture {
  readonly events: AuditEvent[] = [];
  private position = 0;
  private readonly versions = new Map<string, number>();

  constructor(private clock = Date.parse('2026-12-01T10:00:00.000Z')) {}

  at(iso: string): this {
    this.clock = Date.parse(iso);
    return this;
  }

  append(streamId: string, aggregate: string, name: string, data: Record<string, unknown>, actor = 'service:group-scheduler'): this {
    const version = (this.versions.get(streamId) ?? 0) + 1;
    this.versions.set(streamId, version);
    this.position += 1;
    this.events.push({
      position: String(this.position), streamId, streamVersion: version, type: `io.rollgate.${aggregate}.${name}.v1`, aggregate, name,
      data: { ...data, at: this.clock }, actor, recordedAt: new Date(this.clock).toISOString(),
      hash: createHash('sha256').update(`${streamId}@${version}`).digest('hex'),
    });
    this.clock += 1000;
    return this;
  }

  /** rollout r1 with two groups: g0 (2 devices, actions 100-101) and g1 (3 devices, actions 102-104). */
  static twoGroups(): RolloutLogFixture {
    const conditions = { success: { threshold: 100, mode: 'finished' }, successAction: 'NEXTGROUP', error: { kind: 'percentage', threshold: 50 }, errorAction: 'ROLLBACK', actionType: 'forced' };
    return new RolloutLogFixture()
      .append('rollout-r1', 'rollout', 'rollout-created', {
        rolloutId: 'r1', name: 'fw-2.1', description: '', targetFilterQuery: 'name==*', distributionSetId: 'ds1',
        plan: { hash: 'h1', seed: 'seed-1', groups: [{ groupId: 'g0', name: 'canary', size: 2 }, { groupId: 'g1', name: 'wave-1', size: 3 }] },
        actionType: 'forced', weight: 0, approvalPolicy: { enabled: true, quorum: 1, creatorMayApprove: false }, approvalRequired: true, createdBy: 'alice',
      }, 'user:alice')
      .append('rolloutgroup-g0', 'rollout', 'group-created', { groupId: 'g0', rolloutId: 'r1', index: 0, name: 'canary', conditions }, 'user:alice')
      .append('rolloutgroup-g0', 'rollout', 'group-members-added', { chunk: 0, targetIds: ['d1', 'd2'] }, 'user:alice')
      .append('rolloutgroup-g0', 'rollout', 'group-ready', { size: 2, firstActionId: 100 }, 'user:alice')
      .append('rolloutgroup-g1', 'rollout', 'group-created', { groupId: 'g1', rolloutId: 'r1', index: 1, name: 'wave-1', conditions }, 'user:alice')
      .append('rolloutgroup-g1', 'rollout', 'group-members-added', { chunk: 0, targetIds: ['d3', 'd4', 'd5'] }, 'user:alice')
      .append('rolloutgroup-g1', 'rollout', 'group-ready', { size: 3, firstActionId: 102 }, 'user:alice')
      .append('rollout-r1', 'rollout', 'rollout-approval-requested', { planHash: 'h1', quorum: 1 }, 'user:alice');
  }

  approveAndStart(): this {
    return this.append('rollout-r1', 'rollout', 'rollout-approval-given', { approver: 'bob', remark: 'ok for canary', planHash: 'h1' }, 'user:bob')
      .append('rollout-r1', 'rollout', 'rollout-approved', { approvers: ['bob'], planHash: 'h1' }, 'user:bob')
      .append('rollout-r1', 'rollout', 'rollout-starting', { by: 'bob' }, 'user:bob')
      .append('rolloutgroup-g0', 'rollout', 'group-scheduled', {})
      .append('rolloutgroup-g1', 'rollout', 'group-scheduled', {})
      .append('rollout-r1', 'rollout', 'rollout-started', { groupIds: ['g0', 'g1'] })
      .append('rollout-r1', 'rollout', 'rollout-group-triggered', { groupId: 'g0', index: 0, reason: 'first' })
      .append('rolloutgroup-g0', 'rollout', 'group-started', { size: 2 });
  }

  device(actionId: number, targetId: string, groupId: string, ...statuses: string[]): this {
    this.append(`action-${actionId}`, 'action', 'action-created', { actionId: String(actionId), targetId, distributionSetId: 'ds1', rolloutId: 'r1', groupId, actionType: 'forced', weight: 0, maxAttempts: 1, status: 'SCHEDULED' }, 'service:device-gateway');
    let from = 'SCHEDULED';
    for (const status of statuses) {
      this.append(`action-${actionId}`, 'action', 'action-feedback-received', { channel: 'deployment', execution: 'proceeding', finished: 'none', details: [], from, status }, `device:${targetId}`);
      from = status;
    }
    return this;
  }
}
